package api

import (
	"net/http"
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
	if !access.SeesCase(c, k) {
		return casescribe.Case{}, casescribe.Errorf(casescribe.ENOTFOUND, "Case not found.")
	}
	return k, nil
}

// writeCases answers a page of cases with their client names, read in one batch.
func (s *Server) writeCases(w http.ResponseWriter, r *http.Request, c casescribe.Caller, page casescribe.Page[casescribe.Case], clientNames map[string]string) error {
	var visible []casescribe.Case
	var missing []string
	for _, k := range page.Items {
		if !access.SeesCase(c, k) {
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
	var page casescribe.Page[casescribe.Case]
	if access.ListsEverything(c) {
		if page, err = s.store.ListCases(r.Context(), c.OrgID, cursor, limit); err != nil {
			return err
		}
	}
	return s.writeCases(w, r, c, page, map[string]string{})
}

// listClientCases reads the client (for the visibility check and its name) and the page of
// cases at the same time.
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
		client   casescribe.Client
		page     casescribe.Page[casescribe.Case]
		errCases error
		wg       sync.WaitGroup
	)
	wg.Go(func() { page, errCases = s.store.ListClientCases(r.Context(), c.OrgID, id, cursor, limit) })
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
	return s.writeCases(w, r, c, page, map[string]string{client.ID: client.Name})
}

func (s *Server) createCase(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
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
	now := s.now()
	k := casescribe.Case{OrgID: c.OrgID, ID: s.newID(), ClientID: client.ID, Name: name, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateCase(r.Context(), k); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newCaseJSON(k, client.Name))
	return nil
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	k, err := s.visibleCase(r, c)
	if err != nil {
		return err
	}
	client, err := s.store.GetClient(r.Context(), c.OrgID, k.ClientID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newCaseJSON(k, client.Name))
	return nil
}

func (s *Server) updateCase(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body nameBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	name, err := validName("name", body.Name)
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
	w.WriteHeader(http.StatusNoContent)
	return nil
}
