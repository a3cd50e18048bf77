package api_test

import (
	"slices"
	"testing"

	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/oklog/ulid/v2"
)

// ids returns the "id" of every item of a list answer.
func ids(r response) []string {
	var out []string
	for _, it := range r.items() {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	slices.Sort(out)
	return out
}

func sorted(xs ...string) []string {
	out := append([]string(nil), xs...)
	slices.Sort(out)
	return out
}

// The guest story: shares of one case and of a whole client, what each guest then sees
// everywhere, the indicators, removal on the next request, and the cascades.
func TestSharing(t *testing.T) {
	e := setup(t)
	org := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Harbor & Vale LLP"}`).str("id")
	e.join(t, "bob", org, casescribe.RoleMember, casescribe.StatusActive)
	e.person(t, "erin")
	e.person(t, "frank")
	e.join(t, "erin", org, casescribe.RoleGuest, casescribe.StatusActive)
	e.join(t, "frank", org, casescribe.RoleGuest, casescribe.StatusActive)
	e.join(t, "dave", org, casescribe.RoleGuest, casescribe.StatusInvited)
	erin, frank := e.users["erin"].id, e.users["frank"].id

	smith := e.as(t, "alice", org, "POST", "/clients", `{"name":"Smith, John"}`).str("id")
	doe := e.as(t, "alice", org, "POST", "/clients", `{"name":"Doe, Jane"}`).str("id")
	knee := e.as(t, "alice", org, "POST", "/clients/"+smith+"/cases", `{"name":"Knee MRI"}`).str("id")
	back := e.as(t, "alice", org, "POST", "/clients/"+smith+"/cases", `{"name":"Back injury"}`).str("id")
	car := e.as(t, "alice", org, "POST", "/clients/"+doe+"/cases", `{"name":"Car accident"}`).str("id")

	share := func(who, caseID, body string) response {
		t.Helper()
		return e.as(t, who, org, "POST", "/cases/"+caseID+"/shares", body)
	}
	want(t, "before any share", e.as(t, "erin", org, "GET", "/cases/"+knee, ""), 404, casescribe.ENOTFOUND)

	// Erin gets "Just this case" on Knee MRI.
	erinKnee := share("bob", knee, `{"guestId":"`+erin+`","scope":"case"}`)
	want(t, "share a case", erinKnee, 201, "")
	if erinKnee.str("scope") != "case" || erinKnee.body["caseId"] != knee || erinKnee.body["version"] != 1.0 {
		t.Errorf("share = %s", erinKnee.raw)
	}
	got := e.as(t, "erin", org, "GET", "/cases/"+knee, "")
	want(t, "guest reads the shared case", got, 200, "")
	if a, _ := got.body["access"].(map[string]any); a["scope"] != "case" || got.body["shareCount"] != nil {
		t.Errorf("guest case = %s, want access scope case and no share count", got.raw)
	}
	want(t, "guest reads a sibling case", e.as(t, "erin", org, "GET", "/cases/"+back, ""), 404, casescribe.ENOTFOUND)
	want(t, "guest reads another client's case", e.as(t, "erin", org, "GET", "/cases/"+car, ""), 404, casescribe.ENOTFOUND)
	if l := e.as(t, "erin", org, "GET", "/cases", ""); !slices.Equal(ids(l), []string{knee}) {
		t.Errorf("guest cases = %s, want only Knee MRI", l.raw)
	}
	clients := e.as(t, "erin", org, "GET", "/clients", "")
	if !slices.Equal(ids(clients), []string{smith}) || clients.items()[0].(map[string]any)["caseCount"] != 1.0 {
		t.Errorf("guest clients = %s, want Smith with one case", clients.raw)
	}
	detail := e.as(t, "erin", org, "GET", "/clients/"+smith, "")
	if cs, _ := detail.body["cases"].([]any); detail.status != 200 || len(cs) != 1 || detail.body["caseCount"] != 1.0 {
		t.Errorf("guest client detail = %s, want only its case", detail.raw)
	}
	if l := e.as(t, "erin", org, "GET", "/clients/"+smith+"/cases", ""); !slices.Equal(ids(l), []string{knee}) {
		t.Errorf("guest client cases = %s", l.raw)
	}
	want(t, "guest reads an unshared client", e.as(t, "erin", org, "GET", "/clients/"+doe, ""), 404, casescribe.ENOTFOUND)
	want(t, "guest edits the shared case", e.as(t, "erin", org, "PATCH", "/cases/"+knee, `{"name":"x"}`), 403, casescribe.EGUESTRESTRICTED)
	want(t, "guest shares", share("erin", knee, `{"guestId":"`+frank+`","scope":"case"}`), 403, casescribe.EGUESTRESTRICTED)

	// Rules of adding.
	want(t, "duplicate", share("alice", knee, `{"guestId":"`+erin+`","scope":"case"}`), 409, casescribe.ECONFLICT)
	want(t, "client share over case shares", share("alice", back, `{"guestId":"`+erin+`","scope":"client"}`), 409, casescribe.ECONFLICT)
	want(t, "client share with a view", share("alice", knee, `{"guestId":"`+frank+`","scope":"client","viewId":"`+smith+`"}`), 400, casescribe.EINVALID)
	want(t, "client share with chats", share("alice", knee, `{"guestId":"`+frank+`","scope":"client","chatIds":["`+smith+`"]}`), 400, casescribe.EINVALID)
	want(t, "share with a member", share("alice", knee, `{"guestId":"`+e.users["bob"].id+`","scope":"case"}`), 400, casescribe.EINVALID)
	want(t, "share with a pending guest", share("alice", knee, `{"guestId":"`+e.users["dave"].id+`","scope":"case"}`), 403, casescribe.EINVITATIONPENDING)
	want(t, "share with a stranger", share("alice", knee, `{"guestId":"`+e.users["carol"].id+`","scope":"case"}`), 400, casescribe.EINVALID)
	want(t, "bad scope", share("alice", knee, `{"guestId":"`+frank+`","scope":"everything"}`), 400, casescribe.EINVALID)
	want(t, "old sharing field", share("alice", knee, `{"guestId":"`+frank+`","scope":"case","visibleClients":[]}`), 410, casescribe.EGONE)

	// Frank gets "All cases for client" on Smith, including cases made later.
	frankSmith := share("alice", back, `{"guestId":"`+frank+`","scope":"client"}`)
	want(t, "share a client", frankSmith, 201, "")
	want(t, "case share under a client share", share("alice", knee, `{"guestId":"`+frank+`","scope":"case"}`), 409, casescribe.ECONFLICT)
	hip := e.as(t, "alice", org, "POST", "/clients/"+smith+"/cases", `{"name":"Hip replacement"}`).str("id")
	if l := e.as(t, "frank", org, "GET", "/cases", ""); !slices.Equal(ids(l), sorted(knee, back, hip)) {
		t.Errorf("client guest cases = %s, want every case of Smith, the new one included", l.raw)
	}
	if a, _ := e.as(t, "frank", org, "GET", "/cases/"+hip, "").body["access"].(map[string]any); a["scope"] != "client" {
		t.Errorf("client guest access = %v", a)
	}
	if l := e.as(t, "erin", org, "GET", "/cases", ""); !slices.Equal(ids(l), []string{knee}) {
		t.Errorf("case guest sees the new case: %s", l.raw)
	}
	// Shares live beside the cases in the client's index: no list may take one for a case.
	if l := e.as(t, "bob", org, "GET", "/clients/"+smith+"/cases", ""); !slices.Equal(ids(l), sorted(knee, back, hip)) {
		t.Errorf("staff client cases = %s, want exactly the three cases", l.raw)
	}
	if d := e.as(t, "bob", org, "GET", "/clients/"+smith, ""); len(d.body["cases"].([]any)) != 3 {
		t.Errorf("staff client detail = %s, want the three cases", d.raw)
	}

	// Indicators and the people list.
	people := e.as(t, "bob", org, "GET", "/cases/"+knee+"/shares", "")
	want(t, "people with access", people, 200, "")
	if people.body["shareCount"] != 2.0 || len(people.body["people"].([]any)) != 2 {
		t.Errorf("people = %s, want Erin's case share and Frank's client share", people.raw)
	}
	eligible := map[string]bool{}
	for _, g := range people.body["eligibleGuests"].([]any) {
		eligible[g.(map[string]any)["id"].(string)] = true
	}
	if !eligible[erin] || !eligible[frank] || eligible[e.users["dave"].id] || eligible[e.users["bob"].id] {
		t.Errorf("eligible guests = %v, want the active guests only", eligible)
	}
	if n := e.as(t, "bob", org, "GET", "/cases/"+knee, "").body["shareCount"]; n != 2.0 {
		t.Errorf("case share badge = %v, want 2", n)
	}
	cl := e.as(t, "bob", org, "GET", "/clients/"+smith, "")
	if cl.body["guestCount"] != 2.0 || len(cl.body["guestShares"].([]any)) != 2 {
		t.Errorf("client indicators = %s, want 2 guests", cl.raw)
	}
	badges := map[string]any{}
	for _, k := range cl.body["cases"].([]any) {
		k := k.(map[string]any)
		badges[k["id"].(string)] = k["shareCount"]
	}
	if badges[knee] != 2.0 || badges[back] != 1.0 || badges[hip] != 1.0 {
		t.Errorf("case badges = %v, want Knee 2, Back 1, Hip 1", badges)
	}
	labels := map[string][]string{}
	for _, u := range e.as(t, "alice", org, "GET", "/users", "").items() {
		u := u.(map[string]any)
		for _, a := range u["access"].([]any) {
			labels[u["id"].(string)] = append(labels[u["id"].(string)], a.(map[string]any)["label"].(string))
		}
	}
	if !slices.Equal(labels[erin], []string{"Smith, John · Knee MRI"}) || !slices.Equal(labels[frank], []string{"Smith, John · Full client"}) {
		t.Errorf("directory access labels = %v", labels)
	}
	chips := e.as(t, "alice", org, "GET", "/users/"+erin, "")
	if a := chips.body["access"].([]any); len(a) != 1 || a[0].(map[string]any)["shareId"] != erinKnee.str("shareId") || a[0].(map[string]any)["caseName"] != "Knee MRI" {
		t.Errorf("user detail chips = %s", chips.raw)
	}
	want(t, "guest reads the people list", e.as(t, "erin", org, "GET", "/cases/"+knee+"/shares", ""), 403, casescribe.EGUESTRESTRICTED)
	want(t, "read a share", e.as(t, "bob", org, "GET", "/shares/"+erinKnee.str("shareId"), ""), 200, "")

	// Removal: the very next request is refused.
	want(t, "remove", e.as(t, "bob", org, "DELETE", "/shares/"+erinKnee.str("shareId"), ""), 204, "")
	want(t, "next request", e.as(t, "erin", org, "GET", "/cases/"+knee, ""), 404, casescribe.ENOTFOUND)
	if l := e.as(t, "erin", org, "GET", "/cases", ""); len(l.items()) != 0 {
		t.Errorf("after removal the guest still lists %s", l.raw)
	}
	if l := e.as(t, "erin", org, "GET", "/clients", ""); len(l.items()) != 0 {
		t.Errorf("after removal the guest still lists %s", l.raw)
	}
	want(t, "removed share", e.as(t, "bob", org, "GET", "/shares/"+erinKnee.str("shareId"), ""), 404, casescribe.ENOTFOUND)
	want(t, "remove again", e.as(t, "bob", org, "DELETE", "/shares/"+erinKnee.str("shareId"), ""), 404, casescribe.ENOTFOUND)

	// Cascades: deleting a case deletes its shares; so does deleting a client.
	erinBack := share("alice", back, `{"guestId":"`+erin+`","scope":"case"}`).str("shareId")
	want(t, "delete shared case", e.as(t, "alice", org, "DELETE", "/cases/"+back, ""), 204, "")
	want(t, "share of a deleted case", e.as(t, "alice", org, "GET", "/shares/"+erinBack, ""), 404, casescribe.ENOTFOUND)
	if l := e.as(t, "erin", org, "GET", "/clients", ""); len(l.items()) != 0 {
		t.Errorf("after the case was deleted the guest still lists %s", l.raw)
	}
	erinDoe := share("alice", car, `{"guestId":"`+erin+`","scope":"client"}`).str("shareId")
	want(t, "delete the client's case", e.as(t, "alice", org, "DELETE", "/cases/"+car, ""), 204, "")
	want(t, "delete shared client", e.as(t, "alice", org, "DELETE", "/clients/"+doe, ""), 204, "")
	want(t, "share of a deleted client", e.as(t, "alice", org, "GET", "/shares/"+erinDoe, ""), 404, casescribe.ENOTFOUND)

	// Removing a guest from the organization deletes their shares; inviting them again starts empty.
	want(t, "remove Frank", e.as(t, "alice", org, "DELETE", "/users/"+frank, ""), 204, "")
	want(t, "Frank's share", e.as(t, "alice", org, "GET", "/shares/"+frankSmith.str("shareId"), ""), 404, casescribe.ENOTFOUND)
	if p := e.as(t, "bob", org, "GET", "/cases/"+knee+"/shares", ""); p.body["shareCount"] != 0.0 {
		t.Errorf("people after removing Frank = %s", p.raw)
	}
	want(t, "re-invite Frank", e.invite(t, "alice", org, e.users["frank"].email, casescribe.RoleGuest), 201, "")
	want(t, "Frank accepts", e.accept(t, "frank", e.lastToken(t, e.users["frank"].email)), 200, "")
	if l := e.as(t, "frank", org, "GET", "/cases", ""); len(l.items()) != 0 {
		t.Errorf("re-invited guest sees %s, want nothing", l.raw)
	}
}

// A guest of one organization is never served another's data, whatever it sends.
func TestGuestStaysInItsOrganization(t *testing.T) {
	e := setup(t)
	harbor := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Harbor"}`).str("id")
	north := e.as(t, "carol", "", "POST", "/orgs", `{"name":"Northside"}`).str("id")
	e.person(t, "erin")
	e.join(t, "erin", north, casescribe.RoleGuest, casescribe.StatusActive)
	nClient := e.as(t, "carol", north, "POST", "/clients", `{"name":"Garcia, Maria"}`).str("id")
	nCase := e.as(t, "carol", north, "POST", "/clients/"+nClient+"/cases", `{"name":"Hip"}`).str("id")
	want(t, "share", e.as(t, "carol", north, "POST", "/cases/"+nCase+"/shares", `{"guestId":"`+e.users["erin"].id+`","scope":"client"}`), 201, "")
	hClient := e.as(t, "alice", harbor, "POST", "/clients", `{"name":"Smith, John"}`).str("id")
	hCase := e.as(t, "alice", harbor, "POST", "/clients/"+hClient+"/cases", `{"name":"Knee"}`).str("id")

	want(t, "own organization", e.as(t, "erin", north, "GET", "/cases/"+nCase, ""), 200, "")
	want(t, "other organization's header", e.as(t, "erin", harbor, "GET", "/cases/"+hCase, ""), 403, casescribe.ENOTMEMBER)
	want(t, "other organization's id", e.as(t, "erin", north, "GET", "/cases/"+hCase, ""), 404, casescribe.ENOTFOUND)
	want(t, "other organization's client", e.as(t, "erin", north, "GET", "/clients/"+hClient, ""), 404, casescribe.ENOTFOUND)
	// Sharing across organizations is refused: the case is not in the caller's organization.
	want(t, "share another organization's case", e.as(t, "carol", north, "POST", "/cases/"+hCase+"/shares", `{"guestId":"`+e.users["erin"].id+`","scope":"case"}`), 404, casescribe.ENOTFOUND)
}

// Preview, then apply, for each kind of change; a stale version changes nothing.
func TestShareChanges(t *testing.T) {
	e := setup(t)
	org := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Harbor & Vale LLP"}`).str("id")
	e.person(t, "erin")
	e.person(t, "frank")
	e.join(t, "erin", org, casescribe.RoleGuest, casescribe.StatusActive)
	e.join(t, "frank", org, casescribe.RoleGuest, casescribe.StatusActive)
	erin, frank := e.users["erin"].id, e.users["frank"].id
	smith := e.as(t, "alice", org, "POST", "/clients", `{"name":"Smith, John"}`).str("id")
	doe := e.as(t, "alice", org, "POST", "/clients", `{"name":"Doe, Jane"}`).str("id")
	knee := e.as(t, "alice", org, "POST", "/clients/"+smith+"/cases", `{"name":"Knee MRI"}`).str("id")
	back := e.as(t, "alice", org, "POST", "/clients/"+smith+"/cases", `{"name":"Back injury"}`).str("id")
	hip := e.as(t, "alice", org, "POST", "/clients/"+smith+"/cases", `{"name":"Hip replacement"}`).str("id")
	car := e.as(t, "alice", org, "POST", "/clients/"+doe+"/cases", `{"name":"Car accident"}`).str("id")
	view := e.as(t, "alice", org, "POST", "/cases/"+car+"/views", `{"name":"Key facts","filter":{"keyOnly":true}}`).str("id")
	kneeView := e.as(t, "alice", org, "POST", "/cases/"+knee+"/views", `{"name":"Imaging"}`).str("id")
	chat := e.as(t, "alice", org, "POST", "/cases/"+knee+"/chats", `{"title":"Strategy"}`).str("id")

	preview := func(shareID, body string) response {
		t.Helper()
		return e.as(t, "bob", org, "POST", "/shares/"+shareID+"/preview", body)
	}
	apply := func(shareID, body string) response {
		t.Helper()
		return e.as(t, "bob", org, "PATCH", "/shares/"+shareID, body)
	}
	e.join(t, "bob", org, casescribe.RoleMember, casescribe.StatusActive)
	cases := func(who string) []string {
		t.Helper()
		return ids(e.as(t, who, org, "GET", "/cases", ""))
	}

	// Narrow: Frank's client share becomes Knee MRI only.
	fr := e.as(t, "alice", org, "POST", "/cases/"+knee+"/shares", `{"guestId":"`+frank+`","scope":"client"}`).str("shareId")
	p := preview(fr, `{"scope":"case","caseId":"`+knee+`"}`)
	want(t, "preview narrow", p, 200, "")
	if p.str("kind") != "narrow" || len(p.body["lost"].([]any)) != 2 || len(p.body["gained"].([]any)) != 0 || p.body["version"] != 1.0 ||
		p.str("summary") != "frank will lose access to 2 cases of Smith, John and keep Knee MRI." {
		t.Errorf("narrow preview = %s", p.raw)
	}
	if !slices.Equal(cases("frank"), sorted(knee, back, hip)) {
		t.Fatal("a preview changed access")
	}
	applied := apply(fr, `{"scope":"case","caseId":"`+knee+`","version":1}`)
	want(t, "apply narrow", applied, 200, "")
	if applied.str("scope") != "case" || applied.body["version"] != 2.0 {
		t.Errorf("narrowed share = %s", applied.raw)
	}
	if got := cases("frank"); !slices.Equal(got, []string{knee}) {
		t.Errorf("after narrowing Frank sees %v", got)
	}

	// Stale: two changes previewed on the same version; one applies, the other gets 409.
	p1 := preview(fr, `{"scope":"case","caseId":"`+back+`"}`)
	p2 := preview(fr, `{"scope":"case","caseId":"`+hip+`"}`)
	if p1.body["version"] != 2.0 || p2.body["version"] != 2.0 {
		t.Fatalf("previews at versions %v and %v", p1.body["version"], p2.body["version"])
	}
	want(t, "first apply", apply(fr, `{"scope":"case","caseId":"`+back+`","version":2}`), 200, "")
	want(t, "second apply", apply(fr, `{"scope":"case","caseId":"`+hip+`","version":2}`), 409, casescribe.ECONFLICT)
	if got := cases("frank"); !slices.Equal(got, []string{back}) {
		t.Errorf("after a move and a stale move Frank sees %v, want Back injury only", got)
	}

	// Move to a case of another client, with a view: the client list follows.
	want(t, "a view of another case", preview(fr, `{"scope":"case","caseId":"`+car+`","viewId":"`+kneeView+`"}`), 400, casescribe.EINVALID)
	want(t, "apply a view of another case", apply(fr, `{"scope":"case","caseId":"`+car+`","viewId":"`+kneeView+`","version":3}`), 400, casescribe.EINVALID)
	want(t, "apply an unknown view", apply(fr, `{"scope":"case","caseId":"`+car+`","viewId":"`+ulidString()+`","version":3}`), 400, casescribe.EINVALID)
	mv := preview(fr, `{"scope":"case","caseId":"`+car+`","viewId":"`+view+`"}`)
	if mv.str("kind") != "move" || mv.str("summary") != "frank will lose access to Back injury and gain access to Car accident." {
		t.Errorf("move preview = %s", mv.raw)
	}
	want(t, "move across clients", apply(fr, `{"scope":"case","caseId":"`+car+`","viewId":"`+view+`","version":3}`), 200, "")
	if got := cases("frank"); !slices.Equal(got, []string{car}) {
		t.Errorf("after moving Frank sees %v", got)
	}
	if got := ids(e.as(t, "frank", org, "GET", "/clients", "")); !slices.Equal(got, []string{doe}) {
		t.Errorf("after moving Frank's clients are %v", got)
	}
	if a, _ := e.as(t, "frank", org, "GET", "/cases/"+car, "").body["access"].(map[string]any); a["viewId"] != view {
		t.Errorf("Frank's access = %v, want the view", a)
	}

	// Configure: the same case, the view dropped.
	cf := preview(fr, `{"scope":"case","caseId":"`+car+`"}`)
	if cf.str("kind") != "configure" || len(cf.body["droppedViews"].([]any)) != 1 {
		t.Errorf("configure preview = %s", cf.raw)
	}
	want(t, "configure", apply(fr, `{"scope":"case","caseId":"`+car+`","version":4}`), 200, "")
	if a, _ := e.as(t, "frank", org, "GET", "/cases/"+car, "").body["access"].(map[string]any); a["viewId"] != nil {
		t.Errorf("Frank's access = %v, want the whole case", a)
	}

	// Expand: Erin's two case shares become one client share; their view and chats go.
	ek := e.as(t, "alice", org, "POST", "/cases/"+knee+"/shares", `{"guestId":"`+erin+`","scope":"case","viewId":"`+kneeView+`","chatIds":["`+chat+`"]}`).str("shareId")
	eb := e.as(t, "alice", org, "POST", "/cases/"+back+"/shares", `{"guestId":"`+erin+`","scope":"case"}`).str("shareId")
	ex := preview(ek, `{"scope":"client"}`)
	if ex.str("kind") != "expand" || len(ex.body["gained"].([]any)) != 1 || len(ex.body["droppedViews"].([]any)) != 1 || len(ex.body["droppedChats"].([]any)) != 1 {
		t.Errorf("expand preview = %s", ex.raw)
	}
	want(t, "expand", apply(ek, `{"scope":"client","version":1}`), 200, "")
	want(t, "replaced share", e.as(t, "bob", org, "GET", "/shares/"+eb, ""), 404, casescribe.ENOTFOUND)
	later := e.as(t, "alice", org, "POST", "/clients/"+smith+"/cases", `{"name":"Shoulder"}`).str("id")
	if got := cases("erin"); !slices.Equal(got, sorted(knee, back, hip, later)) {
		t.Errorf("after expanding Erin sees %v, want every case of Smith", got)
	}
	if p := e.as(t, "bob", org, "GET", "/cases/"+knee+"/shares", ""); p.body["shareCount"] != 1.0 {
		t.Errorf("people after expanding = %s, want Erin's client share alone", p.raw)
	}

	// Refusals.
	want(t, "client to client", preview(ek, `{"scope":"client"}`), 400, casescribe.EINVALID)
	want(t, "narrow elsewhere", preview(ek, `{"scope":"case","caseId":"`+car+`"}`), 400, casescribe.EINVALID)
	want(t, "client with a view", preview(fr, `{"scope":"client","viewId":"`+view+`"}`), 400, casescribe.EINVALID)
	want(t, "case without case", preview(fr, `{"scope":"case"}`), 400, casescribe.EINVALID)
	want(t, "unknown case", preview(fr, `{"scope":"case","caseId":"`+ulidString()+`"}`), 404, casescribe.ENOTFOUND)
	want(t, "apply without version", apply(fr, `{"scope":"case","caseId":"`+car+`"}`), 400, casescribe.EINVALID)
	fk := e.as(t, "alice", org, "POST", "/cases/"+hip+"/shares", `{"guestId":"`+frank+`","scope":"case"}`)
	want(t, "second share for Frank", fk, 201, "")
	want(t, "move onto a held case", apply(fr, `{"scope":"case","caseId":"`+hip+`","version":5}`), 409, casescribe.ECONFLICT)
	if got := cases("frank"); !slices.Equal(got, sorted(car, hip)) {
		t.Errorf("after a refused move Frank sees %v", got)
	}
	want(t, "guest previews", e.as(t, "erin", org, "POST", "/shares/"+ek+"/preview", `{"scope":"client"}`), 403, casescribe.EGUESTRESTRICTED)
}

func ulidString() string { return ulid.Make().String() }
