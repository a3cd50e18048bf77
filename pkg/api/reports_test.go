package api_test

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// reportWorld is the organization TestAccessReports reads: clients "Smith, John" (cases
// knee, back, and late, created after gClient's client share of the client) and "Jones,
// Mary" (cases slip and hip). alice is its admin, bob a member; gClient holds all of Smith;
// carol holds slip limited to a saved view, with a chat; dave holds the whole of hip until
// an end far ahead; gEnds holds knee until end; gInvited never accepted. eve is the admin of
// another organization with a case of its own.
type reportWorld struct {
	org, otherOrg   string
	cases           map[string]casescribe.Case // by short name
	otherCase       string
	viewID, chatID  string
	clientShareFrom time.Time
	end             time.Time
	people          []string
}

func seedReportWorld(t *testing.T, e *env, base time.Time) reportWorld {
	t.Helper()
	ctx, st := t.Context(), e.store
	w := reportWorld{org: ulid.Make().String(), otherOrg: ulid.Make().String(), cases: map[string]casescribe.Case{},
		clientShareFrom: base.Add(-24 * time.Hour), end: base.Add(time.Hour),
		people: []string{"alice", "bob", "gClient", "carol", "dave", "gEnds", "gInvited"}}
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %s: %v", what, err)
		}
	}
	founded := base.Add(-72 * time.Hour)
	for org, founder := range map[string]string{w.org: "alice", w.otherOrg: "eve"} {
		u := e.users[founder]
		check("organization", st.CreateOrganization(ctx, casescribe.Organization{ID: org, Name: "Firm of " + founder, CreatedAt: founded, CreatedBy: u.id},
			casescribe.User{ID: u.id, Email: u.email, Name: founder}))
	}
	for _, p := range []struct {
		name   string
		role   casescribe.Role
		status casescribe.MembershipStatus
	}{
		{"bob", casescribe.RoleMember, casescribe.StatusActive},
		{"gClient", casescribe.RoleGuest, casescribe.StatusActive},
		{"carol", casescribe.RoleGuest, casescribe.StatusActive},
		{"dave", casescribe.RoleGuest, casescribe.StatusActive},
		{"gEnds", casescribe.RoleGuest, casescribe.StatusActive},
		{"gInvited", casescribe.RoleGuest, casescribe.StatusInvited},
	} {
		u := e.users[p.name]
		check("membership", st.PutMembership(ctx, casescribe.Membership{OrgID: w.org, OrgName: "Firm of alice", UserID: u.id,
			Email: u.email, Name: p.name, Role: p.role, Status: p.status, CreatedAt: founded.Add(time.Hour)}))
	}
	clients := map[string]string{}
	for _, name := range []string{"Smith, John", "Jones, Mary"} {
		cl := casescribe.Client{OrgID: w.org, ID: ulid.Make().String(), Name: name, CreatedAt: founded, UpdatedAt: founded}
		check("client", st.CreateClient(ctx, cl))
		clients[name] = cl.ID
	}
	for _, k := range []struct {
		short, client string
		created       time.Time
	}{
		{"knee", "Smith, John", founded},
		{"back", "Smith, John", founded},
		{"late", "Smith, John", base.Add(-time.Hour)},
		{"slip", "Jones, Mary", founded},
		{"hip", "Jones, Mary", founded},
	} {
		kc := casescribe.Case{OrgID: w.org, ID: ulid.Make().String(), ClientID: clients[k.client], Name: "Case " + k.short,
			CreatedAt: k.created, UpdatedAt: k.created}
		check("case", st.CreateCase(ctx, kc))
		w.cases[k.short] = kc
	}
	slip := w.cases["slip"]
	view := casescribe.SavedView{OrgID: w.org, CaseID: slip.ID, ClientID: slip.ClientID, ID: ulid.Make().String(), Name: "Imaging",
		Filter: casescribe.FactFilter{Tags: []string{"imaging"}}, CreatedAt: founded, UpdatedAt: founded}
	check("view", st.CreateView(ctx, view))
	chat := casescribe.Chat{OrgID: w.org, CaseID: slip.ID, ClientID: slip.ClientID, ID: ulid.Make().String(), Title: "Review", CreatedBy: "seed", CreatedAt: founded}
	check("chat", st.CreateChat(ctx, chat))
	w.viewID, w.chatID = view.ID, chat.ID
	share := func(guest string, scope casescribe.ShareScope, k casescribe.Case, viewID string, chatIDs []string, since, end time.Time) {
		u := e.users[guest]
		sh := casescribe.Share{OrgID: w.org, ID: ulid.Make().String(), GuestID: u.id, GuestName: guest, GuestEmail: u.email,
			Scope: scope, ClientID: k.ClientID, ViewID: viewID, ChatIDs: chatIDs, Version: 1, CreatedBy: e.users["alice"].id,
			CreatedAt: since, UpdatedAt: since, Since: since, ExpiresAt: end}
		if scope == casescribe.ScopeCase {
			sh.CaseID = k.ID
		}
		check("share", st.CreateShare(ctx, sh))
	}
	share("gClient", casescribe.ScopeClient, w.cases["knee"], "", nil, w.clientShareFrom, time.Time{})
	share("carol", casescribe.ScopeCase, slip, view.ID, []string{chat.ID}, base.Add(-2*time.Hour), time.Time{})
	share("dave", casescribe.ScopeCase, w.cases["hip"], "", nil, base.Add(-3*time.Hour), base.Add(30*24*time.Hour))
	share("gEnds", casescribe.ScopeCase, w.cases["knee"], "", nil, base.Add(-4*time.Hour), w.end)

	other := casescribe.Client{OrgID: w.otherOrg, ID: ulid.Make().String(), Name: "Smith, John", CreatedAt: founded, UpdatedAt: founded}
	check("client", st.CreateClient(ctx, other))
	ko := casescribe.Case{OrgID: w.otherOrg, ID: ulid.Make().String(), ClientID: other.ID, Name: "Case knee", CreatedAt: founded, UpdatedAt: founded}
	check("case", st.CreateCase(ctx, ko))
	w.otherCase = ko.ID
	return w
}

// reportRows returns the items of a report answer.
func reportRows(t *testing.T, what string, r response) []map[string]any {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("%s: %d %s", what, r.status, r.raw)
	}
	var out []map[string]any
	for _, it := range r.items() {
		out = append(out, it.(map[string]any))
	}
	return out
}

// stringAt reads a nested string field ("user.id") of a decoded JSON object; "" for null.
func stringAt(m map[string]any, path string) string {
	var v any = m
	for key := range strings.SplitSeq(path, ".") {
		o, _ := v.(map[string]any)
		v = o[key]
	}
	s, _ := v.(string)
	return s
}

// TestAccessReports holds both reports to the per-case check, at three instants: while a
// share is current, exactly at its end, and after it. For every person and case of the
// organization, the user report lists the case iff the case report lists the person iff
// GET /cases/{caseId} answers the person 200; a guest's scope and view are those of the
// case's access block. The CSV says what the JSON says; guests are refused; another
// organization's ids answer exactly as unknown ones.
func TestAccessReports(t *testing.T) {
	e := setup(t)
	for _, name := range []string{"gClient", "gEnds", "gInvited", "eve"} {
		e.person(t, name)
	}
	// The server reads a clock the test sets, so that "exactly at the end" is exact.
	base := time.Now().UTC().Truncate(time.Second)
	var clock atomic.Int64
	clock.Store(base.UnixNano())
	e.srv = httptest.NewServer(api.NewServer(e.store, api.WithClock(func() time.Time { return time.Unix(0, clock.Load()).UTC() }),
		api.WithFiles(e.files), api.WithLogger(api.NewLogger(t.Output()))).Local(e.authn, nil))
	t.Cleanup(e.srv.Close)
	w := seedReportWorld(t, e, base)

	// sees is what the test expects at each instant, so that agreement cannot be vacuous.
	sees := func(person, kase string, ended bool) bool {
		switch person {
		case "alice", "bob":
			return true
		case "gClient":
			return kase == "knee" || kase == "back" || kase == "late"
		case "carol":
			return kase == "slip"
		case "dave":
			return kase == "hip"
		case "gEnds":
			return kase == "knee" && !ended
		}
		return false
	}
	for _, phase := range []struct {
		name string
		at   time.Time
	}{
		{"share current", base},
		{"exactly at the end", w.end},
		{"after the end", w.end.Add(time.Second)},
	} {
		t.Run(phase.name, func(t *testing.T) {
			clock.Store(phase.at.UnixNano())
			ended := !phase.at.Before(w.end)
			caseReports := map[string][]map[string]any{}
			for short, k := range w.cases {
				r := e.as(t, "alice", w.org, "GET", "/cases/"+k.ID+"/access-report", "")
				caseReports[short] = reportRows(t, "case report of "+short, r)
				if got := r.body["generatedAt"]; got != phase.at.Format(time.RFC3339Nano) {
					t.Errorf("case report of %s: generatedAt %v, want %v", short, got, phase.at)
				}
			}
			userReports := map[string]response{}
			for _, p := range w.people {
				// A member reads the reports too, not only an admin.
				userReports[p] = e.as(t, "bob", w.org, "GET", "/users/"+e.users[p].id+"/access-report", "")
				reportRows(t, "user report of "+p, userReports[p])
			}
			for _, p := range w.people {
				u := e.users[p]
				staff := p == "alice" || p == "bob"
				if got := userReports[p].body["everyCase"]; got != staff {
					t.Errorf("user report of %s: everyCase %v, want %v", p, got, staff)
				}
				for short, k := range w.cases {
					what := fmt.Sprintf("%s on %s", p, short)
					direct := e.as(t, p, w.org, "GET", "/cases/"+k.ID, "")
					var inCase, inUser []map[string]any
					for _, row := range caseReports[short] {
						if stringAt(row, "user.id") == u.id {
							inCase = append(inCase, row)
						}
					}
					for _, it := range reportRows(t, "user report of "+p, userReports[p]) {
						if stringAt(it, "caseId") == k.ID {
							inUser = append(inUser, it)
						}
					}
					listedByUser := len(inUser) > 0 || userReports[p].body["everyCase"] == true
					if want := sees(p, short, ended); (direct.status == http.StatusOK) != want {
						t.Errorf("%s: GET /cases/{caseId} answers %d, want it to see the case: %v", what, direct.status, want)
					}
					if (direct.status == http.StatusOK) != (len(inCase) > 0) || (len(inCase) > 0) != listedByUser {
						t.Errorf("%s: GET /cases/{caseId} %d, case report rows %v, user report lists it %v: they disagree",
							what, direct.status, inCase, listedByUser)
						continue
					}
					if direct.status != http.StatusOK {
						continue
					}
					if staff {
						if len(inCase) != 1 || stringAt(inCase[0], "via") != "membership" || inCase[0]["until"] != nil {
							t.Errorf("%s: case report rows %v, want one membership row without an end", what, inCase)
						}
						continue
					}
					acc, _ := direct.body["access"].(map[string]any)
					if len(inCase) != 1 || len(inUser) != 1 {
						t.Fatalf("%s: case report rows %v, user report items %v; want one each", what, inCase, inUser)
					}
					for _, got := range []map[string]any{inCase[0], inUser[0]} {
						if stringAt(got, "scope") != stringAt(acc, "scope") || stringAt(got, "viewId") != stringAt(acc, "viewId") ||
							stringAt(got, "viewName") != stringAt(acc, "viewName") {
							t.Errorf("%s: report says scope %q view %q %q, GET /cases/{caseId} says %v", what,
								stringAt(got, "scope"), stringAt(got, "viewId"), stringAt(got, "viewName"), acc)
						}
					}
					if stringAt(inCase[0], "shareId") != stringAt(inUser[0], "shareId") || stringAt(inCase[0], "since") != stringAt(inUser[0], "since") ||
						inCase[0]["until"] != inUser[0]["until"] {
						t.Errorf("%s: case report row %v and user report item %v differ", what, inCase[0], inUser[0])
					}
				}
			}
			// What the rows say beyond who: a client share opens a later case from its creation;
			// the view and chats of a case share; the end of a share; who made it.
			for _, row := range caseReports["late"] {
				if stringAt(row, "user.id") == e.users["gClient"].id && stringAt(row, "since") != w.cases["late"].CreatedAt.Format(time.RFC3339Nano) {
					t.Errorf("gClient on late: since %s, want the case's creation %s", stringAt(row, "since"), w.cases["late"].CreatedAt)
				}
			}
			for _, row := range caseReports["knee"] {
				if stringAt(row, "user.id") == e.users["gClient"].id && stringAt(row, "since") != w.clientShareFrom.Format(time.RFC3339Nano) {
					t.Errorf("gClient on knee: since %s, want the share's start %s", stringAt(row, "since"), w.clientShareFrom)
				}
				if stringAt(row, "user.id") == e.users["gEnds"].id && stringAt(row, "until") != w.end.Format(time.RFC3339Nano) {
					t.Errorf("gEnds on knee: until %v, want %s", row["until"], w.end)
				}
			}
			for _, row := range caseReports["slip"] {
				if stringAt(row, "via") == "share" && (stringAt(row, "viewId") != w.viewID || stringAt(row, "viewName") != "Imaging" ||
					fmt.Sprint(row["chatIds"]) != fmt.Sprint([]any{w.chatID}) || stringAt(row, "sharedBy.name") != "alice") {
					t.Errorf("carol on slip: %v, want the view Imaging, chat %s, shared by alice", row, w.chatID)
				}
			}
			if inv := userReports["gInvited"]; inv.str("status") != "invited" || len(inv.items()) != 0 {
				t.Errorf("invited guest: %s, want status invited and no items", inv.raw)
			}
		})
	}

	clock.Store(base.UnixNano())
	t.Run("CSV rows are the JSON items", func(t *testing.T) {
		for short, k := range w.cases {
			path := "/cases/" + k.ID + "/access-report"
			items := reportRows(t, short, e.as(t, "alice", w.org, "GET", path, ""))
			want := [][]string{{"userId", "name", "email", "role", "via", "shareId", "scope", "viewId", "viewName",
				"chatIds", "sharedById", "sharedByName", "since", "until"}}
			for _, it := range items {
				want = append(want, []string{stringAt(it, "user.id"), stringAt(it, "user.name"), stringAt(it, "user.email"), stringAt(it, "role"),
					stringAt(it, "via"), stringAt(it, "shareId"), stringAt(it, "scope"), stringAt(it, "viewId"), stringAt(it, "viewName"),
					joinIDs(it["chatIds"]), stringAt(it, "sharedBy.id"), stringAt(it, "sharedBy.name"), stringAt(it, "since"), stringAt(it, "until")})
			}
			for _, accept := range []bool{false, true} {
				if got := e.reportCSV(t, w.org, path, accept, k.Name+" - access report.csv"); !slices.EqualFunc(got, want, slices.Equal) {
					t.Errorf("case report of %s as CSV (Accept header %v):\n%q\nwant\n%q", short, accept, got, want)
				}
			}
		}
		for _, p := range w.people {
			path := "/users/" + e.users[p].id + "/access-report"
			items := reportRows(t, p, e.as(t, "alice", w.org, "GET", path, ""))
			want := [][]string{{"caseId", "caseName", "clientId", "clientName", "shareId", "scope", "viewId", "viewName", "chatIds", "since", "until"}}
			for _, it := range items {
				want = append(want, []string{stringAt(it, "caseId"), stringAt(it, "caseName"), stringAt(it, "clientId"), stringAt(it, "clientName"),
					stringAt(it, "shareId"), stringAt(it, "scope"), stringAt(it, "viewId"), stringAt(it, "viewName"), joinIDs(it["chatIds"]),
					stringAt(it, "since"), stringAt(it, "until")})
			}
			if got := e.reportCSV(t, w.org, path, false, p+" - access report.csv"); !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("user report of %s as CSV:\n%q\nwant\n%q", p, got, want)
			}
		}
	})

	t.Run("refusals", func(t *testing.T) {
		knee := "/cases/" + w.cases["knee"].ID + "/access-report"
		alice := "/users/" + e.users["alice"].id + "/access-report"
		for _, g := range []string{"gClient", "carol"} {
			want(t, g+" reads a case report", e.as(t, g, w.org, "GET", knee, ""), http.StatusForbidden, casescribe.EGUESTRESTRICTED)
			want(t, g+" reads a user report", e.as(t, g, w.org, "GET", alice, ""), http.StatusForbidden, casescribe.EGUESTRESTRICTED)
		}
		want(t, "format xml", e.as(t, "alice", w.org, "GET", knee+"?format=xml", ""), http.StatusBadRequest, casescribe.EINVALID)
		want(t, "format xml", e.as(t, "alice", w.org, "GET", alice+"?format=xml", ""), http.StatusBadRequest, casescribe.EINVALID)
		for _, tt := range []struct{ what, path, unknown string }{
			{"another organization's case", "/cases/" + w.otherCase + "/access-report", "/cases/" + ulid.Make().String() + "/access-report"},
			{"another organization's admin", "/users/" + e.users["eve"].id + "/access-report", "/users/00000000-0000-4000-8000-000000000000/access-report"},
		} {
			got, unknown := e.as(t, "alice", w.org, "GET", tt.path, ""), e.as(t, "alice", w.org, "GET", tt.unknown, "")
			want(t, tt.what, got, http.StatusNotFound, casescribe.ENOTFOUND)
			if got.raw != unknown.raw {
				t.Errorf("%s answers %s, an unknown id %s", tt.what, got.raw, unknown.raw)
			}
		}
	})
}

// joinIDs writes a JSON list of ids as a CSV cell does.
func joinIDs(v any) string {
	var ids []string
	for _, id := range v.([]any) {
		ids = append(ids, id.(string))
	}
	return strings.Join(ids, "; ")
}

// reportCSV asks alice for a report as CSV, by ?format=csv or by the Accept header, checks the
// answer's headers and returns its rows.
func (e *env) reportCSV(t *testing.T, orgID, path string, accept bool, fileName string) [][]string {
	t.Helper()
	if !accept {
		path += "?format=csv"
	}
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	authorization := "Bearer " + e.users["alice"].token
	req.Header.Set("Authorization", authorization)
	req.Header.Set("X-Org-Id", orgID)
	if accept {
		req.Header.Set("Accept", "text/csv")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	e.validate(t, "GET", path, "", orgID, authorization, res, raw)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("GET %s as CSV: %d %s %s", path, res.StatusCode, res.Header.Get("Content-Type"), raw)
	}
	if got := res.Header.Get("Content-Disposition"); !strings.HasPrefix(got, "attachment;") || !strings.Contains(got, fileName) {
		t.Errorf("GET %s as CSV: Content-Disposition %q, want an attachment named %q", path, got, fileName)
	}
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatalf("GET %s as CSV: %v in %q", path, err, raw)
	}
	return rows
}
