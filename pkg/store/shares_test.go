package store_test

import (
	"context"
	"testing"

	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
)

// Removing a guest who holds several shares of one client (one grant item) and a share of
// another client deletes them all in one transaction, which may touch each item only once.
func TestRemoveGuestWithSeveralSharesOfOneClient(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	org, _ := newOrg(t, s, "Firm")
	guest := newGuest(t, s, org)
	smith := casescribe.Client{OrgID: org.ID, ID: id(), Name: "Smith"}
	doe := casescribe.Client{OrgID: org.ID, ID: id(), Name: "Doe"}
	for _, c := range []casescribe.Client{smith, doe} {
		if err := s.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	var cases []casescribe.Case
	for range 3 {
		k := casescribe.Case{OrgID: org.ID, ID: id(), ClientID: smith.ID, Name: "Case"}
		if err := s.CreateCase(ctx, k); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, k)
	}
	share := func(scope casescribe.ShareScope, clientID, caseID string) {
		t.Helper()
		sh := casescribe.Share{OrgID: org.ID, ID: id(), GuestID: guest.UserID, Scope: scope, ClientID: clientID, CaseID: caseID, Version: 1}
		if err := s.CreateShare(ctx, sh); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range cases {
		share(casescribe.ScopeCase, smith.ID, k.ID)
	}
	share(casescribe.ScopeClient, doe.ID, "")

	m, err := s.GetMembership(ctx, org.ID, guest.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveMember(ctx, m); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	grants, err := s.GuestGrants(ctx, org.ID, guest.UserID)
	if err != nil || len(grants) != 0 {
		t.Errorf("grants after removal = %v, %v; want none", grants, err)
	}
	all, err := s.OrgShares(ctx, org.ID)
	if err != nil || len(all) != 0 {
		t.Errorf("shares after removal = %d, %v; want none", len(all), err)
	}
	for _, k := range cases {
		if got, err := s.GetCase(ctx, org.ID, k.ID); err != nil || got.ShareCount != 0 {
			t.Errorf("case share count = %d, %v; want 0", got.ShareCount, err)
		}
	}
	if got, err := s.GetClient(ctx, org.ID, doe.ID); err != nil || got.ShareCount != 0 {
		t.Errorf("client share count = %d, %v; want 0", got.ShareCount, err)
	}
}

// newGuest makes an active guest of org.
func newGuest(t *testing.T, s *store.Store, org casescribe.Organization) casescribe.Membership {
	t.Helper()
	guest := casescribe.Membership{OrgID: org.ID, OrgName: org.Name, UserID: "guest-" + id(), Email: "g-" + id() + "@example.com",
		Name: "Guest", Role: casescribe.RoleGuest, Status: casescribe.StatusActive, CreatedAt: now}
	if err := s.PutMembership(context.Background(), guest); err != nil {
		t.Fatal(err)
	}
	return guest
}

// A client share made from a case's Share dialog is refused once that case is gone, as the
// request would be had it read the case a moment later.
func TestClientShareFromADeletedCase(t *testing.T) {
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
	if err := s.DeleteCase(ctx, org.ID, smith.ID, knee.ID); err != nil {
		t.Fatal(err)
	}
	sh := casescribe.Share{OrgID: org.ID, ID: id(), GuestID: guest.UserID, Scope: casescribe.ScopeClient, ClientID: smith.ID, Version: 1}
	if err := s.CreateShareFrom(ctx, sh, knee.ID); casescribe.ErrorCode(err) != casescribe.ENOTFOUND {
		t.Errorf("client share from a deleted case: %v, want not found", err)
	}
	if grants, err := s.GuestGrants(ctx, org.ID, guest.UserID); err != nil || len(grants) != 0 {
		t.Errorf("grants after the refusal = %+v, %v; want none", grants, err)
	}
	if err := s.CreateShareFrom(ctx, sh, back.ID); err != nil {
		t.Errorf("client share from a case that exists: %v", err)
	}
}
