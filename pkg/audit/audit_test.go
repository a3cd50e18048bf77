package audit

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// chain builds n linked entries of one organization.
func chain(t *testing.T, n int) ([]Entry, Head) {
	t.Helper()
	var (
		out  []Entry
		head Head
	)
	at := time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC)
	for i := range n {
		e := Next(Record{OrgID: "ORG1", Actor: Actor{UserID: "u1", Name: "Alice", Role: "admin"},
			At: at.Add(time.Duration(i) * time.Second), Action: ShareCreate,
			Target:  Target{Kind: TargetShare, ID: "S" + strings.Repeat("x", i)},
			CaseIDs: []string{"K1"}, UserIDs: []string{"g1", "u1"},
			After: json.RawMessage(`{"scope":"case"}`)}, head)
		out = append(out, e)
		head = Head{Seq: e.Seq, Hash: e.Hash}
	}
	return out, head
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name   string
		change func(es []Entry, h Head) ([]Entry, Head)
		want   *Break
	}{
		{"intact", func(es []Entry, h Head) ([]Entry, Head) { return es, h }, nil},
		{"empty chain, empty head", func([]Entry, Head) ([]Entry, Head) { return nil, Head{} }, nil},
		{"altered after", func(es []Entry, h Head) ([]Entry, Head) {
			es[3].After = json.RawMessage(`{"scope":"client"}`)
			return es, h
		}, &Break{Seq: 4, Reason: BreakHash}},
		{"whitespace in before counts", func(es []Entry, h Head) ([]Entry, Head) {
			es[0].After = json.RawMessage(`{"scope": "case"}`)
			return es, h
		}, &Break{Seq: 1, Reason: BreakHash}},
		{"altered actor", func(es []Entry, h Head) ([]Entry, Head) {
			es[5].Actor.Name = "Mallory"
			return es, h
		}, &Break{Seq: 6, Reason: BreakHash}},
		{"altered time", func(es []Entry, h Head) ([]Entry, Head) {
			es[2].At = es[2].At.Add(time.Nanosecond)
			return es, h
		}, &Break{Seq: 3, Reason: BreakHash}},
		{"rehashed after an alteration", func(es []Entry, h Head) ([]Entry, Head) {
			es[4].Action = ShareRemove
			es[4].Hash = ComputeHash(es[4])
			return es, h
		}, &Break{Seq: 6, Reason: BreakPrevHash}},
		{"missing middle entry", func(es []Entry, h Head) ([]Entry, Head) {
			return append(es[:6:6], es[7:]...), h
		}, &Break{Seq: 7, Reason: BreakGap}},
		{"missing first entry", func(es []Entry, h Head) ([]Entry, Head) { return es[1:], h }, &Break{Seq: 1, Reason: BreakGap}},
		{"missing last entry", func(es []Entry, h Head) ([]Entry, Head) { return es[:9], h }, &Break{Seq: 10, Reason: BreakHead}},
		{"every entry gone", func(_ []Entry, h Head) ([]Entry, Head) { return nil, h }, &Break{Seq: 1, Reason: BreakHead}},
		{"head behind", func(es []Entry, _ Head) ([]Entry, Head) {
			return es, Head{Seq: 8, Hash: es[7].Hash}
		}, &Break{Seq: 9, Reason: BreakHead}},
		{"head hash altered", func(es []Entry, h Head) ([]Entry, Head) {
			h.Hash = strings.Repeat("0", 64)
			return es, h
		}, &Break{Seq: 10, Reason: BreakHead}},
		{"out of order input is sorted", func(es []Entry, h Head) ([]Entry, Head) {
			es[0], es[9] = es[9], es[0]
			return es, h
		}, nil},
		{"repeated seq", func(es []Entry, h Head) ([]Entry, Head) {
			return append(es[:3:3], es[2:]...), h
		}, &Break{Seq: 3, Reason: BreakGap}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, h := chain(t, 10)
			es, h = tt.change(es, h)
			got := Verify(es, h)
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestComputeHash(t *testing.T) {
	es, _ := chain(t, 1)
	base := es[0]
	if len(base.Hash) != 64 || base.Hash != ComputeHash(base) {
		t.Fatalf("hash %q is not the hex SHA-256 of the entry", base.Hash)
	}
	empty, none := base, base
	empty.CaseIDs, none.CaseIDs = []string{}, nil
	if ComputeHash(empty) != ComputeHash(none) {
		t.Error("an empty and an absent list hash differently; a store round trip may turn one into the other")
	}
	tests := []struct {
		name   string
		change func(*Entry)
		same   bool
	}{
		{"other time zone, same instant", func(e *Entry) { e.At = e.At.In(time.FixedZone("X", 3600)) }, true},
		{"ids moved between fields", func(e *Entry) { e.CaseIDs, e.UserIDs = e.UserIDs, e.CaseIDs }, false},
		{"text moved between fields", func(e *Entry) { e.Actor.Name, e.Actor.Role = "Alic", "eadmin" }, false},
		{"no before versus empty object", func(e *Entry) { e.Before = json.RawMessage(`{}`) }, false},
		{"another seq", func(e *Entry) { e.Seq = 2 }, false},
		{"another previous hash", func(e *Entry) { e.PrevHash = "00" }, false},
		{"another organization", func(e *Entry) { e.OrgID = "ORG2" }, false},
		{"another target", func(e *Entry) { e.Target.Kind = TargetInvitation }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := base
			tt.change(&e)
			if got := ComputeHash(e) == ComputeHash(base); got != tt.same {
				t.Errorf("same hash = %v, want %v", got, tt.same)
			}
		})
	}
}

func TestRecordCheck(t *testing.T) {
	ok := Record{OrgID: "O", At: time.Now(), Action: FactsExport}
	tests := []struct {
		name   string
		change func(*Record)
		code   string
	}{
		{"valid", func(*Record) {}, ""},
		{"no organization", func(r *Record) { r.OrgID = "" }, casescribe.EINVALID},
		{"no time", func(r *Record) { r.At = time.Time{} }, casescribe.EINVALID},
		{"unknown action", func(r *Record) { r.Action = "share.steal" }, casescribe.EINVALID},
		{"before not JSON", func(r *Record) { r.Before = json.RawMessage(`{`) }, casescribe.EINVALID},
		{"after JSON", func(r *Record) { r.After = json.RawMessage(`{"a":1}`) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.change(&r)
			if got := casescribe.ErrorCode(r.Check()); got != tt.code {
				t.Errorf("code %q, want %q", got, tt.code)
			}
		})
	}
}

func TestStatesHoldNoSecret(t *testing.T) {
	inv := casescribe.Invitation{Email: "a@b.example", Role: casescribe.RoleGuest, TokenHash: "SECRETHASH", ExpiresAt: time.Now()}
	if got := string(InvitationState(inv)); strings.Contains(got, "SECRETHASH") || !strings.Contains(got, "a@b.example") {
		t.Errorf("invitation state %s", got)
	}
	sh := casescribe.Share{OrgID: "O", ID: "S", GuestID: "g", Scope: casescribe.ScopeCase, CaseID: "K", Version: 2}
	rec := Expired(sh, time.Now())
	if rec.Actor != System || rec.Action != ShareExpire || rec.Target.ID != "S" || len(rec.After) != 0 {
		t.Errorf("expiry record %+v", rec)
	}
	if got, want := strings.Join(rec.UserIDs, ","), "g"; got != want {
		t.Errorf("user ids %q, want %q", got, want)
	}
	if err := rec.Check(); err != nil {
		t.Error(err)
	}
}
