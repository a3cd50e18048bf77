package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// A share's end travels with it: into the guest's grant (what checks read), into the expiry
// index under the day it ends, and through a change of scope or of the end alone; a client
// share's end lives in the grant too, and goes when the share is narrowed.
func TestShareEndInGrantAndIndex(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	org, _ := newOrg(t, s, "Firm")
	guest := newGuest(t, s, org)
	smith := casescribe.Client{OrgID: org.ID, ID: id(), Name: "Smith"}
	if err := s.CreateClient(ctx, smith); err != nil {
		t.Fatal(err)
	}
	knee := casescribe.Case{OrgID: org.ID, ID: id(), ClientID: smith.ID, Name: "Knee"}
	back := casescribe.Case{OrgID: org.ID, ID: id(), ClientID: smith.ID, Name: "Back"}
	for _, k := range []casescribe.Case{knee, back} {
		if err := s.CreateCase(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	// Far ahead, so that no other test's share shares its day in the index.
	end := time.Date(2031, 3, 14, 9, 26, 53, 0, time.UTC).Add(time.Duration(time.Now().UnixNano() % int64(time.Hour)))
	listed := func(day time.Time, shareID string) bool {
		t.Helper()
		got, err := s.SharesEndingOn(ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range got {
			if sh.ID == shareID {
				return sh.ExpiresAt.Equal(end) || sh.ExpiresAt.Equal(end.AddDate(0, 0, 1))
			}
		}
		return false
	}
	grant := func() casescribe.Grant {
		t.Helper()
		g, err := s.GetGrant(ctx, org.ID, guest.UserID, smith.ID)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}

	sh := casescribe.Share{OrgID: org.ID, ID: id(), GuestID: guest.UserID, Scope: casescribe.ScopeClient, ClientID: smith.ID,
		Version: 1, CreatedAt: now, UpdatedAt: now, Since: now, ExpiresAt: end}
	if err := s.CreateShare(ctx, sh); err != nil {
		t.Fatal(err)
	}
	if g := grant(); g.ClientShareID != sh.ID || !g.ClientShareExpiresAt.Equal(end) {
		t.Errorf("grant = %+v, want the client share ending %v", g, end)
	}
	if !listed(end, sh.ID) || listed(end.AddDate(0, 0, 1), sh.ID) {
		t.Errorf("the share is not listed under the day it ends (only)")
	}
	got, err := s.GetShare(ctx, org.ID, sh.ID)
	if err != nil || !got.ExpiresAt.Equal(end) || !got.Since.Equal(now) {
		t.Fatalf("GetShare = %+v, %v", got, err)
	}

	apply := func(before casescribe.Share, change access.ShareChange, target *casescribe.Case) casescribe.Share {
		t.Helper()
		plan, err := access.PlanShareChange(access.PlanInput{Share: before, GuestName: "Guest", ClientName: "Smith",
			ClientCases: []casescribe.Case{knee, back}, Target: target}, change)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ApplyShareChange(ctx, before, plan); err != nil {
			t.Fatalf("apply %s: %v", plan.Kind, err)
		}
		return plan.Result
	}
	// The end alone moves by a day: the grant and the index follow.
	later := end.AddDate(0, 0, 1)
	sh = apply(sh, access.ShareChange{Scope: casescribe.ScopeClient, ExpiresAt: later}, nil)
	if g := grant(); !g.ClientShareExpiresAt.Equal(later) {
		t.Errorf("grant end after the change = %v, want %v", g.ClientShareExpiresAt, later)
	}
	if listed(end, sh.ID) || !listed(later, sh.ID) {
		t.Errorf("the index did not follow the end to the next day")
	}
	// Narrowed to one case, with the end kept: the case entry carries it, the client's is gone.
	sh = apply(sh, access.ShareChange{Scope: casescribe.ScopeCase, CaseID: knee.ID, ExpiresAt: later}, &knee)
	g := grant()
	if g.ClientShareID != "" || !g.ClientShareExpiresAt.IsZero() || !g.Cases[knee.ID].ExpiresAt.Equal(later) {
		t.Errorf("grant after narrowing = %+v, want only the knee entry ending %v", g, later)
	}
	// The end lifted: out of the grant and out of the index.
	sh = apply(sh, access.ShareChange{Scope: casescribe.ScopeCase, CaseID: knee.ID}, &knee)
	if g := grant(); !g.Cases[knee.ID].ExpiresAt.IsZero() {
		t.Errorf("grant entry after lifting the end = %+v", g.Cases[knee.ID])
	}
	if listed(later, sh.ID) {
		t.Errorf("a share without an end is still in the expiry index")
	}
	if got, err := s.GetShare(ctx, org.ID, sh.ID); err != nil || !got.ExpiresAt.IsZero() {
		t.Errorf("GetShare after lifting the end = %+v, %v", got, err)
	}
}
