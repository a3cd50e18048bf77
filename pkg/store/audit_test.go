package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/casescribe/sharing/pkg/audit"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
)

// auditFirm is an organization with guests and one client's cases, to share.
type auditFirm struct {
	org    casescribe.Organization
	admin  casescribe.User
	guests []casescribe.Membership
	client casescribe.Client
	cases  []casescribe.Case
}

func newAuditFirm(t *testing.T, s *store.Store, guests, cases int) auditFirm {
	t.Helper()
	ctx := context.Background()
	f := auditFirm{}
	f.org, f.admin = newOrg(t, s, "Audited LLP")
	for range guests {
		g := casescribe.Membership{OrgID: f.org.ID, OrgName: f.org.Name, UserID: "guest-" + id(), Email: "g-" + id() + "@example.com",
			Name: "Guest", Role: casescribe.RoleGuest, Status: casescribe.StatusActive, CreatedAt: now}
		if err := s.PutMembership(ctx, g); err != nil {
			t.Fatal(err)
		}
		f.guests = append(f.guests, g)
	}
	f.client = casescribe.Client{OrgID: f.org.ID, ID: id(), Name: "Smith"}
	if err := s.CreateClient(ctx, f.client); err != nil {
		t.Fatal(err)
	}
	for range cases {
		k := casescribe.Case{OrgID: f.org.ID, ID: id(), ClientID: f.client.ID, Name: "Case"}
		if err := s.CreateCase(ctx, k); err != nil {
			t.Fatal(err)
		}
		f.cases = append(f.cases, k)
	}
	return f
}

func (f auditFirm) actor() audit.Actor {
	return audit.Actor{UserID: f.admin.ID, Name: f.admin.Name, Role: string(casescribe.RoleAdmin)}
}

// Concurrent writers of one organization: every write that succeeded has exactly one entry,
// a refused write has none, the seqs are 1..n without gaps, and the chain verifies.
func TestAuditConcurrentWriters(t *testing.T) {
	const writers, perWriter, casesEach = 8, 10, 4
	ctx := context.Background()
	s := newStore(t)
	f := newAuditFirm(t, s, writers, casesEach)

	var (
		mu       sync.Mutex
		recorded = map[string]string{} // target id → action, of every write that succeeded
		refused  []string              // target ids of refused writes
		failed   []error
		wg       sync.WaitGroup
	)
	for w := range writers {
		wg.Go(func() {
			guest := f.guests[w]
			held := "" // a case this writer's guest holds a share of
			for i := range perWriter {
				var (
					target, action string
					err            error
				)
				switch {
				case i < casesEach:
					// A real audited change: a share of case i with this writer's guest.
					sh := casescribe.Share{OrgID: f.org.ID, ID: id(), GuestID: guest.UserID, Scope: casescribe.ScopeCase,
						ClientID: f.client.ID, CaseID: f.cases[i].ID, Version: 1, CreatedAt: now}
					target, action = sh.ID, audit.ShareCreate
					rec := audit.ShareRecord(action, f.actor(), time.Now(), sh, nil, nil, audit.ShareState(sh))
					if err = s.CreateShare(store.WithAudit(ctx, rec), sh); err == nil {
						held = sh.CaseID
					}
				case i == casesEach:
					if held == "" {
						continue
					}
					// Refused by the store's own condition: the guest already holds this case.
					sh := casescribe.Share{OrgID: f.org.ID, ID: id(), GuestID: guest.UserID, Scope: casescribe.ScopeCase,
						ClientID: f.client.ID, CaseID: held, Version: 1, CreatedAt: now}
					rec := audit.ShareRecord(audit.ShareCreate, f.actor(), time.Now(), sh, nil, nil, audit.ShareState(sh))
					if err := s.CreateShare(store.WithAudit(ctx, rec), sh); casescribe.ErrorCode(err) != casescribe.ECONFLICT {
						mu.Lock()
						failed = append(failed, fmt.Errorf("duplicate share: err = %v, want conflict", err))
						mu.Unlock()
					}
					mu.Lock()
					refused = append(refused, sh.ID)
					mu.Unlock()
					continue
				default:
					target, action = id(), audit.FactsExport
					err = s.AppendAudit(ctx, audit.Record{OrgID: f.org.ID, At: time.Now(), Action: action,
						Actor:  audit.Actor{UserID: guest.UserID, Name: guest.Name, Role: string(guest.Role)},
						Target: audit.Target{Kind: audit.TargetCase, ID: target}, UserIDs: []string{guest.UserID},
						After: json.RawMessage(fmt.Sprintf(`{"writer":%d,"write":%d}`, w, i))})
				}
				mu.Lock()
				if err == nil {
					recorded[target] = action
				} else if casescribe.ErrorCode(err) != casescribe.ECONFLICT {
					failed = append(failed, fmt.Errorf("%s %s: %w", action, target, err))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range failed {
		t.Error(err)
	}
	if want := writers * (perWriter - 1); len(recorded) < want*9/10 {
		t.Errorf("%d of %d writes succeeded; the chain should absorb this much contention", len(recorded), want)
	}

	entries, head, err := s.AuditChain(ctx, f.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b := audit.Verify(entries, head); b != nil {
		t.Fatalf("Verify: %v", b)
	}
	if head.Seq != int64(len(entries)) || len(entries) != len(recorded) {
		t.Errorf("head seq %d, %d entries, %d writes succeeded; want all equal", head.Seq, len(entries), len(recorded))
	}
	seen := map[string]int{}
	for i, e := range entries {
		if e.Seq != int64(i+1) {
			t.Errorf("entry %d has seq %d", i, e.Seq)
		}
		seen[e.Target.ID]++
		if got, want := e.Action, recorded[e.Target.ID]; got != want {
			t.Errorf("entry %d for %s: action %q, want %q (a write that did not succeed?)", e.Seq, e.Target.ID, got, want)
		}
	}
	for target := range recorded {
		if seen[target] != 1 {
			t.Errorf("%s has %d entries, want 1", target, seen[target])
		}
	}
	for _, target := range refused {
		if seen[target] != 0 {
			t.Errorf("the refused share %s has %d entries, want 0", target, seen[target])
		}
	}
	// No entry without its change: every recorded share exists.
	shares, err := s.OrgShares(ctx, f.org.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored := 0
	for _, sh := range shares {
		if recorded[sh.ID] != audit.ShareCreate {
			t.Errorf("share %s exists without its entry", sh.ID)
		}
		stored++
	}
	created := 0
	for _, a := range recorded {
		if a == audit.ShareCreate {
			created++
		}
	}
	if stored != created {
		t.Errorf("%d shares stored, %d recorded as created", stored, created)
	}
}

// Listing filters by case, person and time, newest first, and pages without losing or
// repeating an entry; an entry round-trips exactly as recorded.
func TestAuditEntries(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	f := newAuditFirm(t, s, 2, 2)
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	type made struct {
		caseID, userID string
		at             time.Time
	}
	var all []made
	for i := range 12 {
		m := made{caseID: f.cases[i%2].ID, userID: f.guests[i%3%2].UserID, at: base.Add(time.Duration(i) * time.Hour)}
		if i%3 == 2 {
			m.caseID = ""
		}
		rec := audit.Record{OrgID: f.org.ID, At: m.at, Action: audit.AIAnswer, Actor: f.actor(),
			Target:  audit.Target{Kind: audit.TargetChat, ID: fmt.Sprintf("chat-%d", i)},
			CaseIDs: []string{m.caseID}, UserIDs: []string{m.userID, f.admin.ID},
			Before: json.RawMessage(`{ "spaced" : true }`), After: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))}
		if err := s.AppendAudit(ctx, rec); err != nil {
			t.Fatal(err)
		}
		all = append(all, m)
	}
	tests := []struct {
		name   string
		filter store.AuditFilter
		keep   func(made) bool
	}{
		{"all", store.AuditFilter{}, func(made) bool { return true }},
		{"case", store.AuditFilter{CaseID: f.cases[1].ID}, func(m made) bool { return m.caseID == f.cases[1].ID }},
		{"person", store.AuditFilter{UserID: f.guests[1].UserID}, func(m made) bool { return m.userID == f.guests[1].UserID }},
		{"actor", store.AuditFilter{UserID: f.admin.ID}, func(made) bool { return true }},
		{"from", store.AuditFilter{From: base.Add(5 * time.Hour)}, func(m made) bool { return !m.at.Before(base.Add(5 * time.Hour)) }},
		{"between", store.AuditFilter{From: base.Add(2*time.Hour + time.Nanosecond), To: base.Add(7 * time.Hour)},
			func(m made) bool { return m.at.After(base.Add(2*time.Hour)) && !m.at.After(base.Add(7*time.Hour)) }},
		{"case and time", store.AuditFilter{CaseID: f.cases[0].ID, To: base.Add(4 * time.Hour)},
			func(m made) bool { return m.caseID == f.cases[0].ID && !m.at.After(base.Add(4*time.Hour)) }},
		{"nothing", store.AuditFilter{UserID: "nobody"}, func(made) bool { return false }},
	}
	for _, tt := range tests {
		for _, limit := range []int{2, 5, 100} {
			t.Run(fmt.Sprintf("%s/limit %d", tt.name, limit), func(t *testing.T) {
				var want []int64
				for i := len(all) - 1; i >= 0; i-- {
					if tt.keep(all[i]) {
						want = append(want, int64(i+1))
					}
				}
				var got []int64
				cursor := ""
				for pages := 0; ; pages++ {
					if pages > 20 {
						t.Fatal("pages never end")
					}
					page, err := s.AuditEntries(ctx, f.org.ID, tt.filter, cursor, limit)
					if err != nil {
						t.Fatal(err)
					}
					if len(page.Items) > limit {
						t.Errorf("page of %d entries, limit %d", len(page.Items), limit)
					}
					for _, e := range page.Items {
						got = append(got, e.Seq)
					}
					if cursor = page.NextCursor; cursor == "" {
						break
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("seqs %v, want %v", got, want)
				}
			})
		}
	}
	entries, head, err := s.AuditChain(ctx, f.org.ID)
	if err != nil || len(entries) != 12 || head.Seq != 12 {
		t.Fatalf("chain: %d entries, head %+v, %v", len(entries), head, err)
	}
	if b := audit.Verify(entries, head); b != nil {
		t.Errorf("Verify: %v", b)
	}
	if got := string(entries[0].Before); got != `{ "spaced" : true }` {
		t.Errorf("before round-tripped as %q", got)
	}
	if !entries[3].At.Equal(base.Add(3 * time.Hour)) {
		t.Errorf("time round-tripped as %v", entries[3].At)
	}
	for _, bad := range []string{"junk", "YXVkaXQ6MQ", "bWVtYmVyczp4"} {
		if _, err := s.AuditEntries(ctx, f.org.ID, store.AuditFilter{}, bad, 2); casescribe.ErrorCode(err) != casescribe.EINVALID {
			t.Errorf("cursor %q: err = %v, want invalid", bad, err)
		}
	}
	// Another organization's chain is its own.
	other, _ := newOrg(t, s, "Other")
	if page, err := s.AuditEntries(ctx, other.ID, store.AuditFilter{}, "", 10); err != nil || len(page.Items) != 0 {
		t.Errorf("other organization: %d entries, %v", len(page.Items), err)
	}
	if err := s.AppendAudit(ctx, audit.Record{OrgID: f.org.ID, At: now, Action: "share.steal"}); casescribe.ErrorCode(err) != casescribe.EINVALID {
		t.Errorf("unknown action: err = %v, want invalid", err)
	}
}
