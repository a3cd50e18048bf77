package api

import (
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
	"github.com/oklog/ulid/v2"
)

type clientJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CaseCount int       `json:"caseCount"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

func newClientJSON(c casescribe.Client) clientJSON {
	return clientJSON{ID: c.ID, Name: c.Name, CaseCount: c.CaseCount, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

type caseRefJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// ShareCount is the case's share badge (guests with access to it), for staff.
	ShareCount *int `json:"shareCount,omitempty"`
}

// guestShareJSON is one line of the client's sharing popover.
type guestShareJSON struct {
	ShareID  string                `json:"shareId"`
	Guest    guestNameJSON         `json:"guest"`
	Scope    casescribe.ShareScope `json:"scope"`
	CaseID   *string               `json:"caseId"`
	CaseName *string               `json:"caseName"`
}

type guestNameJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type clientDetailJSON struct {
	clientJSON
	Cases           []caseRefJSON `json:"cases"`
	CasesNextCursor *string       `json:"casesNextCursor"`
	// GuestCount and GuestShares are the client's sharing indicators, for staff.
	GuestCount  *int             `json:"guestCount,omitempty"`
	GuestShares []guestShareJSON `json:"guestShares,omitempty"`
}

type nameBody struct {
	Name string `json:"name"`
}

// decodeName reads a body that is only a name, {"name": ...}, and validates the name.
func decodeName(w http.ResponseWriter, r *http.Request) (string, error) {
	var body nameBody
	if err := decodeBody(w, r, &body); err != nil {
		return "", err
	}
	return validName("name", body.Name)
}

// pathID returns a path parameter that must be an id. A malformed id is answered exactly like
// an unknown one, so that the shape of an id tells nothing either.
func pathID(r *http.Request, param, what string) (string, error) {
	id := r.PathValue(param)
	if _, err := ulid.ParseStrict(id); err != nil {
		return "", casescribe.Errorf(casescribe.ENOTFOUND, "%s not found.", what)
	}
	return id, nil
}

// visibleClient loads a client and answers ENOTFOUND, as for an unknown id, when the caller
// may not see it.
func (s *Server) visibleClient(r *http.Request, c casescribe.Caller) (casescribe.Client, error) {
	id, err := pathID(r, "clientId", "Client")
	if err != nil {
		return casescribe.Client{}, err
	}
	client, err := s.store.GetClient(r.Context(), c.OrgID, id)
	if err != nil {
		return casescribe.Client{}, err
	}
	if !access.SeesClient(c, client, nil) {
		return casescribe.Client{}, casescribe.Errorf(casescribe.ENOTFOUND, "Client not found.")
	}
	return client, nil
}

// grantFor reads what a guest may open in one client; staff need no grant.
func (s *Server) grantFor(r *http.Request, c casescribe.Caller, clientID string) (access.Grants, error) {
	if c.Role != casescribe.RoleGuest {
		return nil, nil
	}
	g, err := s.grant(r.Context(), c.OrgID, c.UserID, clientID)
	if err != nil {
		return nil, err
	}
	return access.GrantsOf(g), nil
}

// guestClientJSON is a client as a guest sees it: its case count counts only the cases the
// guest can open.
func guestClientJSON(cl casescribe.Client, g casescribe.Grant) clientJSON {
	j := newClientJSON(cl)
	if g.ClientShareID == "" {
		j.CaseCount = len(g.Cases)
	}
	return j
}

func (s *Server) listClients(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	if !access.ListsEverything(c) {
		return s.listGuestClients(w, r, c)
	}
	page, err := s.store.ListClients(r.Context(), c.OrgID, cursor, limit)
	if err != nil {
		return err
	}
	items := make([]clientJSON, 0, len(page.Items))
	for _, cl := range page.Items {
		if access.SeesClient(c, cl, nil) {
			items = append(items, newClientJSON(cl))
		}
	}
	writeJSON(w, http.StatusOK, newList(items, page.NextCursor))
	return nil
}

// listGuestClients lists the clients something is shared from, all at once: it starts from
// the guest's grants (one strongly consistent query), so it costs nothing for what the guest
// cannot see.
func (s *Server) listGuestClients(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	grants, err := s.guestGrants(r.Context(), c.OrgID, c.UserID)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(grants))
	for _, g := range grants {
		ids = append(ids, g.ClientID)
	}
	clients, err := s.store.GetClients(r.Context(), c.OrgID, ids)
	if err != nil {
		return err
	}
	byClient := access.GrantsOf(grants...)
	items := make([]clientJSON, 0, len(grants))
	for _, g := range grants {
		if cl, ok := clients[g.ClientID]; ok && access.SeesClient(c, cl, byClient) {
			items = append(items, guestClientJSON(cl, g))
		}
	}
	writeJSON(w, http.StatusOK, newList(items, ""))
	return nil
}

func (s *Server) createClient(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	name, err := decodeName(w, r)
	if err != nil {
		return err
	}
	now := s.now()
	client := casescribe.Client{OrgID: c.OrgID, ID: s.newID(), Name: name, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateClient(r.Context(), client); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newClientJSON(client))
	return nil
}

// getClient reads the client, the first page of its cases and, for a guest, its grant, all
// at once: every key is known from the path and the caller.
func (s *Server) getClient(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	id, err := pathID(r, "clientId", "Client")
	if err != nil {
		return err
	}
	var (
		client                        casescribe.Client
		cases                         casescribe.Page[casescribe.Case]
		grants                        access.Grants
		shares                        []casescribe.Share
		errCases, errGrant, errShares error
		wg                            sync.WaitGroup
	)
	wg.Go(func() { cases, errCases = s.store.ListClientCases(r.Context(), c.OrgID, id, "", store.MaxLimit) })
	wg.Go(func() { grants, errGrant = s.grantFor(r, c, id) })
	if c.Role.Staff() {
		wg.Go(func() { shares, errShares = s.currentShares(s.store.ClientShares(r.Context(), c.OrgID, id)) })
	}
	client, err = s.store.GetClient(r.Context(), c.OrgID, id)
	wg.Wait()
	if err := errors.Join(err, errGrant); err != nil {
		return err
	}
	if !access.SeesClient(c, client, grants) {
		return casescribe.Errorf(casescribe.ENOTFOUND, "Client not found.")
	}
	if err := errors.Join(errCases, errShares); err != nil {
		return err
	}
	detail := clientDetailJSON{clientJSON: newClientJSON(client), Cases: []caseRefJSON{}}
	if c.Role == casescribe.RoleGuest {
		detail.clientJSON = guestClientJSON(client, grants[client.ID])
	}
	names := map[string]string{}
	for _, k := range cases.Items {
		if !access.SeesCase(c, k, grants) {
			continue
		}
		ref := caseRefJSON{ID: k.ID, Name: k.Name}
		if c.Role.Staff() {
			n := shareBadge(shares, k)
			ref.ShareCount = &n
		}
		detail.Cases = append(detail.Cases, ref)
		names[k.ID] = k.Name
	}
	if c.Role.Staff() {
		detail.GuestShares = []guestShareJSON{}
		guests := map[string]bool{}
		for _, sh := range shares {
			g := guestShareJSON{ShareID: sh.ID, Guest: guestNameJSON{ID: sh.GuestID, Name: sh.GuestName}, Scope: sh.Scope}
			if sh.CaseID != "" {
				caseID, caseName := sh.CaseID, names[sh.CaseID]
				g.CaseID, g.CaseName = &caseID, &caseName
			}
			detail.GuestShares = append(detail.GuestShares, g)
			guests[sh.GuestID] = true
		}
		n := len(guests)
		detail.GuestCount = &n
	}
	if cases.NextCursor != "" {
		detail.CasesNextCursor = &cases.NextCursor
	}
	writeJSON(w, http.StatusOK, detail)
	return nil
}

func (s *Server) updateClient(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	name, err := decodeName(w, r)
	if err != nil {
		return err
	}
	client, err := s.visibleClient(r, c)
	if err != nil {
		return err
	}
	client, err = s.store.UpdateClient(r.Context(), c.OrgID, client.ID, name, s.now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newClientJSON(client))
	return nil
}

func (s *Server) deleteClient(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	client, err := s.visibleClient(r, c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteClient(r.Context(), c.OrgID, client.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
