package api

import (
	"encoding/json"
	"net/http"

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

func newMemberJSON(m casescribe.Membership) memberJSON {
	return memberJSON{ID: m.UserID, Email: m.Email, Name: m.Name, Role: m.Role, Status: m.Status, Access: []accessJSON{}}
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
	page, err := s.store.ListMembers(r.Context(), c.OrgID, cursor, limit)
	if err != nil {
		return err
	}
	items := make([]memberJSON, 0, len(page.Items))
	for _, m := range page.Items {
		items = append(items, newMemberJSON(m))
	}
	writeJSON(w, http.StatusOK, newList(items, page.NextCursor))
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	m, err := s.member(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newMemberJSON(m))
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
	m, err = s.store.ChangeRole(r.Context(), m, body.Role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newMemberJSON(m))
	return nil
}

// deleteUser removes a person from this organization only; their other organizations, and
// their login, are untouched.
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	m, err := s.member(r, c)
	if err != nil {
		return err
	}
	if err := s.store.RemoveMember(r.Context(), m); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
