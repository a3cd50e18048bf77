package api_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/oklog/ulid/v2"
)

// matrixBodies holds a valid body for every route that takes one. A route that takes a body
// and has no entry here fails the matrix, so that a new route is exercised from the start.
var matrixBodies = map[string]string{
	"createOrganization": `{"name":"Matrix firm"}`,
	"createClient":       `{"name":"Matrix client"}`,
	"updateClient":       `{"name":"Matrix client"}`,
	"createCase":         `{"name":"Matrix case"}`,
	"updateCase":         `{"name":"Matrix case"}`,
	"updateUser":         `{"role":"member"}`,
	"createInvitation":   `{"email":"matrix-invitee@example.com","name":"Matrix Invitee","role":"guest"}`,
	"resendInvitation":   ``,
	"acceptInvitation":   `{"token":"not-a-real-token"}`,
	"createShare":        `{"guestId":"matrix-guest","scope":"case"}`,
	"previewShareChange": `{"scope":"client"}`,
	"updateShare":        `{"scope":"client","version":1}`,
	"createFact":         `{"text":"Matrix fact"}`,
	"updateFact":         `{"text":"Matrix fact"}`,
	"addFactTag":         `{"tag":"matrix"}`,
	"bulkEditFacts":      `{"factIds":["01ARZ3NDEKTSV4RRFFQ69G5FAV"],"keyFact":true}`,
	"createComment":      `{"text":"Matrix comment"}`,
	"createView":         `{"name":"Matrix view"}`,
	"updateView":         `{"name":"Matrix view"}`,
	"createDocument":     `{"name":"matrix.pdf","contentType":"application/pdf","size":10}`,
	"putSummary":         `{"text":"Matrix summary"}`,
	"createChat":         `{"title":"Matrix chat"}`,
	"postChatMessage":    `{"text":"What happened?"}`,
	"retagFacts":         ``,
	"regroupFacts":       ``,
}

// matrixUnknownTarget names routes whose target comes from the body or the query rather than
// the path; with the bogus ones the matrix sends, they answer 404 like an unknown path id.
var matrixUnknownTarget = map[string]bool{
	"acceptInvitation": true,
	"lookupInvitation": true,
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// The kinds of target the matrix aims every route at. Not every kind exists for every record:
// "outside the view" is a record of the shared case that a guest limited to a saved view does
// not see (a fact outside the view, a document no fact of the view cites, another view of the
// case, a chat of the case the share does not list).
const (
	targetNone      = "no target"
	targetShared    = "shared"
	targetOutside   = "shared case, outside the view"
	targetUnshared  = "unshared, same organization"
	targetOtherOrg  = "other organization"
	targetUnknown   = "unknown id"
	matrixTag       = "matrix"
	matrixSeedWorld = "matrix seed"
)

// paramKinds maps a route's first path parameter to the kind of record it names.
var paramKinds = map[string]string{
	"clientId": "client", "caseId": "case", "factId": "fact", "documentId": "document",
	"viewId": "view", "chatId": "chat", "shareId": "share", "userId": "user", "invitationId": "invitation",
}

// matrixWorld is two organizations seeded through the store, each record kept as written so
// that the rules package can judge every request against it.
//
// Organization A: client C1 with cases K1 and K1b, client C2 with K2, client C3 with K3. K1
// holds facts F1 (tagged imaging, citing D1) and F2 (tagged billing, citing D2), the views V1
// (imaging) and V2 (billing), chats CH1 and CH2 and a summary; K3 holds F3, D3, V3, CH3 and a
// summary. Guests: gClient holds all of C1; gCase the whole of K1 with CH1; gView K1 limited to
// V1 with CH1; gOther K2 only; gInvited was invited and never accepted. Organization B (admin
// eve) holds the same kinds of records, and gView is also its guest, with all of its client CB.
type matrixWorld struct {
	orgA, orgB string
	// targets[kind][target] is the record of that kind used as that kind of target.
	targets     map[string]map[string]string
	clients     map[string]casescribe.Client
	cases       map[string]casescribe.Case
	facts       map[string]casescribe.Fact
	documents   map[string]casescribe.Document
	views       map[string]casescribe.SavedView
	chats       map[string]casescribe.Chat
	shares      map[string]casescribe.Share
	members     map[string]casescribe.Membership // by orgID + "/" + userID
	invitations map[string]string                // invitation id -> organization
	grants      map[string]access.Grants         // by orgID + "/" + guestID, read back from the store
}

func seedMatrix(t *testing.T, e *env) *matrixWorld {
	t.Helper()
	ctx, st, now := t.Context(), e.store, time.Now().UTC()
	w := &matrixWorld{orgA: ulid.Make().String(), orgB: ulid.Make().String(), targets: map[string]map[string]string{},
		clients: map[string]casescribe.Client{}, cases: map[string]casescribe.Case{}, facts: map[string]casescribe.Fact{},
		documents: map[string]casescribe.Document{}, views: map[string]casescribe.SavedView{}, chats: map[string]casescribe.Chat{},
		shares: map[string]casescribe.Share{}, members: map[string]casescribe.Membership{}, invitations: map[string]string{},
		grants: map[string]access.Grants{}}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %s: %v", matrixSeedWorld, what, err)
		}
	}
	target := func(kind, which, id string) {
		if w.targets[kind] == nil {
			w.targets[kind] = map[string]string{targetUnknown: ulid.Make().String()}
		}
		w.targets[kind][which] = id
	}
	found := func(org, founder, name string) {
		u := e.users[founder]
		must("organization", st.CreateOrganization(ctx, casescribe.Organization{ID: org, Name: name, CreatedAt: now, CreatedBy: u.id},
			casescribe.User{ID: u.id, Email: u.email, Name: founder}))
		w.members[org+"/"+u.id] = casescribe.Membership{OrgID: org, UserID: u.id, Role: casescribe.RoleAdmin, Status: casescribe.StatusActive}
	}
	join := func(org, name string, role casescribe.Role, status casescribe.MembershipStatus) {
		u := e.users[name]
		m := casescribe.Membership{OrgID: org, OrgName: "Matrix", UserID: u.id, Email: u.email, Name: name, Role: role, Status: status, CreatedAt: now}
		must("membership", st.PutMembership(ctx, m))
		w.members[org+"/"+u.id] = m
	}
	client := func(org, name string) string {
		c := casescribe.Client{OrgID: org, ID: ulid.Make().String(), Name: name, CreatedAt: now, UpdatedAt: now}
		must("client", st.CreateClient(ctx, c))
		w.clients[c.ID] = c
		return c.ID
	}
	kase := func(org, clientID, name string) string {
		k := casescribe.Case{OrgID: org, ID: ulid.Make().String(), ClientID: clientID, Name: name, CreatedAt: now, UpdatedAt: now}
		must("case", st.CreateCase(ctx, k))
		must("summary", st.PutSummary(ctx, casescribe.CaseSummary{OrgID: org, CaseID: k.ID, Text: "Summary of " + name,
			UpdatedByID: "seed", UpdatedAt: now, Version: 1}, clientID, 0))
		w.cases[k.ID] = k
		return k.ID
	}
	document := func(caseID, name string) string {
		k := w.cases[caseID]
		d := casescribe.Document{OrgID: k.OrgID, CaseID: k.ID, ClientID: k.ClientID, ID: ulid.Make().String(), Name: name,
			ContentType: "application/pdf", Size: 100, UploaderID: "seed", UploaderName: "Seed", CreatedAt: now}
		must("document", st.CreateDocument(ctx, d))
		w.documents[d.ID] = d
		return d.ID
	}
	fact := func(caseID, text, documentID string, tags ...string) string {
		k := w.cases[caseID]
		f := casescribe.Fact{OrgID: k.OrgID, CaseID: k.ID, ClientID: k.ClientID, ID: ulid.Make().String(), Text: text, Date: "2024-03-01",
			Tags: append(tags, matrixTag), DocumentID: documentID, CreatedBy: "seed", CreatedAt: now, UpdatedAt: now, Version: 1}
		must("fact", st.CreateFact(ctx, f))
		w.facts[f.ID] = f
		return f.ID
	}
	view := func(caseID, name, tag string) string {
		k := w.cases[caseID]
		v := casescribe.SavedView{OrgID: k.OrgID, CaseID: k.ID, ClientID: k.ClientID, ID: ulid.Make().String(), Name: name,
			Filter: casescribe.FactFilter{Tags: []string{tag}}, CreatedAt: now, UpdatedAt: now}
		must("view", st.CreateView(ctx, v))
		w.views[v.ID] = v
		return v.ID
	}
	chat := func(caseID, title string) string {
		k := w.cases[caseID]
		c := casescribe.Chat{OrgID: k.OrgID, CaseID: k.ID, ClientID: k.ClientID, ID: ulid.Make().String(), Title: title, CreatedBy: "seed", CreatedAt: now}
		must("chat", st.CreateChat(ctx, c))
		w.chats[c.ID] = c
		return c.ID
	}
	share := func(org, guest string, scope casescribe.ShareScope, clientID, caseID, viewID string, chatIDs ...string) string {
		u := e.users[guest]
		sh := casescribe.Share{OrgID: org, ID: ulid.Make().String(), GuestID: u.id, GuestName: guest, GuestEmail: u.email, Scope: scope,
			ClientID: clientID, CaseID: caseID, ViewID: viewID, ChatIDs: chatIDs, Version: 1, CreatedBy: "seed", CreatedAt: now, UpdatedAt: now}
		must("share", st.CreateShare(ctx, sh))
		w.shares[sh.ID] = sh
		return sh.ID
	}

	found(w.orgA, "alice", "Harbor & Vale LLP")
	join(w.orgA, "bob", casescribe.RoleMember, casescribe.StatusActive)
	for _, g := range []string{"gClient", "carol", "dave", "gOther"} {
		join(w.orgA, g, casescribe.RoleGuest, casescribe.StatusActive)
	}
	join(w.orgA, "gInvited", casescribe.RoleGuest, casescribe.StatusInvited)
	c1, c2, c3 := client(w.orgA, "Smith, John"), client(w.orgA, "Jones, Mary"), client(w.orgA, "Brown, Ann")
	k1, k2, k3 := kase(w.orgA, c1, "Knee MRI"), kase(w.orgA, c2, "Slip and fall"), kase(w.orgA, c3, "Hip replacement")
	kase(w.orgA, c1, "Back pain")
	d1, d2, d3 := document(k1, "MRI.pdf"), document(k1, "Invoice.pdf"), document(k3, "X-ray.pdf")
	f1, f2, f3 := fact(k1, "MRI shows a tear", d1, "imaging"), fact(k1, "Invoice of 1200 USD", d2, "billing"), fact(k3, "X-ray shows wear", d3, "imaging")
	v1, v2, v3 := view(k1, "Imaging", "imaging"), view(k1, "Billing", "billing"), view(k3, "Imaging", "imaging")
	ch1, ch2, ch3 := chat(k1, "Imaging review"), chat(k1, "Billing"), chat(k3, "Hip questions")
	share(w.orgA, "gClient", casescribe.ScopeClient, c1, "", "")
	sCase := share(w.orgA, "carol", casescribe.ScopeCase, c1, k1, "", ch1)
	share(w.orgA, "dave", casescribe.ScopeCase, c1, k1, v1, ch1)
	sOther := share(w.orgA, "gOther", casescribe.ScopeCase, c2, k2, "")
	invA, _ := budgetInvitation(t, st, w.orgA, "matrix-"+strings.ToLower(ulid.Make().String())+"@example.com", now)
	w.invitations[invA] = w.orgA

	found(w.orgB, "eve", "Other & Co")
	join(w.orgB, "dave", casescribe.RoleGuest, casescribe.StatusActive)
	join(w.orgB, "bMember", casescribe.RoleMember, casescribe.StatusActive)
	join(w.orgB, "bGuest", casescribe.RoleGuest, casescribe.StatusActive)
	cb := client(w.orgB, "Smith, John")
	kb := kase(w.orgB, cb, "Knee MRI")
	db := document(kb, "MRI.pdf")
	fb, vb, chb := fact(kb, "MRI of another firm", db, "imaging"), view(kb, "Imaging", "imaging"), chat(kb, "Other review")
	sb := share(w.orgB, "dave", casescribe.ScopeClient, cb, "", "")
	invB, _ := budgetInvitation(t, st, w.orgB, "matrix-"+strings.ToLower(ulid.Make().String())+"@example.com", now)
	w.invitations[invB] = w.orgB

	for _, r := range []struct {
		kind                                string
		shared, outside, unshared, otherOrg string
	}{
		{"client", c1, "", c3, cb},
		{"case", k1, "", k3, kb},
		{"fact", f1, f2, f3, fb},
		{"document", d1, d2, d3, db},
		{"view", v1, v2, v3, vb},
		{"chat", ch1, ch2, ch3, chb},
		{"share", sCase, "", sOther, sb},
		{"user", e.users["carol"].id, "", e.users["bob"].id, e.users["bMember"].id},
		{"invitation", invA, "", "", invB},
	} {
		for which, id := range map[string]string{targetShared: r.shared, targetOutside: r.outside, targetUnshared: r.unshared, targetOtherOrg: r.otherOrg} {
			if id != "" {
				target(r.kind, which, id)
			}
		}
	}
	for key, m := range w.members {
		if m.Role == casescribe.RoleGuest {
			gs, err := st.GuestGrants(ctx, m.OrgID, m.UserID)
			must("grants", err)
			w.grants[key] = access.GrantsOf(gs...)
		}
	}
	return w
}

// scope is how c sees case caseID by the rules package; ok is false when it may not.
func (w *matrixWorld) scope(c casescribe.Caller, caseID string) (access.Scope, bool) {
	k, ok := w.cases[caseID]
	if !ok {
		return access.Scope{}, false
	}
	var views []casescribe.SavedView
	for _, v := range w.views {
		if v.CaseID == caseID {
			views = append(views, v)
		}
	}
	return access.ContentScope(c, k, w.grants[c.OrgID+"/"+c.UserID], views)
}

// visible says, by the rules package, whether c may see the record id of the given kind.
// Records of another organization and unknown ids are invisible alike.
func (w *matrixWorld) visible(c casescribe.Caller, kind, id string) (bool, access.Scope) {
	g := w.grants[c.OrgID+"/"+c.UserID]
	switch kind {
	case "client":
		cl, ok := w.clients[id]
		return ok && access.SeesClient(c, cl, g), access.Scope{}
	case "case":
		sc, ok := w.scope(c, id)
		return ok, sc
	case "fact":
		f, ok := w.facts[id]
		sc, sees := w.scope(c, f.CaseID)
		return ok && sees && sc.SeesFact(f), sc
	case "document":
		d, ok := w.documents[id]
		sc, sees := w.scope(c, d.CaseID)
		var facts []casescribe.Fact
		for _, f := range w.facts {
			if f.CaseID == d.CaseID {
				facts = append(facts, f)
			}
		}
		return ok && sees && sc.SeesDocument(d, facts), sc
	case "view":
		v, ok := w.views[id]
		sc, sees := w.scope(c, v.CaseID)
		return ok && sees && len(sc.SeesViews([]casescribe.SavedView{v})) == 1, sc
	case "chat":
		ch, ok := w.chats[id]
		sc, sees := w.scope(c, ch.CaseID)
		return ok && sees && access.SeesChat(c, sc, ch, g), sc
	case "share":
		sh, ok := w.shares[id]
		return ok && sh.OrgID == c.OrgID && c.Role.Staff(), access.Scope{}
	case "user":
		_, ok := w.members[c.OrgID+"/"+id]
		return ok && c.Role.Staff(), access.Scope{}
	case "invitation":
		return w.invitations[id] == c.OrgID && c.Role == casescribe.RoleAdmin, access.Scope{}
	}
	return false, access.Scope{}
}

// invisibleIDs are the ids of every record c may not see: none may appear in an answer to c.
// A guest's own shares are left out (a guest's answers may name the share it holds).
func (w *matrixWorld) invisibleIDs(c casescribe.Caller) []string {
	var out []string
	add := func(kind string, id string) {
		if ok, _ := w.visible(c, kind, id); !ok {
			out = append(out, id)
		}
	}
	for id := range w.clients {
		add("client", id)
	}
	for id := range w.cases {
		add("case", id)
	}
	for id := range w.facts {
		add("fact", id)
	}
	for id := range w.documents {
		add("document", id)
	}
	for id := range w.views {
		add("view", id)
	}
	for id, ch := range w.chats {
		if ch.CreatedBy != c.UserID {
			add("chat", id)
		}
	}
	for id, sh := range w.shares {
		if sh.GuestID != c.UserID {
			add("share", id)
		}
	}
	for id := range w.invitations {
		add("invitation", id)
	}
	return out
}

// matrixBody is the route's body for a call on target id: matrixBodies, with the ids a body
// names taken from the world so that a permitted call can succeed.
func (w *matrixWorld) matrixBody(e *env, rt api.Route, kind, id string) string {
	body := matrixBodies[rt.ID]
	switch rt.ID {
	case "createShare":
		guest := "gOther"
		if w.cases[id].OrgID == w.orgB {
			guest = "bGuest"
		}
		body = `{"guestId":"` + e.users[guest].id + `","scope":"case"}`
	case "previewShareChange", "updateShare":
		// Expand a case share to its client; narrow a client share to one of its cases.
		body = `{"scope":"client"`
		if sh := w.shares[id]; sh.Scope == casescribe.ScopeClient {
			for _, k := range w.cases {
				if k.ClientID == sh.ClientID {
					body = `{"scope":"case","caseId":"` + k.ID + `"`
				}
			}
		}
		if rt.ID == "updateShare" {
			body += `,"version":1`
		}
		body += `}`
	case "bulkEditFacts":
		factID := ulid.Make().String()
		for _, f := range w.facts {
			if f.CaseID == id {
				factID = f.ID
			}
		}
		body = `{"factIds":["` + factID + `"],"keyFact":true}`
	}
	return body
}

// readOnlyPosts are POST routes that change nothing, so that calling them on the shared world
// leaves it as the next call expects.
var readOnlyPosts = map[string]bool{"previewShareChange": true}

// TestAccessMatrix calls every route of the route table as every kind of caller, on every kind
// of target its path names: a shared record, a record of the shared case outside a guest's
// view, an unshared record of the same organization, a record of another organization and an
// unknown id. The expected status comes from the rules package: the authorizer's refusal,
// else access.Permit's verdict, else 404 when the rules say the caller may not see the target
// (ContentScope, SeesFact, SeesDocument, SeesViews, SeesChat, SeesClient), else success, with
// refusals of the change itself rather than of access: the case summary for a guest limited to
// a view (view_locked); deleting a view a share uses, deleting a client that has cases and
// changing the role of a guest who holds shares (conflict).
//
// Beyond the status: an invisible id answers byte for byte as an unknown one does; no answer
// to anyone names a record the rules hide from them; a route with no declared rule fails.
// Calls expected to change something run on freshly seeded worlds (one per route and caller),
// so that every other call sees the world the expectations were computed on.
func TestAccessMatrix(t *testing.T) {
	e := setup(t)
	for _, name := range []string{"gClient", "gOther", "gInvited", "eve", "bMember", "bGuest", "nobody"} {
		e.person(t, name)
	}
	shared := seedMatrix(t, e)

	type callerKind struct {
		name, user string
		org        string // "A", "B", "" (no header) or "random"
		refusal    string // the authorizer's refusal on organization routes
	}
	callers := []callerKind{
		{name: "admin", user: "alice", org: "A"},
		{name: "member", user: "bob", org: "A"},
		{name: "guest with a client share", user: "gClient", org: "A"},
		{name: "guest with a whole-case share", user: "carol", org: "A"},
		{name: "guest limited to a view", user: "dave", org: "A"},
		{name: "guest holding another case", user: "gOther", org: "A"},
		{name: "invited guest, not accepted", user: "gInvited", org: "A", refusal: casescribe.EINVITATIONPENDING},
		{name: "admin of another organization", user: "eve", org: "B"},
		{name: "admin of another organization, this X-Org-Id", user: "eve", org: "A", refusal: casescribe.ENOTMEMBER},
		{name: "signed in, no membership", user: "nobody", org: "A", refusal: casescribe.ENOTMEMBER},
		{name: "member, no X-Org-Id", user: "bob", refusal: casescribe.EORGREQUIRED},
		{name: "no token"},
	}
	orgOf := func(w *matrixWorld, which string) string {
		switch which {
		case "A":
			return w.orgA
		case "B":
			return w.orgB
		}
		return ""
	}
	callerOf := func(w *matrixWorld, ck callerKind, rt api.Route) casescribe.Caller {
		c := casescribe.Caller{UserID: e.users[ck.user].id}
		if ck.user == "" {
			c.UserID = ""
		}
		if rt.Action.Needs() == access.NeedOrganization {
			c.OrgID = orgOf(w, ck.org)
			if m, ok := w.members[c.OrgID+"/"+c.UserID]; ok {
				c.Role = m.Role
			}
		}
		return c
	}

	var calls, fresh, successes, refusals int
	for _, rt := range api.Routes() {
		if !rt.Action.Known() {
			t.Errorf("%s: action %q has no rule in the rules package", rt.ID, rt.Action)
			continue
		}
		if _, ok := matrixBodies[rt.ID]; !ok && (rt.Method == http.MethodPost || rt.Method == http.MethodPatch || rt.Method == http.MethodPut) {
			t.Errorf("%s: no matrix body; add one to matrixBodies", rt.ID)
			continue
		}
		kind, targets := "", []string{targetNone}
		if m := pathParam.FindString(rt.Path); m != "" {
			kind = paramKinds[m[1:len(m)-1]]
			if kind == "" {
				t.Fatalf("%s: path parameter %s names no kind of record the matrix knows", rt.ID, m)
			}
			targets = nil
			for which := range shared.targets[kind] {
				targets = append(targets, which)
			}
			slices.Sort(targets)
		}
		for _, ck := range callers {
			answers := map[string]response{}
			// Changes the rules allow are made on a world of their own, one per route and
			// caller: the targets of one route are distinct records, so that a change on one
			// leaves the expectations on the next as they were.
			var changed *matrixWorld
			for _, which := range targets {
				w := shared
				c := callerOf(w, ck, rt)

				wantCode := w.expect(c, ck.refusal, rt, kind, which)
				if wantCode == "" && rt.Method != http.MethodGet && !readOnlyPosts[rt.ID] {
					if changed == nil {
						changed = seedMatrix(t, e)
						fresh++
					}
					w = changed
					c = callerOf(w, ck, rt)
				}
				id, path := w.path(rt, kind, which)
				authorization := ""
				if ck.user != "" {
					authorization = "Bearer " + e.users[ck.user].token
				}
				what := fmt.Sprintf("%s as %s on %s", rt.Key(), ck.name, which)
				got := e.call(t, authorization, orgOf(w, ck.org), rt.Method, path, w.matrixBody(e, rt, kind, id))
				calls++
				answers[which] = got
				if wantCode != "" {
					refusals++
					want(t, what, got, api.StatusOf(wantCode), wantCode)
				} else {
					successes++
					if got.status < 200 || got.status > 299 {
						t.Errorf("%s: got %d %s, want success", what, got.status, got.raw)
					}
				}
				w.checkNoLeak(t, what, c, got)
			}
			// An invisible id answers exactly as an unknown one: same status, same body.
			if unknown, ok := answers[targetUnknown]; ok && unknown.status == http.StatusNotFound {
				for which, got := range answers {
					if got.status == http.StatusNotFound && got.raw != unknown.raw {
						t.Errorf("%s as %s: %s answers %s, an unknown id %s", rt.Key(), ck.name, which, got.raw, unknown.raw)
					}
				}
			}
		}
	}
	t.Logf("access matrix: %d routes × %d kinds of caller, %d calls (%d expected to succeed, %d refused), %d on a fresh world",
		len(api.Routes()), len(callers), calls, successes, refusals, fresh)
}

// path is rt's path aimed at the target which of the given kind, and the target's id.
func (w *matrixWorld) path(rt api.Route, kind, which string) (id, path string) {
	path = rt.Path
	if kind != "" {
		id = w.targets[kind][which]
		path = strings.Replace(path, pathParam.FindString(path), id, 1)
		path = strings.Replace(path, "{tag}", matrixTag, 1)
	}
	return id, path
}

// checkNoLeak fails the test when a successful answer to c names a record the rules hide from c.
func (w *matrixWorld) checkNoLeak(t *testing.T, what string, c casescribe.Caller, got response) {
	t.Helper()
	if got.status < 200 || got.status > 299 {
		return
	}
	for _, hidden := range w.invisibleIDs(c) {
		if strings.Contains(got.raw, hidden) {
			t.Errorf("%s: the answer names %s, which the rules hide from this caller: %s", what, hidden, got.raw)
		}
	}
}

// expect is what the rules say c gets from route rt on the target which of the given kind
// ("" for none): an error code, or "" for success. It follows the order the server applies
// them: the authorizer's refusal (refusal, for a caller it turns away), access.Permit, then
// whether the rules let c see the target, then the few refusals of the change itself.
func (w *matrixWorld) expect(c casescribe.Caller, refusal string, rt api.Route, kind, which string) string {
	switch {
	case rt.Action.Needs() == access.NeedNothing:
		if matrixUnknownTarget[rt.ID] {
			return casescribe.ENOTFOUND
		}
		return ""
	case c.UserID == "":
		return casescribe.EUNAUTHENTICATED
	case rt.Action.Needs() == access.NeedOrganization && refusal != "":
		return refusal
	}
	if err := access.Permit(c, rt.Action); err != nil {
		return casescribe.ErrorCode(err)
	}
	if matrixUnknownTarget[rt.ID] {
		return casescribe.ENOTFOUND
	}
	if kind == "" {
		return ""
	}
	id := w.targets[kind][which]
	ok, sc := w.visible(c, kind, id)
	switch {
	case !ok:
		return casescribe.ENOTFOUND
	case rt.ID == "getSummary" && sc.ViewLocked():
		return casescribe.EVIEWLOCKED
	case rt.ID == "deleteView" && viewInUse(w, id),
		rt.ID == "deleteClient" && w.clientHasCases(id),
		rt.ID == "updateUser" && w.holdsShares(id):
		return casescribe.ECONFLICT
	}
	return ""
}

// clientHasCases says whether client id has a case in the world: such a client cannot be
// deleted.
func (w *matrixWorld) clientHasCases(id string) bool {
	for _, k := range w.cases {
		if k.ClientID == id {
			return true
		}
	}
	return false
}

// holdsShares says whether user id holds a share: a guest's role cannot change while it does.
func (w *matrixWorld) holdsShares(id string) bool {
	for _, sh := range w.shares {
		if sh.GuestID == id {
			return true
		}
	}
	return false
}

// viewInUse says whether a share of the world is limited to view id.
func viewInUse(w *matrixWorld, id string) bool {
	for _, sh := range w.shares {
		if sh.ViewID == id {
			return true
		}
	}
	return false
}
