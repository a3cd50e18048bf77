package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
)

type caseJSON struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	ClientID   string    `json:"clientId"`
	ClientName string    `json:"clientName"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
	// ShareCount is the number of guests with access (the "Share · 2" badge), for staff.
	ShareCount *int `json:"shareCount,omitempty"`
	// Access is how a guest holds the case, for guests.
	Access *caseAccessJSON `json:"access,omitempty"`
}

type caseAccessJSON struct {
	Scope    casescribe.ShareScope `json:"scope"`
	ViewID   *string               `json:"viewId"`
	ViewName *string               `json:"viewName"`
}

func newCaseJSON(k casescribe.Case, clientName string) caseJSON {
	return caseJSON{ID: k.ID, Name: k.Name, ClientID: k.ClientID, ClientName: clientName,
		CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt}
}

// visibleCase loads a case and answers ENOTFOUND, as for an unknown id, when the caller may
// not see it.
func (s *Server) visibleCase(r *http.Request, c casescribe.Caller) (casescribe.Case, error) {
	id, err := pathID(r, "caseId", "Case")
	if err != nil {
		return casescribe.Case{}, err
	}
	k, err := s.store.GetCase(r.Context(), c.OrgID, id)
	if err != nil {
		return casescribe.Case{}, err
	}
	if !access.SeesCase(c, k, nil) {
		return casescribe.Case{}, casescribe.Errorf(casescribe.ENOTFOUND, "Case not found.")
	}
	return k, nil
}

// writeCases answers a page of cases with their client names, read in one batch.
func (s *Server) writeCases(w http.ResponseWriter, r *http.Request, c casescribe.Caller, page casescribe.Page[casescribe.Case], grants access.Grants, clientNames map[string]string) error {
	var visible []casescribe.Case
	var missing []string
	for _, k := range page.Items {
		if !access.SeesCase(c, k, grants) {
			continue
		}
		visible = append(visible, k)
		if _, ok := clientNames[k.ClientID]; !ok {
			missing = append(missing, k.ClientID)
		}
	}
	if len(missing) > 0 {
		clients, err := s.store.GetClients(r.Context(), c.OrgID, missing)
		if err != nil {
			return err
		}
		for id, cl := range clients {
			clientNames[id] = cl.Name
		}
	}
	items := make([]caseJSON, 0, len(visible))
	for _, k := range visible {
		items = append(items, newCaseJSON(k, clientNames[k.ClientID]))
	}
	writeJSON(w, http.StatusOK, newList(items, page.NextCursor))
	return nil
}

func (s *Server) listCases(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	if !access.ListsEverything(c) {
		return s.listGuestCases(w, r, c)
	}
	page, err := s.store.ListCases(r.Context(), c.OrgID, cursor, limit)
	if err != nil {
		return err
	}
	return s.writeCases(w, r, c, page, nil, map[string]string{})
}

// listGuestCases lists every case shared with a guest, all at once, starting from the guest's
// grants: the cases of shared clients, and the shared cases themselves, read in parallel.
func (s *Server) listGuestCases(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	grants, err := s.guestGrants(r.Context(), c.OrgID, c.UserID)
	if err != nil {
		return err
	}
	var (
		mu        sync.Mutex
		cases     []casescribe.Case
		errs      []error
		wg        sync.WaitGroup
		caseIDs   []string
		clientIDs []string
		clients   map[string]casescribe.Client
	)
	collect := func(ks []casescribe.Case, err error) {
		mu.Lock()
		defer mu.Unlock()
		cases, errs = append(cases, ks...), append(errs, err)
	}
	for _, g := range grants {
		clientIDs = append(clientIDs, g.ClientID)
		if g.ClientShareID != "" {
			wg.Go(func() { collect(s.store.AllClientCases(r.Context(), c.OrgID, g.ClientID)) })
			continue
		}
		for id := range g.Cases {
			caseIDs = append(caseIDs, id)
		}
	}
	if len(caseIDs) > 0 {
		wg.Go(func() { collect(s.store.GetCases(r.Context(), c.OrgID, caseIDs)) })
	}
	// The client names in the same wave: their ids are the grants'.
	wg.Go(func() {
		var err error
		clients, err = s.store.GetClients(r.Context(), c.OrgID, clientIDs)
		collect(nil, err)
	})
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	names := make(map[string]string, len(clients))
	for id, cl := range clients {
		names[id] = cl.Name
	}
	slices.SortFunc(cases, func(a, b casescribe.Case) int { return strings.Compare(a.ID, b.ID) })
	return s.writeCases(w, r, c, casescribe.Page[casescribe.Case]{Items: cases}, access.GrantsOf(grants...), names)
}

// listClientCases reads the client (for the visibility check and its name), the page of cases
// and, for a guest, the grant, at the same time.
func (s *Server) listClientCases(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "clientId", "Client")
	if err != nil {
		return err
	}
	var (
		client             casescribe.Client
		page               casescribe.Page[casescribe.Case]
		grants             access.Grants
		errCases, errGrant error
		wg                 sync.WaitGroup
	)
	wg.Go(func() { page, errCases = s.store.ListClientCases(r.Context(), c.OrgID, id, cursor, limit) })
	wg.Go(func() { grants, errGrant = s.grantFor(r, c, id) })
	client, err = s.store.GetClient(r.Context(), c.OrgID, id)
	wg.Wait()
	if err := errors.Join(err, errGrant); err != nil {
		return err
	}
	if !access.SeesClient(c, client, grants) {
		return casescribe.Errorf(casescribe.ENOTFOUND, "Client not found.")
	}
	if errCases != nil {
		return errCases
	}
	return s.writeCases(w, r, c, page, grants, map[string]string{client.ID: client.Name})
}

func (s *Server) createCase(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	name, err := decodeName(w, r)
	if err != nil {
		return err
	}
	client, err := s.visibleClient(r, c)
	if err != nil {
		return err
	}
	now := s.now()
	k := casescribe.Case{OrgID: c.OrgID, ID: s.newID(), ClientID: client.ID, Name: name, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateCase(r.Context(), k); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newCaseJSON(k, client.Name))
	return nil
}

// getCase reads the case (and for a guest its saved views, to name the one the guest may be
// limited to), then its client and, for a guest, the grant of that client, at the same time:
// two round trips, the access check included.
func (s *Server) getCase(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	id, err := pathID(r, "caseId", "Case")
	if err != nil {
		return err
	}
	var (
		views    []casescribe.SavedView
		errViews error
		wgViews  sync.WaitGroup
	)
	if c.Role == casescribe.RoleGuest {
		wgViews.Go(func() { views, errViews = s.store.CaseViews(r.Context(), c.OrgID, id) })
	}
	k, err := s.store.GetCase(r.Context(), c.OrgID, id)
	wgViews.Wait()
	if err != nil {
		return err
	}
	var (
		client               casescribe.Client
		grants               access.Grants
		shares               []casescribe.Share
		errClient, errShares error
		wg                   sync.WaitGroup
	)
	wg.Go(func() { client, errClient = s.store.GetClient(r.Context(), c.OrgID, k.ClientID) })
	if c.Role.Staff() {
		// The badge counts the shares that have not ended, so they are read, not counted.
		wg.Go(func() { shares, errShares = s.currentShares(s.store.ClientShares(r.Context(), c.OrgID, k.ClientID)) })
	}
	grants, err = s.grantFor(r, c, k.ClientID)
	wg.Wait()
	if err := errors.Join(err, errClient); err != nil {
		return err
	}
	if !access.SeesCase(c, k, grants) {
		return casescribe.Errorf(casescribe.ENOTFOUND, "Case not found.")
	}
	if errViews != nil {
		return errViews
	}
	out := newCaseJSON(k, client.Name)
	if c.Role == casescribe.RoleGuest {
		scope, viewID, _ := access.CaseAccess(k, grants)
		out.Access = &caseAccessJSON{Scope: scope}
		if viewID != "" {
			out.Access.ViewID = &viewID
			if v := viewByID(views, viewID); v != nil {
				out.Access.ViewName = &v.Name
			}
		}
	} else {
		if errShares != nil {
			return errShares
		}
		n := shareBadge(shares, k)
		out.ShareCount = &n
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) updateCase(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	name, err := decodeName(w, r)
	if err != nil {
		return err
	}
	k, err := s.visibleCase(r, c)
	if err != nil {
		return err
	}
	var (
		client    casescribe.Client
		errClient error
		wg        sync.WaitGroup
	)
	wg.Go(func() { client, errClient = s.store.GetClient(r.Context(), c.OrgID, k.ClientID) })
	k, err = s.store.UpdateCase(r.Context(), c.OrgID, k.ID, name, s.now())
	wg.Wait()
	if err != nil {
		return err
	}
	if errClient != nil {
		return errClient
	}
	writeJSON(w, http.StatusOK, newCaseJSON(k, client.Name))
	return nil
}

func (s *Server) deleteCase(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	k, err := s.visibleCase(r, c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteCase(r.Context(), c.OrgID, k.ClientID, k.ID); err != nil {
		return err
	}
	// The case is gone, and with it every way to its content; what remains is cleanup.
	keys, err := s.store.PurgeCase(r.Context(), c.OrgID, k.ID)
	if err != nil {
		s.log.ErrorContext(r.Context(), "case content left after delete", "case", k.ID, "error", err.Error())
	}
	s.deleteFiles(r.Context(), keys...)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
