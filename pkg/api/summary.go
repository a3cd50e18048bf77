package api

import (
	"context"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// MaxSummaryText bounds a case summary, in characters.
const MaxSummaryText = 100000

type summaryJSON struct {
	CaseID    string      `json:"caseId"`
	Text      string      `json:"text"`
	Version   int         `json:"version"`
	UpdatedAt *time.Time  `json:"updatedAt"`
	UpdatedBy *personJSON `json:"updatedBy"`
	// Editable says whether the caller may change it: read-only for guests.
	Editable bool `json:"editable"`
}

func newSummaryJSON(sum casescribe.CaseSummary, c casescribe.Caller) summaryJSON {
	j := summaryJSON{CaseID: sum.CaseID, Text: sum.Text, Version: sum.Version, Editable: access.Permit(c, access.EditSummary) == nil}
	if sum.Version > 0 {
		j.UpdatedAt = &sum.UpdatedAt
		j.UpdatedBy = &personJSON{ID: sum.UpdatedByID, Name: sum.UpdatedByName}
	}
	return j
}

func (s *Server) getSummary(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	id, err := pathID(r, "caseId", "Case")
	if err != nil {
		return err
	}
	var sum casescribe.CaseSummary
	cc, err := s.openCase(r, c, contentLoad{caseID: id, notFound: "Case not found.", extra: func(ctx context.Context) error {
		var err error
		sum, err = s.store.GetSummary(ctx, c.OrgID, id)
		return err
	}})
	if err != nil {
		return err
	}
	if cc.scope.ViewLocked() {
		// The summary tells the whole case; a guest limited to a view would read beyond it.
		return casescribe.Errorf(casescribe.EVIEWLOCKED, "Your access is limited to a saved view; the case summary covers the whole case and is not shared with you.")
	}
	writeJSON(w, http.StatusOK, newSummaryJSON(sum, c))
	return nil
}

type summaryBody struct {
	Text    *string `json:"text"`
	Version *int    `json:"version"`
}

// putSummary replaces the summary. With "version" it is a compare-and-set: it fails with 409
// if someone else saved meanwhile.
func (s *Server) putSummary(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body summaryBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if body.Text == nil {
		return casescribe.Errorf(casescribe.EINVALID, `Field "text" is required (it may be empty).`)
	}
	text := strings.TrimSpace(*body.Text)
	if !utf8.ValidString(text) || utf8.RuneCountInString(text) > MaxSummaryText {
		return casescribe.Errorf(casescribe.EINVALID, `Field "text" must be valid text of at most %d characters.`, MaxSummaryText)
	}
	expect := -1
	if body.Version != nil {
		if *body.Version < 0 {
			return casescribe.Errorf(casescribe.EINVALID, `Field "version" must be 0 or more.`)
		}
		expect = *body.Version
	}
	id, err := pathID(r, "caseId", "Case")
	if err != nil {
		return err
	}
	var current casescribe.CaseSummary
	cc, err := s.openCase(r, c, contentLoad{caseID: id, notFound: "Case not found.", extra: func(ctx context.Context) error {
		var err error
		current, err = s.store.GetSummary(ctx, c.OrgID, id)
		return err
	}})
	if err != nil {
		return err
	}
	if expect < 0 {
		expect = current.Version
	}
	sum := casescribe.CaseSummary{OrgID: c.OrgID, CaseID: cc.k.ID, Text: text, UpdatedByID: c.UserID,
		UpdatedByName: displayName(c), UpdatedAt: s.now(), Version: expect + 1}
	if err := s.store.PutSummary(r.Context(), sum, cc.k.ClientID, expect); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newSummaryJSON(sum, c))
	return nil
}
