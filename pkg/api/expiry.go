package api

import (
	"context"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// Every access check reads a guest's grants through these two, which drop the shares that
// have ended at the moment of the request, whether or not the sweep has removed them yet.

// guestGrants returns what a guest may open in the organization now.
func (s *Server) guestGrants(ctx context.Context, orgID, guestID string) ([]casescribe.Grant, error) {
	gs, err := s.store.GuestGrants(ctx, orgID, guestID)
	if err != nil {
		return nil, err
	}
	return access.CurrentGrants(gs, s.now()), nil
}

// grant returns what a guest may open in one client now.
func (s *Server) grant(ctx context.Context, orgID, guestID, clientID string) (casescribe.Grant, error) {
	g, err := s.store.GetGrant(ctx, orgID, guestID, clientID)
	if err != nil {
		return casescribe.Grant{}, err
	}
	return access.Current(g, s.now()), nil
}

// currentShares reads shares for a list or a count: those that have ended are left out.
func (s *Server) currentShares(shares []casescribe.Share, err error) ([]casescribe.Share, error) {
	if err != nil {
		return nil, err
	}
	return access.CurrentShares(shares, s.now()), nil
}

// shareBadge counts the shares among a client's that open the case: the "Share · 2" badge.
func shareBadge(clientShares []casescribe.Share, caseID string) int {
	n := 0
	for _, sh := range clientShares {
		if sh.Scope == casescribe.ScopeClient || sh.CaseID == caseID {
			n++
		}
	}
	return n
}

// optionalTime answers a zero time as null.
func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
