package api

import (
	"context"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
)

type filterJSON struct {
	Tags    []string `json:"tags"`
	KeyOnly bool     `json:"keyOnly"`
	Q       *string  `json:"q"`
	From    *string  `json:"from"`
	To      *string  `json:"to"`
}

type sortJSON struct {
	Field string `json:"field"`
	Order string `json:"order"`
}

type viewJSON struct {
	ID        string     `json:"id"`
	CaseID    string     `json:"caseId"`
	Name      string     `json:"name"`
	Filter    filterJSON `json:"filter"`
	Sort      sortJSON   `json:"sort"`
	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt time.Time  `json:"updatedAt"`
	// ShareCount counts the shares limited to the view, for staff.
	ShareCount *int `json:"shareCount,omitempty"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func newViewJSON(v casescribe.SavedView, staff bool) viewJSON {
	j := viewJSON{ID: v.ID, CaseID: v.CaseID, Name: v.Name,
		Filter: filterJSON{Tags: v.Filter.Tags, KeyOnly: v.Filter.KeyOnly, Q: optional(v.Filter.Query),
			From: optional(v.Filter.From), To: optional(v.Filter.To)},
		Sort:      sortJSON{Field: string(v.Sort.Field), Order: "asc"},
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
	if j.Filter.Tags == nil {
		j.Filter.Tags = []string{}
	}
	if j.Sort.Field == "" {
		j.Sort.Field = string(casescribe.SortByDate)
	}
	if v.Sort.Desc {
		j.Sort.Order = "desc"
	}
	if staff {
		n := v.ShareCount
		j.ShareCount = &n
	}
	return j
}

type viewBody struct {
	Name   *string         `json:"name"`
	Filter *viewFilterBody `json:"filter"`
	Sort   *viewSortBody   `json:"sort"`
}

type viewFilterBody struct {
	Tags    []string `json:"tags"`
	KeyOnly bool     `json:"keyOnly"`
	Q       *string  `json:"q"`
	From    *string  `json:"from"`
	To      *string  `json:"to"`
}

type viewSortBody struct {
	Field string `json:"field"`
	Order string `json:"order"`
}

// apply validates the body and writes what it sets into v.
func (b viewBody) apply(v *casescribe.SavedView, creating bool) error {
	if b.Name != nil || creating {
		name, err := validName("name", deref(b.Name))
		if err != nil {
			return err
		}
		v.Name = name
	}
	if b.Filter != nil {
		tags, err := validTags("filter.tags", b.Filter.Tags, access.MaxFilterTags)
		if err != nil {
			return err
		}
		f := casescribe.FactFilter{Tags: tags, KeyOnly: b.Filter.KeyOnly, Query: strings.TrimSpace(deref(b.Filter.Q)),
			From: deref(b.Filter.From), To: deref(b.Filter.To)}
		if utf8.RuneCountInString(f.Query) > MaxSearch || !utf8.ValidString(f.Query) || strings.IndexFunc(f.Query, unicode.IsControl) >= 0 {
			return casescribe.Errorf(casescribe.EINVALID, `Field "filter.q" must be text of at most %d characters, without line breaks.`, MaxSearch)
		}
		for field, d := range map[string]string{"filter.from": f.From, "filter.to": f.To} {
			if d != "" {
				if err := validDate(field, d); err != nil {
					return err
				}
			}
		}
		if f.From != "" && f.To != "" && f.From > f.To {
			return casescribe.Errorf(casescribe.EINVALID, `Field "filter.from" must not be after "filter.to".`)
		}
		v.Filter = f
	}
	if b.Sort != nil {
		order, err := parseSort(b.Sort.Field, b.Sort.Order)
		if err != nil {
			return err
		}
		v.Sort = order
	}
	if creating && v.Sort.Field == "" {
		v.Sort.Field = casescribe.SortByDate
	}
	return nil
}

func (s *Server) listViews(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	cc, err := s.pathCase(r, c, contentLoad{views: true})
	if err != nil {
		return err
	}
	views := cc.scope.SeesViews(cc.views)
	if c.Role.Staff() {
		// Each view's count of the shares limited to it leaves out those that have ended, so
		// the shares are read rather than the views' counters.
		shares, err := s.currentShares(s.store.ClientShares(r.Context(), c.OrgID, cc.k.ClientID))
		if err != nil {
			return err
		}
		using := map[string]int{}
		for _, sh := range shares {
			if sh.Scope == casescribe.ScopeCase && sh.CaseID == cc.k.ID && sh.ViewID != "" {
				using[sh.ViewID]++
			}
		}
		for i := range views {
			views[i].ShareCount = using[views[i].ID]
		}
	}
	items := make([]viewJSON, 0, len(views))
	for _, v := range views {
		items = append(items, newViewJSON(v, c.Role.Staff()))
	}
	writeJSON(w, http.StatusOK, newList(items, ""))
	return nil
}

func (s *Server) createView(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body viewBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	now := s.now()
	v := casescribe.SavedView{OrgID: c.OrgID, ID: s.newID(), CreatedBy: c.UserID, CreatedAt: now, UpdatedAt: now}
	if err := body.apply(&v, true); err != nil {
		return err
	}
	cc, err := s.pathCase(r, c, contentLoad{})
	if err != nil {
		return err
	}
	v.CaseID, v.ClientID = cc.k.ID, cc.k.ClientID
	if err := s.store.CreateView(r.Context(), v); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newViewJSON(v, true))
	return nil
}

// pathView reads the view of the path, for staff (the only ones who change views).
func (s *Server) pathView(r *http.Request, c casescribe.Caller) (casescribe.SavedView, error) {
	var v casescribe.SavedView
	_, _, err := s.pathItem(r, c, store.KindView, "viewId", contentLoad{}, func(ctx context.Context, ref store.Ref) error {
		var err error
		v, err = s.store.GetView(ctx, c.OrgID, ref.CaseID, ref.ID)
		return err
	})
	return v, err
}

func (s *Server) updateView(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body viewBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	v, err := s.pathView(r, c)
	if err != nil {
		return err
	}
	if err := body.apply(&v, false); err != nil {
		return err
	}
	v.UpdatedAt = s.now()
	v, err = s.store.UpdateView(r.Context(), v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newViewJSON(v, true))
	return nil
}

func (s *Server) deleteView(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	v, err := s.pathView(r, c)
	if err != nil {
		return err
	}
	err = s.store.DeleteView(r.Context(), v)
	if casescribe.ErrorCode(err) == casescribe.ECONFLICT {
		// The shares limited to the view may all have ended: they no longer hold it.
		if cleared, errClear := s.clearEndedOfView(r.Context(), v); errClear != nil {
			return errClear
		} else if cleared {
			err = s.store.DeleteView(r.Context(), v)
		}
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
