package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/s3files"
	"github.com/casescribe/sharing/pkg/sesmail"
)

// caseWorld is one firm with a case full of content, a full-case guest (carol) and a guest
// limited to the saved view "Imaging" (dave).
type caseWorld struct {
	e                     *env
	org, client           string
	knee, hip             string // knee is shared with both guests; hip with nobody
	view                  string // "Imaging": facts tagged imaging, newest first
	mri, pain, bill, surg string // facts of knee
	hipFact               string
	report, invoice       string // documents of knee: report cited by mri (in the view), invoice by bill (not)
	carolShare, daveShare string
	reportBytes           []byte
}

func newCaseWorld(t *testing.T) *caseWorld {
	t.Helper()
	e := setup(t)
	w := &caseWorld{e: e}
	w.org = e.as(t, "alice", "", "POST", "/orgs", `{"name":"Harbor & Vale LLP"}`).str("id")
	e.join(t, "bob", w.org, casescribe.RoleMember, casescribe.StatusActive)
	e.join(t, "carol", w.org, casescribe.RoleGuest, casescribe.StatusActive)
	e.join(t, "dave", w.org, casescribe.RoleGuest, casescribe.StatusActive)
	w.client = e.as(t, "alice", w.org, "POST", "/clients", `{"name":"Smith, John"}`).str("id")
	w.knee = e.as(t, "alice", w.org, "POST", "/clients/"+w.client+"/cases", `{"name":"Knee MRI"}`).str("id")
	w.hip = e.as(t, "alice", w.org, "POST", "/clients/"+w.client+"/cases", `{"name":"Hip replacement"}`).str("id")

	w.reportBytes = []byte("%PDF-1.7 MRI report: torn medial meniscus")
	w.report = w.upload(t, "bob", w.knee, "MRI report.pdf", w.reportBytes)
	w.invoice = w.upload(t, "bob", w.knee, "Invoice.pdf", []byte("%PDF-1.7 invoice 1200 USD"))

	fact := func(caseID, body string) string {
		t.Helper()
		r := e.as(t, "bob", w.org, "POST", "/cases/"+caseID+"/facts", body)
		want(t, "create fact", r, 201, "")
		return r.str("id")
	}
	w.mri = fact(w.knee, `{"text":"MRI shows a torn medial meniscus","date":"2024-03-01","tags":["imaging"],"keyFact":true,"documentId":"`+w.report+`"}`)
	w.pain = fact(w.knee, `{"text":"Patient reported knee pain after the fall","date":"2024-02-01","tags":["symptoms"]}`)
	w.bill = fact(w.knee, `{"text":"Invoice for the MRI, 1200 USD","date":"2024-03-05","tags":["billing"],"documentId":"`+w.invoice+`"}`)
	w.surg = fact(w.knee, `{"text":"Surgeon recommends arthroscopy","tags":["imaging","treatment"],"keyFact":true}`)
	w.hipFact = fact(w.hip, `{"text":"Hip imaging shows wear","date":"2024-01-10","tags":["imaging"]}`)

	v := e.as(t, "bob", w.org, "POST", "/cases/"+w.knee+"/views", `{"name":"Imaging","filter":{"tags":["imaging"]},"sort":{"field":"date","order":"desc"}}`)
	want(t, "create view", v, 201, "")
	w.view = v.str("id")

	carol, dave := e.users["carol"].id, e.users["dave"].id
	cs := e.as(t, "alice", w.org, "POST", "/cases/"+w.knee+"/shares", `{"guestId":"`+carol+`","scope":"case"}`)
	want(t, "share the whole case with carol", cs, 201, "")
	ds := e.as(t, "alice", w.org, "POST", "/cases/"+w.knee+"/shares", `{"guestId":"`+dave+`","scope":"case","viewId":"`+w.view+`"}`)
	want(t, "share the view with dave", ds, 201, "")
	w.carolShare, w.daveShare = cs.str("shareId"), ds.str("shareId")
	return w
}

// upload records a document and puts its bytes through the signed URL, as the web app does.
func (w *caseWorld) upload(t *testing.T, who, caseID, name string, data []byte) string {
	t.Helper()
	r := w.e.as(t, who, w.org, "POST", "/cases/"+caseID+"/documents",
		fmt.Sprintf(`{"name":%q,"contentType":"application/pdf","size":%d}`, name, len(data)))
	want(t, "create document", r, 201, "")
	up := r.body["upload"].(map[string]any)
	req, err := http.NewRequest(up["method"].(string), up["url"].(string), bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range up["headers"].(map[string]any) {
		req.Header.Set(k, v.(string))
	}
	req.ContentLength = int64(len(data))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("upload through the signed URL: %d %s", res.StatusCode, body)
	}
	return r.str("id")
}

func (w *caseWorld) as(t *testing.T, who, method, path, body string) response {
	t.Helper()
	return w.e.as(t, who, w.org, method, path, body)
}

// factIDs lists the ids of a fact list, in order.
func factIDs(t *testing.T, r response) []string {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("fact list: %d %s", r.status, r.raw)
	}
	var out []string
	for _, it := range r.items() {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

// export fetches a CSV export, checking it against the OpenAPI document.
func (w *caseWorld) export(t *testing.T, who, query string) (int, [][]string, string) {
	t.Helper()
	path := "/cases/" + w.knee + "/facts/export" + query
	req, _ := http.NewRequest("GET", w.e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+w.e.users[who].token)
	req.Header.Set("X-Org-Id", w.org)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	w.e.validate(t, "GET", path, "", w.org, req.Header.Get("Authorization"), res, raw)
	if res.StatusCode != 200 {
		return res.StatusCode, nil, string(raw)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll() // one table: every row as wide
	if err != nil {
		t.Fatalf("export is not CSV: %v\n%s", err, raw)
	}
	return 200, rows, string(raw)
}

// csvFactIDs returns the fact ids of an export's rows, after its header row.
func csvFactIDs(rows [][]string) []string {
	var out []string
	header := false
	for _, row := range rows {
		if header {
			out = append(out, row[0])
		}
		if len(row) > 0 && row[0] == "id" {
			header = true
		}
	}
	return out
}

func fetch(t *testing.T, rawURL string) (int, []byte) {
	t.Helper()
	res, err := http.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func TestViewScopedGuestSeesOnlyTheView(t *testing.T) {
	w := newCaseWorld(t)

	list := w.as(t, "dave", "GET", "/cases/"+w.knee+"/facts", "")
	if got, wantIDs := factIDs(t, list), []string{w.mri, w.surg}; !slices.Equal(got, wantIDs) {
		t.Errorf("dave's facts = %v, want the view's, newest first, undated last: %v", got, wantIDs)
	}
	if v := list.body["view"].(map[string]any); v["id"] != w.view || v["name"] != "Imaging" {
		t.Errorf("view chip = %v", v)
	}
	if c := list.body["controls"].(map[string]any); c["filter"] != false || c["sort"] != false || c["keyFacts"] != false {
		t.Errorf("controls = %v, want all hidden", c)
	}
	if list.body["total"] != 2.0 {
		t.Errorf("total = %v, want 2", list.body["total"])
	}
	if a := w.as(t, "dave", "GET", "/cases/"+w.knee, "").body["access"].(map[string]any); a["viewId"] != w.view || a["viewName"] != "Imaging" {
		t.Errorf("dave's case access = %v", a)
	}

	// Any filter or sort is refused rather than applied, valid or not.
	for _, q := range []string{"?tag=billing", "?keyOnly=false", "?q=invoice", "?sort=created", "?order=asc",
		"?from=2000-01-01", "?to=2099-01-01", "?viewId=" + w.view, "?tag=%5B", "?sort=bogus"} {
		want(t, "dave filters "+q, w.as(t, "dave", "GET", "/cases/"+w.knee+"/facts"+q, ""), 403, casescribe.EVIEWLOCKED)
		if status, _, _ := w.export(t, "dave", q); status != 403 {
			t.Errorf("dave exports with %s: %d, want 403", q, status)
		}
	}

	// A fact outside the view answers exactly like an unknown one, by id, comments and writes.
	unknown := ulidString()
	for _, path := range []string{"/facts/%s", "/facts/%s/comments"} {
		hidden := w.as(t, "dave", "GET", fmt.Sprintf(path, w.bill), "")
		none := w.as(t, "dave", "GET", fmt.Sprintf(path, unknown), "")
		want(t, "dave reads a fact outside the view", hidden, 404, casescribe.ENOTFOUND)
		if hidden.raw != none.raw {
			t.Errorf("outside the view %q, unknown %q: the answers differ", hidden.raw, none.raw)
		}
	}
	want(t, "dave comments outside the view", w.as(t, "dave", "POST", "/facts/"+w.bill+"/comments", `{"text":"I can see this"}`), 404, casescribe.ENOTFOUND)
	if n := len(w.as(t, "alice", "GET", "/facts/"+w.bill+"/comments", "").items()); n != 0 {
		t.Errorf("a refused comment was written: %d comments", n)
	}
	want(t, "dave reads a fact of another case", w.as(t, "dave", "GET", "/facts/"+w.hipFact, ""), 404, casescribe.ENOTFOUND)
	want(t, "dave reads a fact in the view", w.as(t, "dave", "GET", "/facts/"+w.mri, ""), 200, "")

	// Export: exactly the view, with its provenance.
	status, rows, raw := w.export(t, "dave", "")
	if status != 200 {
		t.Fatalf("dave's export: %d %s", status, raw)
	}
	if got := csvFactIDs(rows); !slices.Equal(got, []string{w.mri, w.surg}) {
		t.Errorf("dave's export holds %v, want the view's facts", got)
	}
	if !strings.Contains(raw, "Exported by,dave <dave@example.com>") || !strings.Contains(raw, w.daveShare) ||
		!strings.Contains(raw, `saved view ""Imaging""`) {
		t.Errorf("export header does not say who, under which share and view:\n%s", raw)
	}
	if strings.Contains(raw, "Invoice") || strings.Contains(raw, "pain") {
		t.Errorf("export leaks facts outside the view:\n%s", raw)
	}

	// Documents: only those the view's facts cite; no URL is signed for the others.
	docs := w.as(t, "dave", "GET", "/cases/"+w.knee+"/documents", "")
	if got := ids(docs); !slices.Equal(got, []string{w.report}) {
		t.Errorf("dave's documents = %v, want the report only", got)
	}
	hidden := w.as(t, "dave", "GET", "/documents/"+w.invoice, "")
	none := w.as(t, "dave", "GET", "/documents/"+unknown, "")
	want(t, "dave reads an uncited document", hidden, 404, casescribe.ENOTFOUND)
	if hidden.raw != none.raw || strings.Contains(hidden.raw, "http") {
		t.Errorf("uncited document %q, unknown %q", hidden.raw, none.raw)
	}
	got := w.as(t, "dave", "GET", "/documents/"+w.report, "")
	want(t, "dave reads the report", got, 200, "")
	down := got.body["download"].(map[string]any)
	if status, body := fetch(t, down["url"].(string)); status != 200 || !bytes.Equal(body, w.reportBytes) {
		t.Errorf("dave downloads the report through his URL: %d %q", status, body)
	}
	if exp, _ := time.Parse(time.RFC3339, down["expiresAt"].(string)); time.Until(exp) > 5*time.Minute || time.Until(exp) <= 0 {
		t.Errorf("download URL expires at %v, want within 5 minutes", exp)
	}

	// Views: dave lists only his own.
	if got := ids(w.as(t, "dave", "GET", "/cases/"+w.knee+"/views", "")); !slices.Equal(got, []string{w.view}) {
		t.Errorf("dave's views = %v", got)
	}

	// Editing a fact out of the view takes it away on the very next request.
	want(t, "untag", w.as(t, "bob", "DELETE", "/facts/"+w.surg+"/tags/imaging", ""), 200, "")
	if got := factIDs(t, w.as(t, "dave", "GET", "/cases/"+w.knee+"/facts", "")); !slices.Equal(got, []string{w.mri}) {
		t.Errorf("after untagging, dave's facts = %v", got)
	}
	want(t, "dave reads the untagged fact", w.as(t, "dave", "GET", "/facts/"+w.surg, ""), 404, casescribe.ENOTFOUND)
	// And editing one into it brings it in.
	want(t, "tag", w.as(t, "bob", "POST", "/facts/"+w.pain+"/tags", `{"tag":"imaging"}`), 200, "")
	if got := factIDs(t, w.as(t, "dave", "GET", "/cases/"+w.knee+"/facts", "")); !slices.Equal(got, []string{w.mri, w.pain}) {
		t.Errorf("after tagging, dave's facts = %v", got)
	}

	// Removing the share ends everything at once.
	want(t, "remove dave's share", w.as(t, "alice", "DELETE", "/shares/"+w.daveShare, ""), 204, "")
	for _, path := range []string{"/cases/" + w.knee + "/facts", "/facts/" + w.mri, "/facts/" + w.mri + "/comments",
		"/cases/" + w.knee + "/documents", "/documents/" + w.report, "/cases/" + w.knee + "/views",
		"/cases/" + w.knee + "/summary"} {
		want(t, "dave after removal: "+path, w.as(t, "dave", "GET", path, ""), 404, casescribe.ENOTFOUND)
	}
	if status, _, _ := w.export(t, "dave", ""); status != 404 {
		t.Errorf("dave exports after removal: %d", status)
	}
}

func TestFullCaseGuestFiltersStayInTheCase(t *testing.T) {
	w := newCaseWorld(t)
	path := "/cases/" + w.knee + "/facts"
	all := w.as(t, "carol", "GET", path, "")
	if got := factIDs(t, all); !slices.Equal(got, []string{w.pain, w.mri, w.bill, w.surg}) {
		t.Errorf("carol's facts = %v, want the case's by date, undated last", got)
	}
	if all.body["view"] != nil {
		t.Errorf("view = %v, want null", all.body["view"])
	}
	if c := all.body["controls"].(map[string]any); c["filter"] != true || c["sort"] != true || c["keyFacts"] != true {
		t.Errorf("controls = %v, want all shown", c)
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"?tag=imaging", []string{w.mri, w.surg}}, // the hip's imaging fact stays out
		{"?tag=IMAGING&tag=treatment", []string{w.surg}},
		{"?keyOnly=true", []string{w.mri, w.surg}},
		{"?q=mri", []string{w.mri, w.bill}},
		{"?q=hip", nil},
		{"?from=2024-02-15&to=2024-03-03", []string{w.mri}},
		{"?sort=created&order=desc", []string{w.surg, w.bill, w.pain, w.mri}},
		{"?sort=date&order=desc", []string{w.bill, w.mri, w.pain, w.surg}},
		{"?viewId=" + w.view, []string{w.mri, w.surg}},
	}
	for _, tt := range tests {
		if got := factIDs(t, w.as(t, "carol", "GET", path+tt.query, "")); !slices.Equal(got, tt.want) {
			t.Errorf("carol %s = %v, want %v", tt.query, got, tt.want)
		}
	}
	want(t, "bad date", w.as(t, "carol", "GET", path+"?from=March", ""), 400, casescribe.EINVALID)
	want(t, "bad sort", w.as(t, "carol", "GET", path+"?sort=size", ""), 400, casescribe.EINVALID)
	want(t, "another case's view", w.as(t, "carol", "GET", path+"?viewId="+ulidString(), ""), 400, casescribe.EINVALID)
	want(t, "carol's filter on an unshared case", w.as(t, "carol", "GET", "/cases/"+w.hip+"/facts?tag=imaging", ""), 404, casescribe.ENOTFOUND)
	want(t, "carol reads the hip fact", w.as(t, "carol", "GET", "/facts/"+w.hipFact, ""), 404, casescribe.ENOTFOUND)

	// Pages: every fact exactly once, in order; a cursor of another query is refused.
	var paged []string
	cursor := ""
	for range 10 {
		r := w.as(t, "carol", "GET", path+"?limit=1&sort=created&cursor="+url.QueryEscape(cursor), "")
		paged = append(paged, factIDs(t, r)...)
		next, _ := r.body["nextCursor"].(string)
		if next == "" {
			break
		}
		cursor = next
		if r.body["total"] != 4.0 {
			t.Errorf("total on a page = %v, want 4", r.body["total"])
		}
	}
	if !slices.Equal(paged, []string{w.mri, w.pain, w.bill, w.surg}) {
		t.Errorf("paged = %v", paged)
	}
	first := w.as(t, "carol", "GET", path+"?limit=1", "")
	want(t, "cursor of another query", w.as(t, "carol", "GET", path+"?tag=imaging&cursor="+url.QueryEscape(first.str("nextCursor")), ""), 400, casescribe.EINVALID)

	// Export under a filter: the filtered facts, never more than the case.
	_, rows, _ := w.export(t, "carol", "?tag=imaging")
	if got := csvFactIDs(rows); !slices.Equal(got, []string{w.mri, w.surg}) {
		t.Errorf("carol's filtered export = %v", got)
	}
	// Carol sees every document of the case, and the views.
	if got := ids(w.as(t, "carol", "GET", "/cases/"+w.knee+"/documents", "")); len(got) != 2 {
		t.Errorf("carol's documents = %v", got)
	}
	if v := w.as(t, "carol", "GET", "/cases/"+w.knee+"/views", "").items(); len(v) != 1 || v[0].(map[string]any)["shareCount"] != nil {
		t.Errorf("carol's views = %v (a guest sees no share count)", v)
	}
}

func TestGuestWritesAreRefusedAndChangeNothing(t *testing.T) {
	w := newCaseWorld(t)
	snapshot := func() string {
		t.Helper()
		var b strings.Builder
		for _, p := range []string{"/cases/" + w.knee + "/facts?sort=created", "/cases/" + w.knee + "/views",
			"/cases/" + w.knee + "/documents", "/cases/" + w.knee + "/summary", "/facts/" + w.mri + "/comments"} {
			r := w.as(t, "alice", "GET", p, "")
			b.WriteString(r.raw)
		}
		return b.String()
	}
	before := snapshot()
	writes := []struct{ method, path, body string }{
		{"POST", "/cases/" + w.knee + "/facts", `{"text":"A guest's fact"}`},
		{"PATCH", "/facts/" + w.mri, `{"text":"changed"}`},
		{"DELETE", "/facts/" + w.mri, ""},
		{"POST", "/facts/" + w.mri + "/tags", `{"tag":"guest"}`},
		{"DELETE", "/facts/" + w.mri + "/tags/imaging", ""},
		{"POST", "/cases/" + w.knee + "/facts/bulk-edit", `{"factIds":["` + w.mri + `"],"keyFact":false}`},
		{"POST", "/cases/" + w.knee + "/views", `{"name":"Mine"}`},
		{"PATCH", "/views/" + w.view, `{"name":"Renamed"}`},
		{"DELETE", "/views/" + w.view, ""},
		{"POST", "/cases/" + w.knee + "/documents", `{"name":"x.pdf","contentType":"application/pdf","size":10}`},
		{"DELETE", "/documents/" + w.report, ""},
		{"PUT", "/cases/" + w.knee + "/summary", `{"text":"A guest's summary"}`},
		{"PATCH", "/cases/" + w.knee, `{"name":"renamed"}`},
	}
	for _, who := range []string{"carol", "dave"} {
		for _, wr := range writes {
			want(t, who+" "+wr.method+" "+wr.path, w.as(t, who, wr.method, wr.path, wr.body), 403, casescribe.EGUESTRESTRICTED)
		}
	}
	if after := snapshot(); after != before {
		t.Errorf("a refused write changed something:\nbefore %s\nafter  %s", before, after)
	}
}

func TestCommentsSummaryAndBulkEdit(t *testing.T) {
	w := newCaseWorld(t)
	c := w.as(t, "carol", "POST", "/facts/"+w.pain+"/comments", `{"text":"Which date did the fall happen?"}`)
	want(t, "carol comments", c, 201, "")
	if a := c.body["author"].(map[string]any); a["name"] != "carol" || a["id"] != w.e.users["carol"].id {
		t.Errorf("author = %v", a)
	}
	want(t, "dave comments in his view", w.as(t, "dave", "POST", "/facts/"+w.mri+"/comments", `{"text":"Agree with the reading."}`), 201, "")
	want(t, "empty comment", w.as(t, "dave", "POST", "/facts/"+w.mri+"/comments", `{"text":"  "}`), 400, casescribe.EINVALID)
	if got := w.as(t, "bob", "GET", "/facts/"+w.pain+"/comments", "").items(); len(got) != 1 {
		t.Errorf("comments on pain = %v", got)
	}
	want(t, "dave reads comments outside his view", w.as(t, "dave", "GET", "/facts/"+w.pain+"/comments", ""), 404, casescribe.ENOTFOUND)

	// Summary: staff write with compare-and-set; guests read it, read-only.
	want(t, "a view-scoped guest reads the summary", w.as(t, "dave", "GET", "/cases/"+w.knee+"/summary", ""), 403, casescribe.EVIEWLOCKED)
	s0 := w.as(t, "carol", "GET", "/cases/"+w.knee+"/summary", "")
	if s0.body["text"] != "" || s0.body["version"] != 0.0 || s0.body["editable"] != false || s0.body["updatedBy"] != nil {
		t.Errorf("empty summary = %s", s0.raw)
	}
	s1 := w.as(t, "bob", "PUT", "/cases/"+w.knee+"/summary", `{"text":"Torn meniscus after a fall.","version":0}`)
	want(t, "write summary", s1, 200, "")
	want(t, "stale summary", w.as(t, "alice", "PUT", "/cases/"+w.knee+"/summary", `{"text":"Other","version":0}`), 409, casescribe.ECONFLICT)
	if got := w.as(t, "carol", "GET", "/cases/"+w.knee+"/summary", ""); got.body["text"] != "Torn meniscus after a fall." || got.body["version"] != 1.0 {
		t.Errorf("carol's summary = %s", got.raw)
	}
	want(t, "summary of an unshared case", w.as(t, "carol", "GET", "/cases/"+w.hip+"/summary", ""), 404, casescribe.ENOTFOUND)

	// Bulk edit: all or nothing.
	tags := func(id string) []any { return w.as(t, "bob", "GET", "/facts/"+id, "").body["tags"].([]any) }
	want(t, "bulk with an unknown fact", w.as(t, "bob", "POST", "/cases/"+w.knee+"/facts/bulk-edit",
		`{"factIds":["`+w.mri+`","`+ulidString()+`"],"addTags":["reviewed"]}`), 404, casescribe.ENOTFOUND)
	want(t, "bulk with a fact of another case", w.as(t, "bob", "POST", "/cases/"+w.knee+"/facts/bulk-edit",
		`{"factIds":["`+w.mri+`","`+w.hipFact+`"],"addTags":["reviewed"]}`), 404, casescribe.ENOTFOUND)
	if slices.Contains(tags(w.mri), any("reviewed")) {
		t.Error("a refused bulk edit tagged a fact")
	}
	want(t, "bulk add and remove one tag", w.as(t, "bob", "POST", "/cases/"+w.knee+"/facts/bulk-edit",
		`{"factIds":["`+w.mri+`"],"addTags":["x"],"removeTags":["x"]}`), 400, casescribe.EINVALID)
	r := w.as(t, "bob", "POST", "/cases/"+w.knee+"/facts/bulk-edit",
		`{"factIds":["`+w.mri+`","`+w.bill+`"],"addTags":["reviewed"],"removeTags":["IMAGING"],"keyFact":true}`)
	want(t, "bulk edit", r, 200, "")
	if got := tags(w.mri); !slices.Equal(got, []any{"reviewed"}) {
		t.Errorf("mri tags after bulk = %v", got)
	}
	if w.as(t, "bob", "GET", "/facts/"+w.bill, "").body["keyFact"] != true {
		t.Error("bulk edit did not set the key flag")
	}
	// A null clears, an absent field stays.
	up := w.as(t, "bob", "PATCH", "/facts/"+w.bill, `{"date":null,"documentId":null}`)
	if up.body["date"] != nil || up.body["documentId"] != nil || up.str("text") != "Invoice for the MRI, 1200 USD" {
		t.Errorf("clearing date and document: %s", up.raw)
	}
	same := w.as(t, "bob", "PATCH", "/facts/"+w.bill, `{}`)
	if same.body["version"] != up.body["version"] {
		t.Errorf("a change of nothing bumped the version: %v then %v", up.body["version"], same.body["version"])
	}
	// The view follows: mri left it.
	if got := factIDs(t, w.as(t, "dave", "GET", "/cases/"+w.knee+"/facts", "")); !slices.Equal(got, []string{w.surg}) {
		t.Errorf("dave after the bulk edit = %v", got)
	}
}

func TestSavedViewInUseCannotBeDeleted(t *testing.T) {
	w := newCaseWorld(t)
	want(t, "delete a view in use", w.as(t, "bob", "DELETE", "/views/"+w.view, ""), 409, casescribe.ECONFLICT)
	if v := w.as(t, "bob", "GET", "/cases/"+w.knee+"/views", "").items()[0].(map[string]any); v["shareCount"] != 1.0 {
		t.Errorf("view = %v, want shareCount 1", v)
	}
	// Dave still sees exactly the view: nothing widened.
	if got := factIDs(t, w.as(t, "dave", "GET", "/cases/"+w.knee+"/facts", "")); !slices.Equal(got, []string{w.mri, w.surg}) {
		t.Errorf("dave's facts = %v", got)
	}
	// Once the share no longer uses it, it goes.
	p := w.as(t, "alice", "POST", "/shares/"+w.daveShare+"/preview", `{"scope":"case","caseId":"`+w.knee+`"}`)
	if dv := p.body["droppedViews"].([]any); len(dv) != 1 || dv[0].(map[string]any)["viewName"] != "Imaging" {
		t.Errorf("preview = %s, want the Imaging view named as dropped", p.raw)
	}
	want(t, "drop the view from the share", w.as(t, "alice", "PATCH", "/shares/"+w.daveShare, `{"scope":"case","caseId":"`+w.knee+`","version":1}`), 200, "")
	want(t, "delete the view", w.as(t, "bob", "DELETE", "/views/"+w.view, ""), 204, "")
	want(t, "delete it again", w.as(t, "bob", "DELETE", "/views/"+w.view, ""), 404, casescribe.ENOTFOUND)
	want(t, "share a deleted view", w.as(t, "alice", "POST", "/cases/"+w.knee+"/shares",
		`{"guestId":"`+w.e.users["bob"].id+`","scope":"case","viewId":"`+w.view+`"}`), 400, casescribe.EINVALID)
}

func TestDocumentURLs(t *testing.T) {
	w := newCaseWorld(t)
	ctx := context.Background()
	// Download URLs expire: a server signing for one second.
	short := s3files.New(aws.Config{Region: localstack.Region, Credentials: credentials.NewStaticCredentialsProvider(localstack.S3AccessKeyID, localstack.S3SecretAccessKey, "")}, w.e.stack.S3Endpoint, w.e.bucket, time.Second)
	clock := func() time.Time { return time.Now().UTC() }
	srv := api.NewServer(w.e.store, api.WithClock(clock), api.WithFiles(short),
		api.WithMailer(sesmail.New(w.e.stack.SES(), "no-reply@casescribe.test"), appBaseURL)).Local(w.e.authn, nil)
	req, _ := http.NewRequest("GET", "/documents/"+w.report, nil)
	req.Header.Set("Authorization", "Bearer "+w.e.users["carol"].token)
	req.Header.Set("X-Org-Id", w.org)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || rec.Code != 200 {
		t.Fatalf("document with a short URL: %d %s", rec.Code, rec.Body)
	}
	down := doc["download"].(map[string]any)
	if status, _ := fetch(t, down["url"].(string)); status != 200 {
		t.Fatalf("a fresh URL: %d", status)
	}
	time.Sleep(2100 * time.Millisecond)
	if status, body := fetch(t, down["url"].(string)); status != 403 {
		t.Errorf("an expired URL: %d %s, want 403", status, body)
	}

	// Deleting a document deletes its bytes; deleting a case deletes its content and files.
	want(t, "delete the invoice", w.as(t, "bob", "DELETE", "/documents/"+w.invoice, ""), 204, "")
	key := w.org + "/" + w.knee + "/" + w.invoice
	if _, err := w.e.stack.S3().HeadObject(ctx, &s3.HeadObjectInput{Bucket: &w.e.bucket, Key: &key}); err == nil {
		t.Error("the invoice's bytes survive its deletion")
	}
	hipDoc := w.upload(t, "bob", w.hip, "Hip x-ray.pdf", []byte("%PDF hip"))
	want(t, "delete the hip case", w.as(t, "alice", "DELETE", "/cases/"+w.hip, ""), 204, "")
	want(t, "hip fact after the case", w.as(t, "alice", "GET", "/facts/"+w.hipFact, ""), 404, casescribe.ENOTFOUND)
	want(t, "hip document after the case", w.as(t, "alice", "GET", "/documents/"+hipDoc, ""), 404, casescribe.ENOTFOUND)
	hipKey := w.org + "/" + w.hip + "/" + hipDoc
	if _, err := w.e.stack.S3().HeadObject(ctx, &s3.HeadObjectInput{Bucket: &w.e.bucket, Key: &hipKey}); err == nil {
		t.Error("the hip document's bytes survive the case")
	}

	// An upload URL is signed for the declared type and size. (The local S3 stand-in checks
	// no signatures; pkg/s3files tests that a signature-checking S3 refuses another size.)
	r := w.as(t, "bob", "POST", "/cases/"+w.knee+"/documents", `{"name":"a.pdf","contentType":"application/pdf","size":5}`)
	up := r.body["upload"].(map[string]any)
	u, err := url.Parse(up["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if signed := u.Query().Get("X-Amz-SignedHeaders"); !strings.Contains(signed, "content-length") || !strings.Contains(signed, "content-type") {
		t.Errorf("upload URL signs %q, want content-length and content-type", signed)
	}
	if h := up["headers"].(map[string]any); h["Content-Length"] != "5" || h["Content-Type"] != "application/pdf" {
		t.Errorf("upload headers = %v", h)
	}
	want(t, "document without size", w.as(t, "bob", "POST", "/cases/"+w.knee+"/documents", `{"name":"a.pdf","contentType":"application/pdf"}`), 400, casescribe.EINVALID)
	want(t, "document with a bad type", w.as(t, "bob", "POST", "/cases/"+w.knee+"/documents", `{"name":"a.pdf","contentType":"pdf please","size":3}`), 400, casescribe.EINVALID)
}
