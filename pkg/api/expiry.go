package api

import (
	"context"
	"log/slog"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/accessmail"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
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
func shareBadge(clientShares []casescribe.Share, k casescribe.Case) int {
	n := 0
	for _, sh := range clientShares {
		if access.OpensCase(sh, k) {
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

// tellGuest emails a guest what they can open now, after a change of their access has been
// stored. The change stands whether or not the email goes out: a failure is logged (its code,
// never the address or the content) and the request still succeeds.
func (s *Server) tellGuest(ctx context.Context, orgID, guestID string, ev accessmail.Event) {
	if s.notify == nil {
		return
	}
	if _, err := s.notify.AccessChanged(ctx, orgID, guestID, ev); err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "access email not sent", slog.String("event", string(ev)),
			slog.String("orgId", orgID), slog.String("errorCode", casescribe.ErrorCode(err)))
	}
}

// clearEnded removes the ended shares that stand in the way of sh in its guest's grant (an
// ended share of the same case, or an ended client share; for a client share, ended case
// shares of the client too), as the sweep would, recording their expiry. cleared is false
// when something still current stands in the way: the conflict is real.
func (s *Server) clearEnded(ctx context.Context, sh casescribe.Share) (cleared bool, err error) {
	g, err := s.store.GetGrant(ctx, sh.OrgID, sh.GuestID, sh.ClientID)
	if err != nil {
		return false, err
	}
	now := s.now()
	var ended []string
	blocks := func(id string, end time.Time) bool {
		if !casescribe.Ended(end, now) {
			return true // current: a real conflict
		}
		ended = append(ended, id)
		return false
	}
	if g.ClientShareID != "" && blocks(g.ClientShareID, g.ClientShareExpiresAt) {
		return false, nil
	}
	for caseID, cg := range g.Cases {
		if (sh.Scope == casescribe.ScopeClient || caseID == sh.CaseID) && blocks(cg.ShareID, cg.ExpiresAt) {
			return false, nil
		}
	}
	if len(ended) == 0 {
		return false, nil
	}
	for _, id := range ended {
		old, err := s.store.GetShare(ctx, sh.OrgID, id)
		if casescribe.ErrorCode(err) == casescribe.ENOTFOUND {
			continue
		}
		if err != nil {
			return false, err
		}
		if !old.Expired(now) {
			return false, nil // extended meanwhile
		}
		if err := s.store.RemoveShare(store.RecordExpiry(ctx, old, now), old); err != nil && casescribe.ErrorCode(err) != casescribe.ENOTFOUND {
			return false, err
		}
	}
	return true, nil
}

// clearEndedOfView removes the shares limited to view v if every one of them has ended, as the
// sweep would, recording their expiry. cleared is false when a current share still uses it.
func (s *Server) clearEndedOfView(ctx context.Context, v casescribe.SavedView) (cleared bool, err error) {
	shares, err := s.store.OrgShares(ctx, v.OrgID)
	if err != nil {
		return false, err
	}
	now := s.now()
	var ended []casescribe.Share
	for _, sh := range shares {
		if sh.Scope != casescribe.ScopeCase || sh.CaseID != v.CaseID || sh.ViewID != v.ID {
			continue
		}
		if !sh.Expired(now) {
			return false, nil
		}
		ended = append(ended, sh)
	}
	for _, sh := range ended {
		if err := s.store.RemoveShare(store.RecordExpiry(ctx, sh, now), sh); err != nil && casescribe.ErrorCode(err) != casescribe.ENOTFOUND {
			return false, err
		}
	}
	return len(ended) > 0, nil
}
