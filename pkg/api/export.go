package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// exportFacts answers a CSV of exactly the facts the caller can see (for a guest limited to a
// view, the view), under the same filters as the list. Its first rows say who exported it,
// when, and under which access, so that a copy that travels carries its provenance.
func (s *Server) exportFacts(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	cc, err := s.pathCase(r, c, contentLoad{facts: true, views: true, selects: factSelection(r)})
	if err != nil {
		return err
	}
	filter, order, view, err := resolveFactQuery(r, cc)
	if err != nil {
		return err
	}
	facts := cc.scope.Select(cc.facts, filter, order)
	rows := [][]string{
		{"Case", cc.k.Name},
		{"Exported by", fmt.Sprintf("%s <%s>", displayName(c), c.Email)},
		{"Exported at", s.now().Format(time.RFC3339)},
		{"Access", exportAccess(c, cc.scope, view)},
		{"Facts", strconv.Itoa(len(facts))},
		{},
		{"id", "date", "text", "tags", "keyFact", "documentId"},
	}
	for _, f := range facts {
		rows = append(rows, []string{f.ID, f.Date, f.Text, strings.Join(f.Tags, "; "), strconv.FormatBool(f.KeyFact), f.DocumentID})
	}
	// What a guest takes out of a case is audited; an export that cannot be recorded is refused.
	if cc.scope.Guest {
		viewID := ""
		if cc.scope.View != nil {
			viewID = cc.scope.View.ID
		}
		if err := s.store.AppendAudit(r.Context(), s.exportRecord(c, cc.k.ID, cc.scope.ShareID, viewID, len(facts))); err != nil {
			return err
		}
	}
	return writeCSV(w, cc.k.Name+" - facts.csv", rows)
}

// exportAccess says under which access an export was made.
func exportAccess(c casescribe.Caller, sc access.Scope, view *casescribe.SavedView) string {
	var who string
	switch {
	case !sc.Guest:
		who = fmt.Sprintf("Organization %s", c.Role)
	case sc.ViewLocked():
		who = fmt.Sprintf("Guest share %s, limited to the saved view %q", sc.ShareID, sc.View.Name)
	default:
		who = fmt.Sprintf("Guest share %s, whole case", sc.ShareID)
	}
	if view != nil && !sc.ViewLocked() {
		who += fmt.Sprintf("; saved view %q", view.Name)
	}
	return who
}
