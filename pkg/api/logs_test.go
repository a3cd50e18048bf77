package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/sesmail"
	"github.com/casescribe/sharing/pkg/store"
	"github.com/oklog/ulid/v2"
)

// logBuffer collects what the server logs; handlers may write from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logStore is the real store, except that reading a summary can be made to fail and listing
// invitations to panic, to see what a 5xx logs.
type logStore struct {
	*store.Store
	fail atomic.Bool
}

func (s *logStore) GetSummary(ctx context.Context, orgID, caseID string) (casescribe.CaseSummary, error) {
	if s.fail.Load() {
		return casescribe.CaseSummary{}, errors.New("summary read: the table is throttled")
	}
	return s.Store.GetSummary(ctx, orgID, caseID)
}

func (s *logStore) ListInvitations(ctx context.Context, orgID, cursor string, limit int) (casescribe.Page[casescribe.Invitation], error) {
	if s.fail.Load() {
		panic("invitation list exploded")
	}
	return s.Store.ListInvitations(ctx, orgID, cursor, limit)
}

// A scenario full of secrets and case text, then a look at every line it logged: each is a
// JSON access line with the fields operators need, and none holds a token (nor any of its
// three parts), the password, an invitation token, an email address, or text people wrote.
func TestLogsCarryNoSecrets(t *testing.T) {
	e := setup(t)
	var logs logBuffer
	st := &logStore{Store: e.store}
	var requests atomic.Int64
	h := api.NewServer(st, api.WithMailer(sesmail.New(e.stack.SES(), "no-reply@casescribe.test"), appBaseURL),
		api.WithFiles(e.files), api.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil)))).Local(e.authn, nil)
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)

	// Text people write, each distinctive enough to be found anywhere in the logs.
	const (
		orgName      = "Quillfeather Brandt LLP"
		yourName     = "Alicia Marchbanks"
		clientName   = "Vandermolen, Priscilla"
		caseName     = "Zygomatic fracture claim"
		factText     = "Witness saw the forklift reverse without lights at 0317"
		guestFact    = "Guest tried to add the heliotrope ledger"
		tagText      = "privileged-marjoram"
		commentText  = "Ask the radiologist about the ochre shadow"
		guestComment = "Consultant notes the cerulean margin"
		summaryText  = "Settlement floor is the tangerine figure"
		viewName     = "Periwinkle exhibits"
		chatTitle    = "Strategy on the saffron motion"
		question     = "What did the witness see near the forklift?"
		inviteeName  = "Ottoline Vashti"
		badJSONText  = "unfinished amaranth memo"
	)
	alice := e.users["alice"]
	erin := e.person(t, "erin")

	org := e.as(t, "alice", "", "POST", "/orgs", `{"name":"`+orgName+`","yourName":"`+yourName+`"}`)
	want(t, "create org", org, 201, "")
	orgID := org.str("id")
	e.join(t, "bob", orgID, casescribe.RoleMember, casescribe.StatusActive)
	client := e.as(t, "alice", orgID, "POST", "/clients", `{"name":"`+clientName+`"}`)
	want(t, "create client", client, 201, "")
	kase := e.as(t, "bob", orgID, "POST", "/clients/"+client.str("id")+"/cases", `{"name":"`+caseName+`"}`)
	want(t, "create case", kase, 201, "")
	caseID := kase.str("id")
	fact := e.as(t, "bob", orgID, "POST", "/cases/"+caseID+"/facts", `{"text":"`+factText+`","tags":["imaging"],"keyFact":true}`)
	want(t, "create fact", fact, 201, "")
	factID := fact.str("id")
	want(t, "add tag", e.as(t, "bob", orgID, "POST", "/facts/"+factID+"/tags", `{"tag":"`+tagText+`"}`), 200, "")
	want(t, "remove tag", e.as(t, "bob", orgID, "DELETE", "/facts/"+factID+"/tags/"+tagText, ""), 200, "")
	want(t, "comment", e.as(t, "bob", orgID, "POST", "/facts/"+factID+"/comments", `{"text":"`+commentText+`"}`), 201, "")
	want(t, "summary", e.as(t, "bob", orgID, "PUT", "/cases/"+caseID+"/summary", `{"text":"`+summaryText+`","version":0}`), 200, "")
	want(t, "view", e.as(t, "bob", orgID, "POST", "/cases/"+caseID+"/views", `{"name":"`+viewName+`","filter":{"tags":["imaging"]}}`), 201, "")
	chat := e.as(t, "bob", orgID, "POST", "/cases/"+caseID+"/chats", `{"title":"`+chatTitle+`"}`)
	want(t, "create chat", chat, 201, "")
	want(t, "ask", e.as(t, "bob", orgID, "POST", "/chats/"+chat.str("id")+"/messages", `{"text":"`+question+`"}`), 201, "")
	for _, path := range []string{"/me", "/cases", "/cases/" + caseID, "/cases/" + caseID + "/facts", "/facts/" + factID,
		"/facts/" + factID + "/comments", "/cases/" + caseID + "/summary", "/cases/" + caseID + "/chats", "/chats/" + chat.str("id"), "/users"} {
		org := orgID
		if path == "/me" {
			org = ""
		}
		want(t, "alice reads "+path, e.as(t, "alice", org, "GET", path, ""), 200, "")
	}
	if status, body := logRaw(t, e, alice.token, orgID, "GET", "/cases/"+caseID+"/facts/export", nil); status != 200 || !strings.Contains(body, factText) {
		t.Errorf("export: %d %q", status, body)
	}

	// An invitation, looked up by its token in the query string and accepted by its invitee.
	inv := e.as(t, "alice", orgID, "POST", "/invitations", `{"email":"`+erin.email+`","name":"`+inviteeName+`","role":"guest"}`)
	want(t, "invite", inv, 201, "")
	invitationToken := e.lastToken(t, erin.email)
	want(t, "lookup", e.lookup(t, invitationToken), 200, "")
	want(t, "accept", e.accept(t, "erin", invitationToken), 200, "")
	want(t, "lookup again", e.lookup(t, invitationToken), 404, casescribe.ENOTFOUND)
	want(t, "accept again", e.accept(t, "erin", invitationToken), 404, casescribe.ENOTFOUND)
	want(t, "share with erin", e.as(t, "alice", orgID, "POST", "/cases/"+caseID+"/shares", `{"guestId":"`+erin.id+`","scope":"case"}`), 201, "")
	want(t, "guest comments", e.as(t, "erin", orgID, "POST", "/facts/"+factID+"/comments", `{"text":"`+guestComment+`"}`), 201, "")
	want(t, "guest adds a fact", e.as(t, "erin", orgID, "POST", "/cases/"+caseID+"/facts", `{"text":"`+guestFact+`"}`), 403, casescribe.EGUESTRESTRICTED)

	// Tokens refused: tampered, an access token for an ID token, none, another's organization.
	parts := strings.Split(alice.token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(bytes.Replace(payload, []byte(alice.email), []byte("mallory@example.com"), 1)) + "." + parts[2]
	want(t, "tampered token", e.call(t, "Bearer "+tampered, orgID, "GET", "/cases", ""), 401, casescribe.EUNAUTHENTICATED)
	want(t, "access token", e.call(t, "Bearer "+alice.accessToken, orgID, "GET", "/cases", ""), 401, casescribe.EUNAUTHENTICATED)
	want(t, "no token", e.call(t, "", orgID, "GET", "/cases", ""), 401, casescribe.EUNAUTHENTICATED)
	want(t, "not a member", e.as(t, "carol", orgID, "GET", "/cases", ""), 403, casescribe.ENOTMEMBER)

	// Bad input that quotes what was sent, and paths that carry what is no id of ours.
	want(t, "bad JSON", e.as(t, "alice", orgID, "POST", "/clients", `{"name":"`+badJSONText), 400, casescribe.EINVALID)
	want(t, "token as an id", e.as(t, "alice", orgID, "GET", "/cases/"+parts[2], ""), 404, casescribe.ENOTFOUND)
	if status, _ := logRaw(t, e, alice.token, orgID, "GET", "/no-such-route/"+parts[1], nil); status != 404 {
		t.Errorf("unknown route: %d", status)
	}

	// Request ids: a sane one is kept and echoed, anything else replaced by one of ours.
	if _, id := logRequestID(t, e, "trace-7f3a.client:1"); id != "trace-7f3a.client:1" {
		t.Errorf("X-Request-Id = %q, want the client's", id)
	}
	_, generated := logRequestID(t, e, alice.token)
	if _, err := ulid.ParseStrict(generated); err != nil {
		t.Errorf("X-Request-Id for a header holding a token = %q, want a fresh ULID", generated)
	}

	// Our own faults: a store error and a panic, both answered 500 in the API's shape.
	st.fail.Store(true)
	for _, path := range []string{"/cases/" + caseID + "/summary", "/invitations"} {
		if status, body := logRaw(t, e, alice.token, orgID, "GET", path, nil); status != 500 || !strings.Contains(body, `"internal"`) {
			t.Errorf("GET %s, made to fail: %d %s", path, status, body)
		}
	}
	st.fail.Store(false)

	// What must never be logged.
	secrets := map[string]string{"password": password, "invitation token": invitationToken,
		"invitation token's secret": invitationToken[strings.LastIndex(invitationToken, ".")+1:],
		"tampered token":            tampered, "tampered payload": strings.Split(tampered, ".")[1], "email domain": "@example.com"}
	for name, u := range e.users {
		secrets[name+"'s email"] = u.email
		for kind, tok := range map[string]string{"ID token": u.token, "access token": u.accessToken} {
			if tok == "" {
				continue
			}
			secrets[name+"'s "+kind] = tok
			for i, part := range strings.Split(tok, ".") {
				if len(part) >= 8 {
					secrets[name+"'s "+kind+" part "+string(rune('1'+i))] = part
				}
			}
		}
	}
	for name, text := range map[string]string{"org name": orgName, "user name": yourName, "client name": clientName,
		"case name": caseName, "fact": factText, "guest's fact": guestFact, "tag": tagText, "comment": commentText,
		"guest's comment": guestComment, "summary": summaryText, "view name": viewName, "chat title": chatTitle,
		"question": question, "invitee's name": inviteeName, "bad JSON": badJSONText} {
		secrets[name] = text
	}

	out := logs.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if got, want := int64(len(lines)), requests.Load(); got != want {
		t.Errorf("%d log lines for %d requests, want one each", got, want)
	}
	for name, secret := range secrets {
		if strings.Contains(strings.ToLower(out), strings.ToLower(secret)) {
			t.Errorf("the logs hold the %s (%q)", name, secret)
		}
	}

	var found struct{ lookup, member, tampered, clientID, generated, storeError, panicked bool }
	for _, line := range lines {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		for name, secret := range secrets {
			if logHolds(l, secret) {
				t.Errorf("a log line holds the %s once decoded: %s", name, line)
			}
		}
		if l["msg"] != "request" {
			t.Errorf("not an access line: %s", line)
			continue
		}
		for _, k := range []string{"time", "level", "requestId", "route", "orgId", "userId", "role"} {
			if _, ok := l[k].(string); !ok {
				t.Errorf("access line without %s: %s", k, line)
			}
		}
		for _, k := range []string{"status", "durationMs"} {
			if _, ok := l[k].(float64); !ok {
				t.Errorf("access line without %s: %s", k, line)
			}
		}
		if l["requestId"] == "" || l["route"] == "" {
			t.Errorf("access line without a request id or route: %s", line)
		}
		route, status := l["route"].(string), l["status"].(float64)
		if strings.Contains(route, "?") || (route != "unmatched" && !strings.Contains(route, " /")) {
			t.Errorf("route %q is not a route key", route)
		}
		if code, _ := l["errorCode"].(string); (status >= 400) != (code != "") {
			t.Errorf("status %v with error code %q: %s", status, code, line)
		}
		if _, ok := l["error"]; ok && status < 500 {
			t.Errorf("a %v line carries an error's text: %s", status, line)
		}
		path, _ := l["path"].(map[string]any)
		switch {
		case route == "GET /invitations/lookup" && status == 200:
			found.lookup = l["userId"] == "" && l["orgId"] == ""
		case route == "GET /cases/{caseId}" && l["userId"] == alice.id && path["caseId"] == caseID:
			found.member = l["orgId"] == orgID && l["role"] == "admin" && l["level"] == "INFO"
		case route == "GET /cases" && status == 401:
			found.tampered = found.tampered || l["errorCode"] == casescribe.EUNAUTHENTICATED
		case l["requestId"] == "trace-7f3a.client:1":
			found.clientID = true
		case l["requestId"] == generated:
			found.generated = true
		case route == "GET /cases/{caseId}/summary" && status == 500:
			text, _ := l["error"].(string)
			found.storeError = strings.Contains(text, "throttled") && l["errorCode"] == casescribe.EINTERNAL && l["level"] == "ERROR"
		case route == "GET /invitations" && status == 500:
			text, _ := l["error"].(string)
			found.panicked = strings.Contains(text, "panic: invitation list exploded") && l["errorCode"] == casescribe.EINTERNAL
		case route == "GET /cases/{caseId}" && status == 404:
			if len(path) != 0 {
				t.Errorf("a path value that is no id of ours is logged: %s", line)
			}
		}
	}
	if found != (struct{ lookup, member, tampered, clientID, generated, storeError, panicked bool }{true, true, true, true, true, true, true}) {
		t.Errorf("lines found: %+v, want all; logs:\n%s", found, out)
	}
}

// logHolds reports whether any string in a decoded line (key or value, at any depth)
// contains secret, ignoring case.
func logHolds(v any, secret string) bool {
	switch v := v.(type) {
	case string:
		return strings.Contains(strings.ToLower(v), strings.ToLower(secret))
	case map[string]any:
		for k, x := range v {
			if logHolds(k, secret) || logHolds(x, secret) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if logHolds(x, secret) {
				return true
			}
		}
	}
	return false
}

// logRaw sends a request without the OpenAPI check (for a 500, a CSV or an unknown route)
// and returns the status and body.
func logRaw(t *testing.T, e *env, token, orgID, method, path string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if orgID != "" {
		req.Header.Set("X-Org-Id", orgID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw)
}

// logRequestID asks GET /me with the given X-Request-Id and returns the status and the id
// the server answered with.
func logRequestID(t *testing.T, e *env, requestID string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+"/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.users["bob"].token)
	req.Header.Set(api.RequestIDHeader, requestID)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("GET /me with X-Request-Id %q: %d", requestID, res.StatusCode)
	}
	return res.StatusCode, res.Header.Get(api.RequestIDHeader)
}
