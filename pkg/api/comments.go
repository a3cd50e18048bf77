package api

import (
	"context"
	"net/http"
	"time"

	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
)

// MaxCommentText bounds a comment, in characters.
const MaxCommentText = 5000

type personJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type commentJSON struct {
	ID        string     `json:"id"`
	FactID    string     `json:"factId"`
	Text      string     `json:"text"`
	Author    personJSON `json:"author"`
	CreatedAt time.Time  `json:"createdAt"`
}

func newCommentJSON(c casescribe.Comment) commentJSON {
	return commentJSON{ID: c.ID, FactID: c.FactID, Text: c.Text,
		Author: personJSON{ID: c.AuthorID, Name: c.AuthorName}, CreatedAt: c.CreatedAt}
}

// listComments answers the comments of a fact the caller can see; a fact outside the caller's
// scope answers not found, its comments included. The page is read with the fact, in the
// same round trip, and answered only once the fact is found visible.
func (s *Server) listComments(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	var page casescribe.Page[casescribe.Comment]
	_, _, err = s.readFact(r, c, func(ctx context.Context, ref store.Ref) error {
		var err error
		page, err = s.store.FactComments(ctx, c.OrgID, ref.CaseID, ref.ID, cursor, limit)
		return err
	})
	if err != nil {
		return err
	}
	items := make([]commentJSON, 0, len(page.Items))
	for _, cm := range page.Items {
		items = append(items, newCommentJSON(cm))
	}
	writeJSON(w, http.StatusOK, newList(items, page.NextCursor))
	return nil
}

type commentBody struct {
	Text string `json:"text"`
}

func (s *Server) createComment(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body commentBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	text, err := validText("text", body.Text, MaxCommentText)
	if err != nil {
		return err
	}
	f, _, err := s.visibleFact(r, c)
	if err != nil {
		return err
	}
	cm := casescribe.Comment{OrgID: c.OrgID, CaseID: f.CaseID, FactID: f.ID, ID: s.newID(), Text: text,
		AuthorID: c.UserID, AuthorName: displayName(c), CreatedAt: s.now()}
	// Written only if the fact is still as it was when its visibility was checked.
	if err := s.store.CreateComment(r.Context(), cm, f.Version); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newCommentJSON(cm))
	return nil
}

// displayName is how the caller is shown beside what they write: their name in the
// organization, else their email.
func displayName(c casescribe.Caller) string {
	if c.Name != "" {
		return c.Name
	}
	return c.Email
}
