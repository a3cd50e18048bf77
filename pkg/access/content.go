package access

import (
	"cmp"
	"slices"
	"strings"
	"unicode"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// Scope is how much of one case's content a caller sees: the whole case, or only the facts of
// one saved view (and the documents those facts cite). It is decided once per request, from
// the caller's role, the guest's grant and the case's views, and then every fact or document
// that can leave the request is passed through it: lists, single reads, comments, counts,
// export, search and download.
type Scope struct {
	// View is the saved view a guest is limited to; nil for the whole case.
	View *casescribe.SavedView
	// ShareID is the share the guest holds the case through; "" for staff.
	ShareID string
	// Guest says the caller is a guest.
	Guest bool
}

// ContentScope decides how c sees the content of case k, given the guest's grants and the
// case's saved views. ok is false when c may not see the case at all; callers then answer
// ENOTFOUND, exactly as for an unknown id.
//
// A guest limited to a view that no longer exists sees nothing of the case's content rather
// than the whole case: a missing view never widens access. (Views in use cannot be deleted;
// this is the last line of defence.)
func ContentScope(c casescribe.Caller, k casescribe.Case, g Grants, views []casescribe.SavedView) (Scope, bool) {
	if !SeesCase(c, k, g) {
		return Scope{}, false
	}
	if c.Role.Staff() {
		return Scope{}, true
	}
	sc := Scope{Guest: true}
	gr := g[k.ClientID]
	if cg, shared := gr.Cases[k.ID]; shared {
		sc.ShareID = cg.ShareID
		if cg.ViewID != "" {
			sc.View = &casescribe.SavedView{ID: cg.ViewID, CaseID: k.ID, Filter: nothing}
			for i := range views {
				if views[i].ID == cg.ViewID && views[i].CaseID == k.ID {
					v := views[i]
					sc.View = &v
				}
			}
		}
		return sc, true
	}
	sc.ShareID = gr.ClientShareID
	return sc, true
}

// nothing is a filter no fact passes: the scope of a view that cannot be found.
var nothing = casescribe.FactFilter{From: "9999-12-31", To: "0000-01-01"}

// ViewLocked reports whether the scope fixes filter and sort: a guest limited to a view.
func (sc Scope) ViewLocked() bool { return sc.View != nil }

// Controls are the list controls the web app may show: filter, sort and the Key Facts toggle,
// all hidden for a guest limited to a view.
type Controls struct {
	Filter   bool
	Sort     bool
	KeyFacts bool
}

// Controls returns what the caller may use on fact lists of this case.
func (sc Scope) Controls() Controls {
	open := !sc.ViewLocked()
	return Controls{Filter: open, Sort: open, KeyFacts: open}
}

// SeesFact reports whether the scope includes f.
func (sc Scope) SeesFact(f casescribe.Fact) bool {
	if sc.View == nil {
		return true
	}
	return Matches(sc.View.Filter, f)
}

// SeesViews returns the views of the case the scope may list: all of them, or only the view a
// guest is limited to.
func (sc Scope) SeesViews(views []casescribe.SavedView) []casescribe.SavedView {
	if sc.View == nil {
		return views
	}
	var out []casescribe.SavedView
	for _, v := range views {
		if v.ID == sc.View.ID {
			out = append(out, v)
		}
	}
	return out
}

// SeesDocument reports whether the scope includes document d of the case, given the case's
// facts: every document for the whole case, and for a view only the documents that the view's
// facts cite.
func (sc Scope) SeesDocument(d casescribe.Document, facts []casescribe.Fact) bool {
	if sc.View == nil {
		return true
	}
	for _, f := range facts {
		if f.DocumentID == d.ID && sc.SeesFact(f) {
			return true
		}
	}
	return false
}

// MaxFilterTags bounds the tags one filter may require.
const MaxFilterTags = 10

// FactQuery is what a caller asks of a fact list: a filter and an order, either given in the
// request or taken from a saved view.
type FactQuery struct {
	Filter casescribe.FactFilter
	Sort   casescribe.FactSort
	// Asked says the request carried filter or sort parameters (or named a view).
	Asked bool
}

// Resolve returns the filter and order a fact list runs under: for a guest limited to a view,
// exactly the view's, refusing any filter or sort the request carries with EVIEWLOCKED rather
// than widening or narrowing anything; otherwise the request's own, applied inside the case.
func (sc Scope) Resolve(q FactQuery) (casescribe.FactFilter, casescribe.FactSort, error) {
	if sc.View == nil {
		return q.Filter, q.Sort, nil
	}
	if q.Asked {
		return casescribe.FactFilter{}, casescribe.FactSort{}, casescribe.Errorf(casescribe.EVIEWLOCKED,
			"Your access is limited to the saved view %q: filters and sorting are not available.", sc.View.Name)
	}
	return sc.View.Filter, sc.View.Sort, nil
}

// Select returns the facts in scope that pass filter, in order. The scope is applied first and
// the filter only inside it, so a filter can never reach beyond the scope.
func (sc Scope) Select(facts []casescribe.Fact, filter casescribe.FactFilter, order casescribe.FactSort) []casescribe.Fact {
	var out []casescribe.Fact
	for _, f := range facts {
		if sc.SeesFact(f) && Matches(filter, f) {
			out = append(out, f)
		}
	}
	SortFacts(out, order)
	return out
}

// Matches reports whether f passes filter.
func Matches(filter casescribe.FactFilter, f casescribe.Fact) bool {
	if filter.KeyOnly && !f.KeyFact {
		return false
	}
	for _, want := range filter.Tags {
		if !slices.ContainsFunc(f.Tags, func(t string) bool { return strings.EqualFold(t, want) }) {
			return false
		}
	}
	if filter.From != "" || filter.To != "" {
		if f.Date == "" || (filter.From != "" && f.Date < filter.From) || (filter.To != "" && f.Date > filter.To) {
			return false
		}
	}
	if filter.Query != "" {
		text := fold(f.Text + " " + strings.Join(f.Tags, " "))
		for _, w := range Words(filter.Query) {
			if !strings.Contains(text, w) {
				return false
			}
		}
	}
	return true
}

// Words splits a search into the lower-case words every match must contain.
func Words(q string) []string {
	return strings.FieldsFunc(fold(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func fold(s string) string { return strings.ToLower(s) }

// SortFacts orders facts: by date (facts without a date after all dated ones) or by creation,
// either direction; ties by id, which follows creation.
func SortFacts(facts []casescribe.Fact, order casescribe.FactSort) {
	slices.SortStableFunc(facts, func(a, b casescribe.Fact) int { return CompareFacts(a, b, order) })
}

// CompareFacts is the order of SortFacts: negative when a comes before b.
func CompareFacts(a, b casescribe.Fact, order casescribe.FactSort) int {
	c := 0
	if order.Field != casescribe.SortByCreated {
		switch {
		case a.Date == "" && b.Date != "":
			return 1
		case a.Date != "" && b.Date == "":
			return -1
		}
		c = cmp.Compare(a.Date, b.Date)
	}
	if c == 0 {
		c = cmp.Compare(a.ID, b.ID)
	}
	if order.Desc {
		return -c
	}
	return c
}
