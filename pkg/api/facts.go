package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
	"github.com/oklog/ulid/v2"
)

// Bounds of fact fields.
const (
	MaxFactText  = 10000
	MaxTagLength = 50
	MaxSearch    = 200
)

type factJSON struct {
	ID         string   `json:"id"`
	CaseID     string   `json:"caseId"`
	Text       string   `json:"text"`
	Date       *string  `json:"date"`
	Tags       []string `json:"tags"`
	KeyFact    bool     `json:"keyFact"`
	DocumentID *string  `json:"documentId"`
	// Group is the group AI grouping put the fact in, null for none.
	Group     *string   `json:"group"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int       `json:"version"`
}

func newFactJSON(f casescribe.Fact) factJSON {
	j := factJSON{ID: f.ID, CaseID: f.CaseID, Text: f.Text, Tags: f.Tags, KeyFact: f.KeyFact,
		CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt, Version: f.Version}
	if j.Tags == nil {
		j.Tags = []string{}
	}
	if f.Date != "" {
		j.Date = &f.Date
	}
	if f.DocumentID != "" {
		j.DocumentID = &f.DocumentID
	}
	j.Group = optional(f.Group)
	return j
}

type viewRefJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type controlsJSON struct {
	Filter   bool `json:"filter"`
	Sort     bool `json:"sort"`
	KeyFacts bool `json:"keyFacts"`
}

type factListJSON struct {
	Items      []factJSON `json:"items"`
	NextCursor *string    `json:"nextCursor"`
	// Total counts the facts the list selects, in the caller's scope.
	Total int `json:"total"`
	// View is the saved view the list runs under (the "Viewing:" chip), null for none.
	View     *viewRefJSON `json:"view"`
	Controls controlsJSON `json:"controls"`
}

// validTag trims a tag and checks it.
func validTag(t string) (string, error) {
	t = strings.TrimSpace(t)
	switch {
	case t == "" || utf8.RuneCountInString(t) > MaxTagLength || !utf8.ValidString(t):
		return "", casescribe.Errorf(casescribe.EINVALID, "A tag must be 1 to %d characters.", MaxTagLength)
	case strings.IndexFunc(t, func(r rune) bool { return unicode.IsControl(r) || r == '[' || r == ']' }) >= 0:
		return "", casescribe.Errorf(casescribe.EINVALID, "A tag cannot contain line breaks, control characters or square brackets.")
	}
	return t, nil
}

// validTags checks a list of tags, dropping duplicates.
func validTags(field string, tags []string, max int) ([]string, error) {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t, err := validTag(t)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, t) }) {
			out = append(out, t)
		}
	}
	if len(out) > max {
		return nil, casescribe.Errorf(casescribe.EINVALID, "Field %q holds at most %d tags.", field, max)
	}
	slices.Sort(out)
	return out, nil
}

// validDate checks a YYYY-MM-DD date.
func validDate(field, d string) error {
	if _, err := time.Parse(time.DateOnly, d); err != nil {
		return casescribe.Errorf(casescribe.EINVALID, "Field %q must be a date as YYYY-MM-DD.", field)
	}
	return nil
}

func validFactText(text string) (string, error) { return validText("text", text, MaxFactText) }

func validDocumentID(id string) error {
	if _, err := ulid.ParseStrict(id); err != nil {
		return casescribe.Errorf(casescribe.EINVALID, `Field "documentId" names no document of this case.`)
	}
	return nil
}

// --- queries ---------------------------------------------------------------------------------

// factQuery reads the filter and sort parameters of a fact list or export.
func factQuery(r *http.Request, views []casescribe.SavedView) (access.FactQuery, *casescribe.SavedView, error) {
	q := r.URL.Query()
	var fq access.FactQuery
	for _, p := range []string{"tag", "keyOnly", "q", "from", "to", "sort", "order", "viewId"} {
		if q.Has(p) {
			fq.Asked = true
		}
	}
	if id := q.Get("viewId"); q.Has("viewId") {
		v := viewByID(views, id)
		if v == nil {
			return fq, nil, casescribe.Errorf(casescribe.EINVALID, "Query parameter viewId names no saved view of this case.")
		}
		for _, p := range []string{"tag", "keyOnly", "q", "from", "to", "sort", "order"} {
			if q.Has(p) {
				return fq, nil, casescribe.Errorf(casescribe.EINVALID, "Query parameter viewId cannot be combined with %s: the view sets the filter and sort.", p)
			}
		}
		fq.Filter, fq.Sort = v.Filter, v.Sort
		return fq, v, nil
	}
	tags, err := validTags("tag", q["tag"], access.MaxFilterTags)
	if err != nil {
		return fq, nil, err
	}
	fq.Filter.Tags = tags
	if v := q.Get("keyOnly"); q.Has("keyOnly") {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fq, nil, casescribe.Errorf(casescribe.EINVALID, "Query parameter keyOnly must be true or false.")
		}
		fq.Filter.KeyOnly = b
	}
	if s := strings.TrimSpace(q.Get("q")); s != "" {
		if utf8.RuneCountInString(s) > MaxSearch || !utf8.ValidString(s) {
			return fq, nil, casescribe.Errorf(casescribe.EINVALID, "Query parameter q must be at most %d characters.", MaxSearch)
		}
		fq.Filter.Query = s
	}
	for _, p := range []struct {
		name string
		dst  *string
	}{{"from", &fq.Filter.From}, {"to", &fq.Filter.To}} {
		if v := q.Get(p.name); v != "" {
			if err := validDate("query parameter "+p.name, v); err != nil {
				return fq, nil, err
			}
			*p.dst = v
		}
	}
	if fq.Filter.From != "" && fq.Filter.To != "" && fq.Filter.From > fq.Filter.To {
		return fq, nil, casescribe.Errorf(casescribe.EINVALID, "Query parameter from must not be after to.")
	}
	fq.Sort, err = parseSort(q.Get("sort"), q.Get("order"))
	return fq, nil, err
}

func parseSort(field, order string) (casescribe.FactSort, error) {
	var s casescribe.FactSort
	switch field {
	case "", string(casescribe.SortByDate):
		s.Field = casescribe.SortByDate
	case string(casescribe.SortByCreated):
		s.Field = casescribe.SortByCreated
	default:
		return s, casescribe.Errorf(casescribe.EINVALID, `Sort must be "date" or "created".`)
	}
	switch order {
	case "", "asc":
	case "desc":
		s.Desc = true
	default:
		return s, casescribe.Errorf(casescribe.EINVALID, `Order must be "asc" or "desc".`)
	}
	return s, nil
}

// factCursor is the position after the last fact of a page: its sort value and id, bound to the
// case and the query, so that it resumes the same list even if facts are added meanwhile.
type factCursor struct {
	List string `json:"l"`
	Date string `json:"d"`
	ID   string `json:"i"`
}

// factListKey names one list (a case, a filter, an order) in its cursors: a digest, so that a
// cursor stays short and carries no search text.
func factListKey(caseID string, f casescribe.FactFilter, o casescribe.FactSort) string {
	b, _ := json.Marshal(struct {
		C string
		F casescribe.FactFilter
		O casescribe.FactSort
	}{caseID, f, o})
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// pageFacts returns the page of sorted facts after cursor.
func pageFacts(sorted []casescribe.Fact, listKey, cursor string, limit int, order casescribe.FactSort) ([]casescribe.Fact, string, error) {
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	start := 0
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		var cur factCursor
		if err == nil {
			err = json.Unmarshal(raw, &cur)
		}
		if err != nil || cur.List != listKey {
			return nil, "", casescribe.Errorf(casescribe.EINVALID, "The cursor is not valid for this list; start again without it.")
		}
		last := casescribe.Fact{ID: cur.ID, Date: cur.Date}
		start, _ = slices.BinarySearchFunc(sorted, last, func(a, b casescribe.Fact) int { return access.CompareFacts(a, b, order) })
		if start < len(sorted) && sorted[start].ID == cur.ID {
			start++
		}
	}
	end := min(start+limit, len(sorted))
	page := sorted[start:end]
	next := ""
	if end < len(sorted) && len(page) > 0 {
		last := page[len(page)-1]
		b, _ := json.Marshal(factCursor{List: listKey, Date: last.Date, ID: last.ID})
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	return page, next, nil
}

// --- routes ----------------------------------------------------------------------------------

func (s *Server) listFacts(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	cc, err := s.pathCase(r, c, contentLoad{facts: true, views: true, selects: factSelection(r)})
	if err != nil {
		return err
	}
	filter, order, view, err := resolveFactQuery(r, cc)
	if err != nil {
		return err
	}
	selected := cc.scope.Select(cc.facts, filter, order)
	page, next, err := pageFacts(selected, factListKey(cc.k.ID, filter, order), cursor, limit, order)
	if err != nil {
		return err
	}
	out := factListJSON{Items: make([]factJSON, 0, len(page)), Total: len(selected)}
	for _, f := range page {
		out.Items = append(out.Items, newFactJSON(f))
	}
	if next != "" {
		out.NextCursor = &next
	}
	if view != nil {
		out.View = &viewRefJSON{ID: view.ID, Name: view.Name}
	}
	ctl := cc.scope.Controls()
	out.Controls = controlsJSON{Filter: ctl.Filter, Sort: ctl.Sort, KeyFacts: ctl.KeyFacts}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// resolveFactQuery returns the filter and order a fact list or export of the case runs under,
// and the view that names them (the guest's own view, or one the request chose).
func resolveFactQuery(r *http.Request, cc caseContent) (casescribe.FactFilter, casescribe.FactSort, *casescribe.SavedView, error) {
	fq, chosen, err := factQuery(r, cc.scope.SeesViews(cc.views))
	if cc.scope.ViewLocked() {
		// Any filter or sort parameter, valid or not, is refused: the view is all there is.
		filter, order, lockErr := cc.scope.Resolve(fq)
		return filter, order, cc.scope.View, lockErr
	}
	if err != nil {
		return casescribe.FactFilter{}, casescribe.FactSort{}, nil, err
	}
	return fq.Filter, fq.Sort, chosen, nil
}

// factSelection is contentLoad.selects for a fact list or export: the filter resolveFactQuery
// gives the request under the scope and the case's views.
func factSelection(r *http.Request) func(access.Scope, []casescribe.SavedView) (casescribe.FactFilter, bool) {
	return func(sc access.Scope, views []casescribe.SavedView) (casescribe.FactFilter, bool) {
		filter, _, _, err := resolveFactQuery(r, caseContent{scope: sc, views: views})
		return filter, err == nil
	}
}

func (s *Server) getFact(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	f, _, err := s.visibleFact(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newFactJSON(f))
	return nil
}

// visibleFact reads the fact of the path and answers ENOTFOUND, as for an unknown id, when it
// is outside the caller's scope.
func (s *Server) visibleFact(r *http.Request, c casescribe.Caller) (casescribe.Fact, caseContent, error) {
	return s.readFact(r, c, nil)
}

// readFact is visibleFact that also runs also (when given) in the round trip that reads the
// fact; what also reads must be used only if readFact succeeds.
func (s *Server) readFact(r *http.Request, c casescribe.Caller, also func(ctx context.Context, ref store.Ref) error) (casescribe.Fact, caseContent, error) {
	var (
		f       casescribe.Fact
		errAlso error
	)
	cc, _, err := s.pathItem(r, c, store.KindFact, "factId", contentLoad{}, func(ctx context.Context, ref store.Ref) error {
		var wg sync.WaitGroup
		if also != nil {
			wg.Go(func() { errAlso = also(ctx, ref) })
		}
		var err error
		f, err = s.store.GetFact(ctx, c.OrgID, ref.CaseID, ref.ID)
		wg.Wait()
		return err
	})
	if err != nil {
		return casescribe.Fact{}, caseContent{}, err
	}
	if !cc.scope.SeesFact(f) {
		return casescribe.Fact{}, caseContent{}, casescribe.Errorf(casescribe.ENOTFOUND, "Fact not found.")
	}
	// Only now may what also read (or its error, such as a bad cursor) say anything.
	return f, cc, errAlso
}

type factBody struct {
	Text       *string   `json:"text"`
	Date       clearable `json:"date"`
	Tags       *[]string `json:"tags"`
	KeyFact    *bool     `json:"keyFact"`
	DocumentID clearable `json:"documentId"`
	Version    *int      `json:"version"`
}

// clearable is a string field of a change that may be absent (left as it is), null or ""
// (cleared), or a value.
type clearable struct {
	set   bool
	value string
}

// UnmarshalJSON records that the field was present; null clears it.
func (c *clearable) UnmarshalJSON(b []byte) error {
	c.set = true
	if string(b) == "null" {
		return nil
	}
	return json.Unmarshal(b, &c.value)
}

// apply validates the body and writes what it sets into f. A null date or documentId clears it.
func (b factBody) apply(f *casescribe.Fact, creating bool) error {
	if b.Text != nil || creating {
		text, err := validFactText(deref(b.Text))
		if err != nil {
			return err
		}
		f.Text = text
	}
	if b.Date.set {
		if b.Date.value != "" {
			if err := validDate("date", b.Date.value); err != nil {
				return err
			}
		}
		f.Date = b.Date.value
	}
	if b.Tags != nil {
		tags, err := validTags("tags", *b.Tags, store.MaxTags)
		if err != nil {
			return err
		}
		f.Tags = tags
	}
	if b.KeyFact != nil {
		f.KeyFact = *b.KeyFact
	}
	if b.DocumentID.set {
		if b.DocumentID.value != "" {
			if err := validDocumentID(b.DocumentID.value); err != nil {
				return err
			}
		}
		f.DocumentID = b.DocumentID.value
	}
	return nil
}

// deref is a nullable string's text, "" for null.
func deref[T ~string](s *T) string {
	if s == nil {
		return ""
	}
	return string(*s)
}

func (s *Server) createFact(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body factBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if body.Version != nil {
		return casescribe.Errorf(casescribe.EINVALID, `Field "version" is only for changes.`)
	}
	now := s.now()
	f := casescribe.Fact{OrgID: c.OrgID, ID: s.newID(), CreatedBy: c.UserID, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := body.apply(&f, true); err != nil {
		return err
	}
	cc, err := s.pathCase(r, c, contentLoad{})
	if err != nil {
		return err
	}
	f.CaseID, f.ClientID = cc.k.ID, cc.k.ClientID
	if err := s.store.CreateFact(r.Context(), f); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newFactJSON(f))
	return nil
}

func (s *Server) updateFact(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body factBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	before, _, err := s.visibleFact(r, c)
	if err != nil {
		return err
	}
	if body.Version != nil && *body.Version != before.Version {
		return casescribe.Errorf(casescribe.ECONFLICT, "This fact changed since version %d; reload it and try again.", *body.Version)
	}
	after := before
	after.Tags = slices.Clone(before.Tags)
	if err := body.apply(&after, false); err != nil {
		return err
	}
	if after.Text == before.Text && after.Date == before.Date && slices.Equal(after.Tags, before.Tags) &&
		after.KeyFact == before.KeyFact && after.DocumentID == before.DocumentID {
		writeJSON(w, http.StatusOK, newFactJSON(before)) // nothing changes, not even the version
		return nil
	}
	after.UpdatedAt, after.Version = s.now(), before.Version+1
	if err := s.store.ReplaceFact(r.Context(), before, after); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newFactJSON(after))
	return nil
}

func (s *Server) deleteFact(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	f, _, err := s.visibleFact(r, c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteFact(r.Context(), f); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type tagBody struct {
	Tag string `json:"tag"`
}

func (s *Server) addFactTag(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body tagBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	tag, err := validTag(body.Tag)
	if err != nil {
		return err
	}
	return s.setFactTag(w, r, c, tag, true)
}

func (s *Server) removeFactTag(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	tag, err := validTag(r.PathValue("tag"))
	if err != nil {
		return err
	}
	return s.setFactTag(w, r, c, tag, false)
}

func (s *Server) setFactTag(w http.ResponseWriter, r *http.Request, c casescribe.Caller, tag string, on bool) error {
	f, _, err := s.visibleFact(r, c)
	if err != nil {
		return err
	}
	// Tags compare without regard to case: "Imaging" names the fact's "imaging".
	if i := slices.IndexFunc(f.Tags, func(t string) bool { return strings.EqualFold(t, tag) }); i >= 0 {
		if on {
			writeJSON(w, http.StatusOK, newFactJSON(f))
			return nil
		}
		tag = f.Tags[i]
	} else if !on {
		writeJSON(w, http.StatusOK, newFactJSON(f))
		return nil
	}
	f, err = s.store.SetFactTag(r.Context(), c.OrgID, f.CaseID, f.ID, tag, on, s.now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newFactJSON(f))
	return nil
}

type bulkEditBody struct {
	FactIDs    []string `json:"factIds"`
	AddTags    []string `json:"addTags"`
	RemoveTags []string `json:"removeTags"`
	KeyFact    *bool    `json:"keyFact"`
}

type bulkEditJSON struct {
	Updated int `json:"updated"`
}

func (s *Server) bulkEditFacts(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body bulkEditBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	req, err := body.validate()
	if err != nil {
		return err
	}
	cc, err := s.pathCase(r, c, contentLoad{facts: true})
	if err != nil {
		return err
	}
	edit, err := req.plan(cc.facts)
	if err != nil {
		return err
	}
	if err := s.store.BulkEditFacts(r.Context(), c.OrgID, cc.k.ID, edit, s.now()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, bulkEditJSON{Updated: len(edit.Facts)})
	return nil
}

// bulkRequest is a validated bulk edit, before it meets the facts.
type bulkRequest struct {
	factIDs     []string
	add, remove []string
	keyFact     *bool
}

// plan works the request out per fact, as read: tags compare without regard to case, so a
// tag already there is not added twice and a tag is removed whatever its case; every fact
// must end with at most MaxTags tags.
func (b bulkRequest) plan(facts []casescribe.Fact) (store.BulkEdit, error) {
	byID := make(map[string]casescribe.Fact, len(facts))
	for _, f := range facts {
		byID[f.ID] = f
	}
	edit := store.BulkEdit{KeyFact: b.keyFact}
	for _, id := range b.factIDs {
		f, ok := byID[id]
		if !ok {
			return edit, casescribe.Errorf(casescribe.ENOTFOUND, "Fact %s not found in this case; nothing was changed.", id)
		}
		fe := store.FactEdit{ID: id, Version: f.Version}
		kept := 0
		for _, t := range f.Tags {
			if slices.ContainsFunc(b.remove, func(r string) bool { return strings.EqualFold(r, t) }) {
				fe.Remove = append(fe.Remove, t)
			} else {
				kept++
			}
		}
		for _, t := range b.add {
			if !slices.ContainsFunc(f.Tags, func(have string) bool { return strings.EqualFold(have, t) }) {
				fe.Add = append(fe.Add, t)
			}
		}
		if kept+len(fe.Add) > store.MaxTags {
			return edit, casescribe.Errorf(casescribe.EINVALID, "Fact %s would carry more than %d tags; nothing was changed.", id, store.MaxTags)
		}
		edit.Facts = append(edit.Facts, fe)
	}
	return edit, nil
}

func (b bulkEditBody) validate() (bulkRequest, error) {
	var e bulkRequest
	if len(b.FactIDs) == 0 || len(b.FactIDs) > store.MaxBulkFacts {
		return e, casescribe.Errorf(casescribe.EINVALID, `Field "factIds" must list 1 to %d facts.`, store.MaxBulkFacts)
	}
	for _, id := range b.FactIDs {
		if _, err := ulid.ParseStrict(id); err != nil {
			return e, casescribe.Errorf(casescribe.ENOTFOUND, "Fact %q not found in this case; nothing was changed.", id)
		}
		if slices.Contains(e.factIDs, id) {
			return e, casescribe.Errorf(casescribe.EINVALID, `Field "factIds" lists fact %s twice.`, id)
		}
		e.factIDs = append(e.factIDs, id)
	}
	var err error
	if e.add, err = validTags("addTags", b.AddTags, store.MaxTags); err != nil {
		return e, err
	}
	if e.remove, err = validTags("removeTags", b.RemoveTags, store.MaxTags); err != nil {
		return e, err
	}
	for _, t := range e.add {
		if slices.ContainsFunc(e.remove, func(r string) bool { return strings.EqualFold(r, t) }) {
			return e, casescribe.Errorf(casescribe.EINVALID, "Tag %q cannot be both added and removed.", t)
		}
	}
	e.keyFact = b.KeyFact
	if len(e.add) == 0 && len(e.remove) == 0 && e.keyFact == nil {
		return e, casescribe.Errorf(casescribe.EINVALID, `Nothing to change: give "addTags", "removeTags" or "keyFact".`)
	}
	return e, nil
}
