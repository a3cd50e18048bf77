package api

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/accessmail"
	"github.com/casescribe/sharing/pkg/audit"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
	"github.com/oklog/ulid/v2"
)

type guestRefJSON struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

type shareJSON struct {
	ShareID   string                `json:"shareId"`
	Guest     guestRefJSON          `json:"guest"`
	Scope     casescribe.ShareScope `json:"scope"`
	ClientID  string                `json:"clientId"`
	CaseID    *string               `json:"caseId"`
	ViewID    *string               `json:"viewId"`
	ViewName  *string               `json:"viewName"`
	ChatIDs   []string              `json:"chatIds"`
	Version   int                   `json:"version"`
	CreatedAt time.Time             `json:"createdAt"`
	// ExpiresAt is when the share ends; null for no end.
	ExpiresAt *time.Time `json:"expiresAt"`
}

// withViewName names the share's view, when its name is known.
func (j shareJSON) withViewName(views map[string]string) shareJSON {
	if j.ViewID != nil {
		if name, ok := views[*j.ViewID]; ok {
			j.ViewName = &name
		}
	}
	return j
}

func newShareJSON(sh casescribe.Share) shareJSON {
	j := shareJSON{ShareID: sh.ID, Guest: guestRefJSON{ID: sh.GuestID, Name: sh.GuestName, Email: sh.GuestEmail},
		Scope: sh.Scope, ClientID: sh.ClientID, ChatIDs: sh.ChatIDs, Version: sh.Version, CreatedAt: sh.CreatedAt}
	if sh.CaseID != "" {
		j.CaseID = &sh.CaseID
	}
	if sh.ViewID != "" {
		j.ViewID = &sh.ViewID
	}
	if j.ChatIDs == nil {
		j.ChatIDs = []string{}
	}
	if !sh.ExpiresAt.IsZero() {
		end := sh.ExpiresAt
		j.ExpiresAt = &end
	}
	return j
}

type caseSharesJSON struct {
	ShareCount     int            `json:"shareCount"`
	People         []shareJSON    `json:"people"`
	EligibleGuests []guestRefJSON `json:"eligibleGuests"`
}

type createShareBody struct {
	GuestID string                `json:"guestId"`
	Scope   casescribe.ShareScope `json:"scope"`
	ViewID  string                `json:"viewId"`
	ChatIDs []string              `json:"chatIds"`
	// ExpiresAt ends the share at that instant; absent or null for no end.
	ExpiresAt *time.Time `json:"expiresAt"`
	retiredVisibleClients
}

// shareEnd returns the requested end of a share (zero for none), checked against now.
func shareEnd(expiresAt *time.Time, now time.Time) (time.Time, error) {
	if expiresAt == nil {
		return time.Time{}, nil
	}
	end := expiresAt.UTC()
	return end, access.CheckExpiry(end, now)
}

// maxChats bounds the chats one share may carry.
const maxChats = 50

// checkShareTargets validates the shape of the ids of a view and chats. That the view is a
// saved view of the share's case, and the chats chats of it, is checked by the store, in the
// very transaction that writes the share (a view in use cannot be deleted).
func checkShareTargets(viewID string, chatIDs []string) error {
	if viewID != "" {
		if _, err := ulid.ParseStrict(viewID); err != nil {
			return casescribe.Errorf(casescribe.EINVALID, `Field "viewId" must be the id of a saved view of the case.`)
		}
	}
	if len(chatIDs) > maxChats {
		return casescribe.Errorf(casescribe.EINVALID, `Field "chatIds" may name at most %d chats.`, maxChats)
	}
	seen := map[string]bool{}
	for _, id := range chatIDs {
		if _, err := ulid.ParseStrict(id); err != nil || seen[id] {
			return casescribe.Errorf(casescribe.EINVALID, `Field "chatIds" must list distinct ids of chats of the case.`)
		}
		seen[id] = true
	}
	return nil
}

// createShare gives a guest access to this case, or to every case of its client.
func (s *Server) createShare(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body createShareBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if err := body.check(); err != nil {
		return err
	}
	if !store.ValidUserID(body.GuestID) {
		return casescribe.Errorf(casescribe.EINVALID, `Field "guestId" must be the id of a guest of this organization.`)
	}
	if err := checkShareTargets(body.ViewID, body.ChatIDs); err != nil {
		return err
	}
	end, err := shareEnd(body.ExpiresAt, s.now())
	if err != nil {
		return err
	}
	var (
		target  casescribe.Membership
		errMemb error
		wg      sync.WaitGroup
	)
	wg.Go(func() { target, errMemb = s.store.GetMembership(r.Context(), c.OrgID, body.GuestID) })
	k, err := s.visibleCase(r, c)
	wg.Wait()
	if err != nil {
		return err
	}
	if casescribe.ErrorCode(errMemb) == casescribe.ENOTFOUND {
		return casescribe.Errorf(casescribe.EINVALID, "There is no guest with this id in the organization; invite them first.")
	}
	if errMemb != nil {
		return errMemb
	}
	if err := access.CheckNewShare(body.Scope, body.ViewID, body.ChatIDs, target); err != nil {
		return err
	}
	now := s.now()
	sh := casescribe.Share{OrgID: c.OrgID, ID: s.newID(), GuestID: target.UserID, GuestName: target.Name,
		GuestEmail: target.Email, Scope: body.Scope, ClientID: k.ClientID, ViewID: body.ViewID,
		ChatIDs: body.ChatIDs, Version: 1, CreatedBy: c.UserID, CreatedAt: now, UpdatedAt: now,
		ExpiresAt: end, Since: now}
	if sh.Scope == casescribe.ScopeCase {
		sh.CaseID = k.ID
	}
	record := func() context.Context {
		return s.shareAudited(r, c, audit.ShareCreate, sh, nil, nil, audit.ShareState(sh))
	}
	err = s.store.CreateShareFrom(record(), sh, k.ID)
	if casescribe.ErrorCode(err) == casescribe.ECONFLICT {
		// The guest may still hold, in the store, a share that has ended and opens nothing:
		// it gives way to the new one (a record serves one transaction: a new one for the
		// second try).
		if cleared, errClear := s.clearEnded(r.Context(), sh); errClear != nil {
			return errClear
		} else if cleared {
			err = s.store.CreateShareFrom(record(), sh, k.ID)
		}
	}
	if err != nil {
		return err
	}
	s.tellGuest(r.Context(), c.OrgID, sh.GuestID, accessmail.Granted)
	writeJSON(w, http.StatusCreated, newShareJSON(sh))
	return nil
}

// listCaseShares answers the Share dialog: who has access to the case (its own shares and its
// client's client shares), the badge count, and the guests it can be shared with.
func (s *Server) listCaseShares(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	k, err := s.visibleCase(r, c)
	if err != nil {
		return err
	}
	var (
		shares           []casescribe.Share
		guests           []casescribe.Membership
		errShares, errGs error
		wg               sync.WaitGroup
	)
	var (
		views    []casescribe.SavedView
		errViews error
	)
	wg.Go(func() { shares, errShares = s.currentShares(s.store.ClientShares(r.Context(), c.OrgID, k.ClientID)) })
	wg.Go(func() { guests, errGs = s.activeGuests(r, c) })
	wg.Go(func() { views, errViews = s.store.CaseViews(r.Context(), c.OrgID, k.ID) })
	wg.Wait()
	if err := errors.Join(errShares, errGs, errViews); err != nil {
		return err
	}
	viewNames := map[string]string{}
	for _, v := range views {
		viewNames[v.ID] = v.Name
	}
	out := caseSharesJSON{People: []shareJSON{}, EligibleGuests: []guestRefJSON{}}
	for _, sh := range shares {
		if access.OpensCase(sh, k) {
			out.People = append(out.People, newShareJSON(sh).withViewName(viewNames))
		}
	}
	out.ShareCount = len(out.People)
	for _, g := range guests {
		out.EligibleGuests = append(out.EligibleGuests, guestRefJSON{ID: g.UserID, Name: g.Name, Email: g.Email})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// activeGuests lists the organization's guests whose invitations are accepted.
func (s *Server) activeGuests(r *http.Request, c casescribe.Caller) ([]casescribe.Membership, error) {
	members, err := s.allMembers(r, c)
	if err != nil {
		return nil, err
	}
	var out []casescribe.Membership
	for _, m := range members {
		if m.Role == casescribe.RoleGuest && m.Status == casescribe.StatusActive {
			out = append(out, m)
		}
	}
	return out, nil
}

// allMembers lists every membership of the organization, page after page.
func (s *Server) allMembers(r *http.Request, c casescribe.Caller) ([]casescribe.Membership, error) {
	var out []casescribe.Membership
	cursor := ""
	for {
		page, err := s.store.ListMembers(r.Context(), c.OrgID, cursor, store.MaxLimit)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
}

// pathShare loads the share named by the path. A share that has ended is gone, as an unknown
// one: it can be neither read, changed nor removed (the sweep removes it).
func (s *Server) pathShare(r *http.Request, c casescribe.Caller) (casescribe.Share, error) {
	id, err := pathID(r, "shareId", "Share")
	if err != nil {
		return casescribe.Share{}, err
	}
	sh, err := s.store.GetShare(r.Context(), c.OrgID, id)
	if err == nil && sh.Expired(s.now()) {
		err = casescribe.Errorf(casescribe.ENOTFOUND, "Share not found.")
	}
	return sh, err
}

func (s *Server) getShare(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	sh, err := s.pathShare(r, c)
	if err != nil {
		return err
	}
	names, err := s.store.ViewNames(r.Context(), c.OrgID, map[string]string{sh.ViewID: sh.CaseID})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newShareJSON(sh).withViewName(names))
	return nil
}

// deleteShare removes a guest's access: their very next request no longer sees it.
func (s *Server) deleteShare(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	sh, err := s.pathShare(r, c)
	if err != nil {
		return err
	}
	if err := s.store.RemoveShare(s.shareAudited(r, c, audit.ShareRemove, sh, nil, audit.ShareState(sh), nil), sh); err != nil {
		return err
	}
	s.tellGuest(r.Context(), c.OrgID, sh.GuestID, accessmail.Removed)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
