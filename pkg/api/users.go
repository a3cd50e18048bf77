package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/audit"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
)

// accessJSON is one thing a guest can see, as the users directory shows it. Sharing fills it.
type accessJSON struct {
	ShareID    string   `json:"shareId"`
	Label      string   `json:"label"`
	Scope      string   `json:"scope"`
	ClientID   string   `json:"clientId"`
	ClientName string   `json:"clientName"`
	CaseID     string   `json:"caseId,omitempty"`
	CaseName   string   `json:"caseName,omitempty"`
	ViewID     string   `json:"viewId,omitempty"`
	ViewName   string   `json:"viewName,omitempty"`
	ChatIDs    []string `json:"chatIds,omitempty"`
}

type memberJSON struct {
	ID     string                      `json:"id"`
	Email  string                      `json:"email"`
	Name   string                      `json:"name"`
	Role   casescribe.Role             `json:"role"`
	Status casescribe.MembershipStatus `json:"status"`
	Access []accessJSON                `json:"access"`
}

func newMemberJSON(m casescribe.Membership, access []accessJSON) memberJSON {
	if access == nil {
		access = []accessJSON{}
	}
	return memberJSON{ID: m.UserID, Email: m.Email, Name: m.Name, Role: m.Role, Status: m.Status, Access: access}
}

// shareNames are the names of what shares open: clients, cases and saved views, by id.
type shareNames struct {
	clients, cases, views map[string]string
}

// names reads the names of clients, cases and views (view id -> case id), in one wave.
func (s *Server) names(r *http.Request, c casescribe.Caller, clientIDs, caseIDs []string, views map[string]string) (shareNames, error) {
	var (
		cl                          map[string]casescribe.Client
		ks                          []casescribe.Case
		out                         shareNames
		errClient, errCase, errView error
		wg                          sync.WaitGroup
	)
	wg.Go(func() { cl, errClient = s.store.GetClients(r.Context(), c.OrgID, clientIDs) })
	wg.Go(func() { ks, errCase = s.store.GetCases(r.Context(), c.OrgID, caseIDs) })
	if len(views) > 0 {
		wg.Go(func() { out.views, errView = s.store.ViewNames(r.Context(), c.OrgID, views) })
	}
	wg.Wait()
	if err := errors.Join(errClient, errCase, errView); err != nil {
		return shareNames{}, err
	}
	clients, cases := make(map[string]string, len(cl)), make(map[string]string, len(ks))
	for id, x := range cl {
		clients[id] = x.Name
	}
	for _, k := range ks {
		cases[k.ID] = k.Name
	}
	out.clients, out.cases = clients, cases
	return out, nil
}

// accessLabels turns shares into the directory's access entries by guest, labelled "Smith,
// John · Knee MRI" or "Smith, John · Full client".
func accessLabels(shares []casescribe.Share, n shareNames) map[string][]accessJSON {
	out := map[string][]accessJSON{}
	for _, sh := range shares {
		a := accessJSON{ShareID: sh.ID, Scope: string(sh.Scope), ClientID: sh.ClientID,
			ClientName: n.clients[sh.ClientID], CaseID: sh.CaseID, CaseName: n.cases[sh.CaseID],
			ViewID: sh.ViewID, ViewName: n.views[sh.ViewID], ChatIDs: sh.ChatIDs}
		a.Label = a.ClientName + " · Full client"
		if sh.Scope == casescribe.ScopeCase {
			a.Label = a.ClientName + " · " + a.CaseName
		}
		out[sh.GuestID] = append(out[sh.GuestID], a)
	}
	return out
}

// shareTargets lists the clients, cases and views (view id -> case id) shares name.
func shareTargets(shares []casescribe.Share) (clientIDs, caseIDs []string, views map[string]string) {
	views = map[string]string{}
	for _, sh := range shares {
		clientIDs = append(clientIDs, sh.ClientID)
		if sh.CaseID != "" {
			caseIDs = append(caseIDs, sh.CaseID)
		}
		if sh.ViewID != "" {
			views[sh.ViewID] = sh.CaseID
		}
	}
	return clientIDs, caseIDs, views
}

// memberAccess reads a person's access chips: their grants (strongly consistent), then, in
// one wave, the shares the grants name and the names of their clients and cases.
func (s *Server) memberAccess(r *http.Request, c casescribe.Caller, userID string) ([]accessJSON, error) {
	grants, err := s.guestGrants(r.Context(), c.OrgID, userID)
	if err != nil || len(grants) == 0 {
		return nil, err
	}
	refs := access.RefsOf(grants)
	shareIDs, clientIDs, caseIDs, views := refs.ShareIDs, refs.ClientIDs, refs.CaseIDs, refs.Views
	var (
		shares          []casescribe.Share
		names           shareNames
		errSh, errNames error
		wg              sync.WaitGroup
	)
	wg.Go(func() { shares, errSh = s.currentShares(s.store.GetShares(r.Context(), c.OrgID, shareIDs)) })
	names, errNames = s.names(r, c, clientIDs, caseIDs, views)
	wg.Wait()
	if err := errors.Join(errSh, errNames); err != nil {
		return nil, err
	}
	return accessLabels(shares, names)[userID], nil
}

// retiredVisibleClients is the old client-level sharing field: present in any user body, it is
// refused with a pointer to case sharing rather than silently ignored.
type retiredVisibleClients struct {
	VisibleClients json.RawMessage `json:"visibleClients"`
}

func (r retiredVisibleClients) check() error {
	if r.VisibleClients != nil {
		return casescribe.Errorf(casescribe.EGONE, "visibleClients is no longer supported: share cases, or all cases of a client, from the case's Share dialog (POST /cases/{caseId}/shares).")
	}
	return nil
}

// member loads the membership named by the path. An id that cannot be a user answers like an
// unknown one.
func (s *Server) member(r *http.Request, c casescribe.Caller) (casescribe.Membership, error) {
	id := r.PathValue("userId")
	if !store.ValidUserID(id) {
		return casescribe.Membership{}, casescribe.Errorf(casescribe.ENOTFOUND, "User not found.")
	}
	m, err := s.store.GetMembership(r.Context(), c.OrgID, id)
	if casescribe.ErrorCode(err) == casescribe.ENOTFOUND {
		return casescribe.Membership{}, casescribe.Errorf(casescribe.ENOTFOUND, "User not found.")
	}
	return m, err
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	var (
		page               casescribe.Page[casescribe.Membership]
		shares             []casescribe.Share
		errPage, errShares error
		wg                 sync.WaitGroup
	)
	wg.Go(func() { shares, errShares = s.currentShares(s.store.OrgShares(r.Context(), c.OrgID)) })
	page, errPage = s.store.ListMembers(r.Context(), c.OrgID, cursor, limit)
	wg.Wait()
	if err := errors.Join(errPage, errShares); err != nil {
		return err
	}
	onPage := map[string]bool{}
	for _, m := range page.Items {
		onPage[m.UserID] = true
	}
	var mine []casescribe.Share
	for _, sh := range shares {
		if onPage[sh.GuestID] {
			mine = append(mine, sh)
		}
	}
	clientIDs, caseIDs, views := shareTargets(mine)
	names, err := s.names(r, c, clientIDs, caseIDs, views)
	if err != nil {
		return err
	}
	labels := accessLabels(mine, names)
	items := make([]memberJSON, 0, len(page.Items))
	for _, m := range page.Items {
		items = append(items, newMemberJSON(m, labels[m.UserID]))
	}
	writeJSON(w, http.StatusOK, newList(items, page.NextCursor))
	return nil
}

// getUser answers the user detail: the person and, for a guest, the access chips, each
// removable with DELETE /shares/{shareId}.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var (
		chips   []accessJSON
		errChip error
		wg      sync.WaitGroup
	)
	if id := r.PathValue("userId"); store.ValidUserID(id) {
		wg.Go(func() { chips, errChip = s.memberAccess(r, c, id) })
	}
	m, err := s.member(r, c)
	wg.Wait()
	if err := errors.Join(err, errChip); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newMemberJSON(m, chips))
	return nil
}

type updateUserBody struct {
	Role casescribe.Role `json:"role"`
	retiredVisibleClients
}

// updateUser changes a member's role. The organization keeps at least one admin.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body updateUserBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if err := body.check(); err != nil {
		return err
	}
	if !body.Role.Valid() {
		return casescribe.Errorf(casescribe.EINVALID, `Field "role" must be one of admin, member, guest.`)
	}
	m, err := s.member(r, c)
	if err != nil {
		return err
	}
	changed := m
	changed.Role = body.Role
	m, err = s.store.ChangeRole(s.memberAudited(r, c, audit.MemberRole, m, &changed), m, body.Role)
	if err != nil {
		return err
	}
	chips, err := s.memberAccess(r, c, m.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newMemberJSON(m, chips))
	return nil
}

// deleteUser removes a person from this organization only; their other organizations, and
// their login, are untouched.
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	m, err := s.member(r, c)
	if err != nil {
		return err
	}
	if err := s.store.RemoveMember(s.memberAudited(r, c, audit.MemberRemove, m, nil), m); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
