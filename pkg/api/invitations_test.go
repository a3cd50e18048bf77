package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/sesmail"
	"github.com/oklog/ulid/v2"
)

// sentEmail is one email as aws-ses-v2-local's store shows it.
type sentEmail struct {
	From        string
	Subject     string
	Destination struct{ To []string }
	Body        struct{ Text, HTML string }
}

// inbox returns the emails sent to address so far, oldest first.
func (e *env) inbox(t *testing.T, address string) []sentEmail {
	t.Helper()
	res, err := http.Get(e.stack.SESEndpoint + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var store struct{ Emails []sentEmail }
	if err := json.NewDecoder(res.Body).Decode(&store); err != nil {
		t.Fatal(err)
	}
	var out []sentEmail
	for _, m := range store.Emails {
		for _, to := range m.Destination.To {
			if strings.EqualFold(to, address) {
				out = append(out, m)
			}
		}
	}
	return out
}

var linkToken = regexp.MustCompile(`/invitations/accept\?token=([^\s"<&]+)`)

// lastToken takes the token from the link of the last email sent to address.
func (e *env) lastToken(t *testing.T, address string) string {
	t.Helper()
	mails := e.inbox(t, address)
	if len(mails) == 0 {
		t.Fatalf("no email to %s", address)
	}
	m := linkToken.FindStringSubmatch(mails[len(mails)-1].Body.Text)
	if m == nil {
		t.Fatalf("no accept link in %q", mails[len(mails)-1].Body.Text)
	}
	token, err := url.QueryUnescape(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// person creates a login with a fresh address, signed in; name is its key in e.users.
func (e *env) person(t *testing.T, name string) user {
	t.Helper()
	email := name + "-" + strings.ToLower(ulid.Make().String()) + "@example.com"
	u := newLogin(t, e.stack, e.poolID, e.clientID, email, password)
	e.users[name] = u
	return u
}

func (e *env) invite(t *testing.T, admin, orgID, email string, role casescribe.Role) response {
	t.Helper()
	return e.as(t, admin, orgID, "POST", "/invitations", `{"email":"`+email+`","name":"Invitee","role":"`+string(role)+`"}`)
}

func (e *env) lookup(t *testing.T, token string) response {
	t.Helper()
	return e.call(t, "", "", "GET", "/invitations/lookup?token="+url.QueryEscape(token), "")
}

func (e *env) accept(t *testing.T, name, token string) response {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"token": token})
	return e.as(t, name, "", "POST", "/invitations/accept", string(b))
}

func roleIn(t *testing.T, e *env, name, orgID string) string {
	t.Helper()
	for _, o := range e.as(t, name, "", "GET", "/me", "").body["organizations"].([]any) {
		if o := o.(map[string]any); o["id"] == orgID {
			return o["role"].(string)
		}
	}
	return ""
}

// The whole path of an invitation: the email from SES's store, the token from its link, the
// lookup before sign-in, sign-in as the invited address, accept.
func TestInvitationFlow(t *testing.T) {
	e := setup(t)
	harbor := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Harbor & Vale LLP","yourName":"Alice Harbor"}`).str("id")
	erinEmail := "erin-" + strings.ToLower(ulid.Make().String()) + "@example.com"

	inv := e.invite(t, "alice", harbor, strings.ToUpper(erinEmail[:1])+erinEmail[1:], casescribe.RoleGuest)
	want(t, "invite", inv, 201, "")
	if inv.str("email") != erinEmail || inv.str("status") != "pending" || inv.str("mailStatus") != "sent" {
		t.Errorf("invitation = %s", inv.raw)
	}
	mails := e.inbox(t, erinEmail)
	if len(mails) != 1 {
		t.Fatalf("%d emails to the invitee, want 1", len(mails))
	}
	m := mails[0]
	for _, part := range []string{m.Body.Text, m.Body.HTML} {
		for _, wantText := range []string{"Alice Harbor", "Harbor", "guest", appBaseURL + "/invitations/accept?token="} {
			if !strings.Contains(part, wantText) {
				t.Errorf("email lacks %q: %s", wantText, part)
			}
		}
	}
	if !strings.Contains(m.Subject, "Alice Harbor") || m.From != "no-reply@casescribe.test" {
		t.Errorf("subject %q from %q", m.Subject, m.From)
	}
	token := e.lastToken(t, erinEmail)

	look := e.lookup(t, token)
	want(t, "lookup", look, 200, "")
	if look.str("orgName") != "Harbor & Vale LLP" || look.str("inviterName") != "Alice Harbor" ||
		look.str("role") != "guest" || look.str("email") == erinEmail || !strings.HasPrefix(look.str("email"), "e***") {
		t.Errorf("lookup = %s", look.raw)
	}
	if l := e.as(t, "alice", harbor, "GET", "/invitations", ""); len(l.items()) != 1 {
		t.Errorf("pending invitations = %s", l.raw)
	}

	// The invitee signs up with the invited address: until accepted, the organization refuses.
	e.users["erin"] = newLogin(t, e.stack, e.poolID, e.clientID, erinEmail, password)
	want(t, "before accepting", e.as(t, "erin", harbor, "GET", "/clients", ""), 403, casescribe.EINVITATIONPENDING)

	acc := e.accept(t, "erin", token)
	want(t, "accept", acc, 200, "")
	if o := acc.body["organization"].(map[string]any); o["id"] != harbor || o["role"] != "guest" || o["name"] != "Harbor & Vale LLP" {
		t.Errorf("accept = %s", acc.raw)
	}
	if roleIn(t, e, "erin", harbor) != "guest" {
		t.Error("erin is not a guest of Harbor after accepting")
	}
	want(t, "guest lists clients", e.as(t, "erin", harbor, "GET", "/clients", ""), 200, "")

	// Single use: the same token no longer looks up or accepts.
	want(t, "lookup used token", e.lookup(t, token), 404, casescribe.ENOTFOUND)
	want(t, "accept used token", e.accept(t, "erin", token), 404, casescribe.ENOTFOUND)
	if l := e.as(t, "alice", harbor, "GET", "/invitations", ""); len(l.items()) != 0 {
		t.Errorf("pending invitations after accept = %s", l.raw)
	}
	users := e.as(t, "alice", harbor, "GET", "/users", "")
	found := false
	for _, u := range users.items() {
		if u := u.(map[string]any); u["id"] == e.users["erin"].id {
			found = u["role"] == "guest" && u["status"] == "active" && len(u["access"].([]any)) == 0
		}
	}
	if !found {
		t.Errorf("directory = %s, want erin as an active guest with no access yet", users.raw)
	}
	// Inviting a member again is a conflict.
	want(t, "invite a member", e.invite(t, "alice", harbor, erinEmail, casescribe.RoleMember), 409, casescribe.ECONFLICT)
}

// One login accepts invitations of two organizations and holds a different role in each.
func TestTwoOrganizationsByInvitation(t *testing.T) {
	e := setup(t)
	harbor := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Harbor"}`).str("id")
	north := e.as(t, "carol", "", "POST", "/orgs", `{"name":"Northside"}`).str("id")
	erin := e.person(t, "erin")
	want(t, "Harbor invites", e.invite(t, "alice", harbor, erin.email, casescribe.RoleGuest), 201, "")
	want(t, "accept Harbor", e.accept(t, "erin", e.lastToken(t, erin.email)), 200, "")
	want(t, "Northside invites", e.invite(t, "carol", north, erin.email, casescribe.RoleMember), 201, "")
	want(t, "accept Northside", e.accept(t, "erin", e.lastToken(t, erin.email)), 200, "")

	if roleIn(t, e, "erin", harbor) != "guest" || roleIn(t, e, "erin", north) != "member" {
		t.Errorf("roles: Harbor %q, Northside %q", roleIn(t, e, "erin", harbor), roleIn(t, e, "erin", north))
	}
	want(t, "member in Northside", e.as(t, "erin", north, "POST", "/clients", `{"name":"Garcia, Maria"}`), 201, "")
	want(t, "guest in Harbor", e.as(t, "erin", harbor, "POST", "/clients", `{"name":"Garcia, Maria"}`), 403, casescribe.EGUESTRESTRICTED)
	want(t, "guest directory", e.as(t, "erin", harbor, "GET", "/users", ""), 403, casescribe.EGUESTRESTRICTED)
	want(t, "member directory", e.as(t, "erin", north, "GET", "/users", ""), 200, "")
	want(t, "member changes roles", e.as(t, "erin", north, "PATCH", "/users/"+e.users["carol"].id, `{"role":"member"}`), 403, casescribe.EFORBIDDEN)
	want(t, "member invites", e.invite(t, "erin", north, "x@example.com", casescribe.RoleGuest), 403, casescribe.EFORBIDDEN)
}

func TestInvitationTokens(t *testing.T) {
	e := setup(t)
	org := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Harbor"}`).str("id")

	t.Run("wrong email", func(t *testing.T) {
		erin := e.person(t, "erin")
		e.person(t, "mallory")
		e.invite(t, "alice", org, erin.email, casescribe.RoleMember)
		token := e.lastToken(t, erin.email)
		want(t, "another account", e.accept(t, "mallory", token), 403, casescribe.EFORBIDDEN)
		want(t, "still good for its owner", e.accept(t, "erin", token), 200, "")
	})
	t.Run("resent", func(t *testing.T) {
		frank := e.person(t, "frank")
		id := e.invite(t, "alice", org, frank.email, casescribe.RoleGuest).str("id")
		first := e.lastToken(t, frank.email)
		want(t, "resend", e.as(t, "alice", org, "POST", "/invitations/"+id+"/resend", ""), 200, "")
		second := e.lastToken(t, frank.email)
		if first == second || len(e.inbox(t, frank.email)) != 2 {
			t.Fatal("resend did not send a new token")
		}
		want(t, "old token lookup", e.lookup(t, first), 404, casescribe.ENOTFOUND)
		want(t, "old token accept", e.accept(t, "frank", first), 404, casescribe.ENOTFOUND)
		want(t, "new token", e.accept(t, "frank", second), 200, "")
	})
	t.Run("invited again", func(t *testing.T) {
		gina := e.person(t, "gina")
		firstID := e.invite(t, "alice", org, gina.email, casescribe.RoleGuest).str("id")
		first := e.lastToken(t, gina.email)
		again := e.invite(t, "alice", org, gina.email, casescribe.RoleMember)
		want(t, "invite again", again, 201, "")
		if again.str("id") != firstID || again.str("role") != "member" {
			t.Errorf("reissue = %s, want the same invitation with the new role", again.raw)
		}
		want(t, "old token", e.lookup(t, first), 404, casescribe.ENOTFOUND)
		want(t, "new token", e.accept(t, "gina", e.lastToken(t, gina.email)), 200, "")
		if roleIn(t, e, "gina", org) != "member" {
			t.Error("the reissued role was not applied")
		}
	})
	t.Run("revoked", func(t *testing.T) {
		hank := e.person(t, "hank")
		id := e.invite(t, "alice", org, hank.email, casescribe.RoleGuest).str("id")
		token := e.lastToken(t, hank.email)
		want(t, "revoke", e.as(t, "alice", org, "DELETE", "/invitations/"+id, ""), 204, "")
		want(t, "lookup revoked", e.lookup(t, token), 404, casescribe.ENOTFOUND)
		want(t, "accept revoked", e.accept(t, "hank", token), 404, casescribe.ENOTFOUND)
		want(t, "revoke again", e.as(t, "alice", org, "DELETE", "/invitations/"+id, ""), 404, casescribe.ENOTFOUND)
		want(t, "invite after revoke", e.invite(t, "alice", org, hank.email, casescribe.RoleGuest), 201, "")
	})
	t.Run("expired", func(t *testing.T) {
		ivy := e.person(t, "ivy")
		id := e.invite(t, "alice", org, ivy.email, casescribe.RoleGuest).str("id")
		token := e.lastToken(t, ivy.email)
		e.offset.Store(int64(7*24*time.Hour + time.Second))
		defer e.offset.Store(0)
		want(t, "lookup expired", e.lookup(t, token), 404, casescribe.ENOTFOUND)
		want(t, "accept expired", e.accept(t, "ivy", token), 404, casescribe.ENOTFOUND)
		listed := false
		for _, it := range e.as(t, "alice", org, "GET", "/invitations", "").items() {
			if it := it.(map[string]any); it["id"] == id {
				listed = it["status"] == "expired"
			}
		}
		if !listed {
			t.Error("an expired invitation is not listed as expired")
		}
		want(t, "resend expired", e.as(t, "alice", org, "POST", "/invitations/"+id+"/resend", ""), 200, "")
		want(t, "fresh token", e.accept(t, "ivy", e.lastToken(t, ivy.email)), 200, "")
	})
	t.Run("malformed tokens", func(t *testing.T) {
		for _, tok := range []string{"", "x", org + "." + ulid.Make().String() + ".AAAA"} {
			want(t, "lookup "+tok, e.lookup(t, tok), 404, casescribe.ENOTFOUND)
		}
		want(t, "accept without token", e.as(t, "alice", "", "POST", "/invitations/accept", `{}`), 400, casescribe.EINVALID)
	})
	t.Run("retired visibleClients", func(t *testing.T) {
		want(t, "invitation body", e.as(t, "alice", org, "POST", "/invitations",
			`{"email":"v@example.com","name":"V","role":"guest","visibleClients":["c1"]}`), 410, casescribe.EGONE)
		want(t, "user body", e.as(t, "alice", org, "PATCH", "/users/"+e.users["alice"].id,
			`{"role":"admin","visibleClients":[]}`), 410, casescribe.EGONE)
	})
	t.Run("bad input", func(t *testing.T) {
		for _, body := range []string{`{"email":"not an email","name":"X","role":"guest"}`,
			`{"email":"Erin <erin@example.com>","name":"X","role":"guest"}`,
			`{"email":"x@example.com","name":"X","role":"owner"}`,
			`{"email":"x@example.com","name":"","role":"guest"}`} {
			want(t, body, e.as(t, "alice", org, "POST", "/invitations", body), 400, casescribe.EINVALID)
		}
	})
}

// Of many concurrent accepts of one token, exactly one succeeds.
func TestConcurrentAccepts(t *testing.T) {
	e := setup(t)
	org := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Harbor"}`).str("id")
	erin := e.person(t, "erin")
	e.invite(t, "alice", org, erin.email, casescribe.RoleGuest)
	token := e.lastToken(t, erin.email)
	const n = 8
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { statuses <- e.accept(t, "erin", token).status })
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	if counts[200] != 1 || counts[200]+counts[404]+counts[409] != n {
		t.Errorf("statuses = %v, want exactly one 200 and the rest 404 or 409", counts)
	}
}

func TestLastAdmin(t *testing.T) {
	e := setup(t)
	org := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Harbor"}`).str("id")
	alice, bob := e.users["alice"].id, e.users["bob"].id
	want(t, "demote the last admin", e.as(t, "alice", org, "PATCH", "/users/"+alice, `{"role":"member"}`), 409, casescribe.ECONFLICT)
	want(t, "remove the last admin", e.as(t, "alice", org, "DELETE", "/users/"+alice, ""), 409, casescribe.ECONFLICT)
	e.join(t, "bob", org, casescribe.RoleMember, casescribe.StatusActive)
	want(t, "promote bob", e.as(t, "alice", org, "PATCH", "/users/"+bob, `{"role":"admin"}`), 200, "")

	// Two admins demote each other at once: one wins, the organization keeps an admin.
	var wg sync.WaitGroup
	var a, b response
	wg.Go(func() { a = e.as(t, "alice", org, "PATCH", "/users/"+bob, `{"role":"member"}`) })
	wg.Go(func() { b = e.as(t, "bob", org, "PATCH", "/users/"+alice, `{"role":"member"}`) })
	wg.Wait()
	admins := 0
	for _, u := range e.as(t, "alice", org, "GET", "/users", "").items() {
		if u.(map[string]any)["role"] == "admin" {
			admins++
		}
	}
	if admins != 1 || (a.status == 200) == (b.status == 200) {
		t.Errorf("after concurrent demotions: %d admins, statuses %d and %d; want one admin, one success", admins, a.status, b.status)
	}
	want(t, "unknown user", e.as(t, "alice", org, "GET", "/users/"+ulid.Make().String(), ""), 404, casescribe.ENOTFOUND)
	want(t, "malformed user id", e.as(t, "alice", org, "GET", "/users/not%20an%20id", ""), 404, casescribe.ENOTFOUND)
}

// Removal touches one organization only, takes effect on the next request, and a later
// re-invite starts from nothing.
func TestRemoveAndReinvite(t *testing.T) {
	e := setup(t)
	harbor := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Harbor"}`).str("id")
	north := e.as(t, "carol", "", "POST", "/orgs", `{"name":"Northside"}`).str("id")
	erin := e.person(t, "erin")
	e.invite(t, "alice", harbor, erin.email, casescribe.RoleMember)
	e.accept(t, "erin", e.lastToken(t, erin.email))
	e.invite(t, "carol", north, erin.email, casescribe.RoleGuest)
	e.accept(t, "erin", e.lastToken(t, erin.email))
	want(t, "member works", e.as(t, "erin", harbor, "POST", "/clients", `{"name":"Smith, John"}`), 201, "")

	want(t, "remove", e.as(t, "alice", harbor, "DELETE", "/users/"+erin.id, ""), 204, "")
	want(t, "next request", e.as(t, "erin", harbor, "GET", "/clients", ""), 403, casescribe.ENOTMEMBER)
	want(t, "other organization untouched", e.as(t, "erin", north, "GET", "/clients", ""), 200, "")
	if roleIn(t, e, "erin", north) != "guest" || roleIn(t, e, "erin", harbor) != "" {
		t.Errorf("after removal: Northside %q, Harbor %q", roleIn(t, e, "erin", north), roleIn(t, e, "erin", harbor))
	}
	want(t, "remove again", e.as(t, "alice", harbor, "DELETE", "/users/"+erin.id, ""), 404, casescribe.ENOTFOUND)

	want(t, "re-invite", e.invite(t, "alice", harbor, erin.email, casescribe.RoleGuest), 201, "")
	want(t, "accept again", e.accept(t, "erin", e.lastToken(t, erin.email)), 200, "")
	u := e.as(t, "alice", harbor, "GET", "/users/"+erin.id, "")
	if u.str("role") != "guest" || len(u.body["access"].([]any)) != 0 {
		t.Errorf("re-invited user = %s, want a fresh guest with no access", u.raw)
	}
	want(t, "fresh guest cannot create", e.as(t, "erin", harbor, "POST", "/clients", `{"name":"x"}`), 403, casescribe.EGUESTRESTRICTED)
}

// An SES failure keeps the invitation, marks it not sent, answers 502, and resend works.
func TestEmailFailure(t *testing.T) {
	e := setup(t)
	org := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Harbor"}`).str("id")
	broken := sesmail.New(localstack.DeadSES(t), "no-reply@casescribe.test")
	down := e.server(t, broken)
	erin := e.person(t, "erin")

	req, _ := http.NewRequest("POST", down.URL+"/invitations", strings.NewReader(`{"email":"`+erin.email+`","name":"Erin","role":"guest"}`))
	req.Header.Set("Authorization", "Bearer "+e.users["alice"].token)
	req.Header.Set("X-Org-Id", org)
	got := e.send(t, req, "")
	want(t, "invite while SES is down", got, 502, casescribe.EMAILFAILED)
	if strings.Contains(got.raw, "dial") || strings.Contains(got.raw, "127.0.0.1") {
		t.Errorf("the SES error leaks to the client: %s", got.raw)
	}
	if len(e.inbox(t, erin.email)) != 0 {
		t.Fatal("an email was sent")
	}
	items := e.as(t, "alice", org, "GET", "/invitations", "").items()
	if len(items) != 1 || items[0].(map[string]any)["mailStatus"] != "failed" {
		t.Fatalf("invitations = %v, want one marked failed", items)
	}
	id := items[0].(map[string]any)["id"].(string)
	want(t, "resend", e.as(t, "alice", org, "POST", "/invitations/"+id+"/resend", ""), 200, "")
	if len(e.inbox(t, erin.email)) != 1 {
		t.Fatal("resend did not send")
	}
	want(t, "accept", e.accept(t, "erin", e.lastToken(t, erin.email)), 200, "")
}

// A retried request never sends twice: with the same Idempotency-Key, a create or a resend is
// answered again without a new token or email; and concurrent resends email each issue once.
func TestRetriedRequestsSendOnce(t *testing.T) {
	e := setup(t)
	org := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Harbor"}`).str("id")
	erin := e.person(t, "erin")
	withKey := func(method, path, body, key string) response {
		req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.users["alice"].token)
		req.Header.Set("X-Org-Id", org)
		req.Header.Set("Idempotency-Key", key)
		return e.send(t, req, body)
	}
	body := `{"email":"` + erin.email + `","name":"Erin","role":"guest"}`
	first := withKey("POST", "/invitations", body, "create-1")
	retry := withKey("POST", "/invitations", body, "create-1")
	want(t, "create", first, 201, "")
	want(t, "retried create", retry, 201, "")
	if first.str("id") != retry.str("id") || len(e.inbox(t, erin.email)) != 1 {
		t.Fatalf("a retried create sent %d emails", len(e.inbox(t, erin.email)))
	}
	token := e.lastToken(t, erin.email)
	id := first.str("id")
	want(t, "resend", withKey("POST", "/invitations/"+id+"/resend", "", "resend-1"), 200, "")
	want(t, "retried resend", withKey("POST", "/invitations/"+id+"/resend", "", "resend-1"), 200, "")
	if n := len(e.inbox(t, erin.email)); n != 2 {
		t.Fatalf("after a resend and its retry: %d emails, want 2", n)
	}
	want(t, "token replaced by the resend", e.lookup(t, token), 404, casescribe.ENOTFOUND)

	// Concurrent resends without keys: each one that wins makes one issue and sends it once.
	var wg sync.WaitGroup
	statuses := make(chan int, 5)
	for range 5 {
		wg.Go(func() { statuses <- e.as(t, "alice", org, "POST", "/invitations/"+id+"/resend", "").status })
	}
	wg.Wait()
	close(statuses)
	won := 0
	for s := range statuses {
		if s == 200 {
			won++
		} else if s != 409 {
			t.Errorf("concurrent resend: status %d, want 200 or 409", s)
		}
	}
	if n := len(e.inbox(t, erin.email)); won == 0 || n != 2+won {
		t.Errorf("%d resends won, %d emails in all; want one email per won resend", won, n)
	}
	want(t, "the last token works", e.accept(t, "erin", e.lastToken(t, erin.email)), 200, "")
}
