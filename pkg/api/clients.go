package api

import (
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
}

type clientDetailJSON struct {
	clientJSON
	Cases           []caseRefJSON `json:"cases"`
	CasesNextCursor *string       `json:"casesNextCursor"`
}

type nameBody struct {
	Name string `json:"name"`
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
	if !access.SeesClient(c, client) {
		return casescribe.Client{}, casescribe.Errorf(casescribe.ENOTFOUND, "Client not found.")
	}
	return client, nil
}

func (s *Server) listClients(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	var page casescribe.Page[casescribe.Client]
	if access.ListsEverything(c) {
		if page, err = s.store.ListClients(r.Context(), c.OrgID, cursor, limit); err != nil {
			return err
		}
	}
	items := make([]clientJSON, 0, len(page.Items))
	for _, cl := range page.Items {
		if access.SeesClient(c, cl) {
			items = append(items, newClientJSON(cl))
		}
	}
	writeJSON(w, http.StatusOK, newList(items, page.NextCursor))
	return nil
}

func (s *Server) createClient(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body nameBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	name, err := validName("name", body.Name)
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

// getClient reads the client and the first page of its cases at the same time: both keys are
// known from the path, so the visibility check costs no extra round trip.
func (s *Server) getClient(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	id, err := pathID(r, "clientId", "Client")
	if err != nil {
		return err
	}
	var (
		client   casescribe.Client
		cases    casescribe.Page[casescribe.Case]
		errCases error
		wg       sync.WaitGroup
	)
	wg.Go(func() { cases, errCases = s.store.ListClientCases(r.Context(), c.OrgID, id, "", store.MaxLimit) })
	client, err = s.store.GetClient(r.Context(), c.OrgID, id)
	wg.Wait()
	if err != nil {
		return err
	}
	if !access.SeesClient(c, client) {
		return casescribe.Errorf(casescribe.ENOTFOUND, "Client not found.")
	}
	if errCases != nil {
		return errCases
	}
	detail := clientDetailJSON{clientJSON: newClientJSON(client), Cases: []caseRefJSON{}}
	for _, k := range cases.Items {
		if access.SeesCase(c, k) {
			detail.Cases = append(detail.Cases, caseRefJSON{ID: k.ID, Name: k.Name})
		}
	}
	if cases.NextCursor != "" {
		detail.CasesNextCursor = &cases.NextCursor
	}
	writeJSON(w, http.StatusOK, detail)
	return nil
}

func (s *Server) updateClient(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body nameBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	name, err := validName("name", body.Name)
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
