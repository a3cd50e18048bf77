package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/auth"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/s3files"
	"github.com/casescribe/sharing/pkg/sesmail"
	"github.com/casescribe/sharing/pkg/store"
	"github.com/oklog/ulid/v2"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
)

func TestMain(m *testing.M) {
	code := m.Run()
	localstack.StopTestStack()
	os.Exit(code)
}

const password = "Test-password-2026"

// env is the API served in-process, exactly as the local server serves it, on DynamoDB Local
// and cognito-local, with every response checked against the OpenAPI document.
type env struct {
	srv      *httptest.Server
	authn    api.Authenticator
	offset   atomic.Int64 // how far the server's clock runs ahead, in nanoseconds
	frozen   atomic.Int64 // when not 0, the server's clock stands still at this Unix time in nanoseconds
	store    *store.Store
	table    string // the store's table, for tests that reach past the API (audit tampering)
	clientID string
	poolID   string
	stack    *localstack.Stack
	files    *s3files.Files
	bucket   string
	oas      validator.Validator
	users    map[string]user
}

type user struct {
	id, email, token, accessToken string
}

func setup(t *testing.T) *env {
	t.Helper()
	stack := localstack.ForTest(t)
	poolID, clientID := localstack.NewTestUserPool(t)
	table := localstack.NewTestTable(t)
	st := store.New(stack.DynamoDB(), table)
	verifier, err := auth.NewVerifier(t.Context(), auth.VerifierConfig{Issuer: stack.CognitoIssuer(poolID), ClientID: clientID})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(api.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	oas, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("OpenAPI document: %v", errs)
	}
	e := &env{store: st, table: table, clientID: clientID, poolID: poolID, stack: stack, oas: oas, users: map[string]user{},
		authn: auth.NewAuthorizer(verifier, st), bucket: localstack.NewTestBucket(t)}
	e.files = s3files.New(aws.Config{Region: localstack.Region, Credentials: credentials.NewStaticCredentialsProvider(localstack.S3AccessKeyID, localstack.S3SecretAccessKey, "")}, stack.S3Endpoint, e.bucket, 0)
	e.srv = e.server(t, sesmail.New(stack.SES(), "no-reply@casescribe.test"))
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		e.users[name] = newLogin(t, stack, poolID, clientID, name+"@example.com", password)
	}
	return e
}

// newLogin creates a Cognito user with email and pw in the pool and signs it in through the
// app client: its user id and tokens.
func newLogin(tb testing.TB, stack *localstack.Stack, poolID, clientID, email, pw string) user {
	tb.Helper()
	ctx := context.Background()
	sub, err := localstack.CreateUser(ctx, stack.Cognito(), poolID, email, pw)
	if err != nil {
		tb.Fatal(err)
	}
	id, access, err := localstack.SignIn(ctx, stack.Cognito(), clientID, email, pw)
	if err != nil {
		tb.Fatal(err)
	}
	return user{id: sub, email: email, token: id, accessToken: access}
}

// serveInProcess calls h as the holder of token, in org ("" for none), with a JSON body ("" for
// none), and returns the recorded answer.
func serveInProcess(h http.Handler, token, org, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if org != "" {
		req.Header.Set(api.OrgHeader, org)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// decodedAnswer reads a recorded answer; one whose body is not JSON gets status -1, never
// expected, so that the failure shows the raw answer.
func decodedAnswer(rec *httptest.ResponseRecorder) response {
	out := response{status: rec.Code, raw: rec.Body.String()}
	if out.raw != "" && json.Unmarshal(rec.Body.Bytes(), &out.body) != nil {
		out.status = -1
	}
	return out
}

// server serves the API with the given mailer, on e's store, authorizer and clock.
func (e *env) server(t *testing.T, m api.Mailer) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(api.NewServer(e.store, api.WithMailer(m, appBaseURL), api.WithClock(e.now), api.WithFiles(e.files),
		api.WithLogger(api.NewLogger(t.Output()))).Local(e.authn, nil))
	t.Cleanup(srv.Close)
	return srv
}

// now is the server's clock: real time, run ahead by offset, or frozen.
func (e *env) now() time.Time {
	if f := e.frozen.Load(); f != 0 {
		return time.Unix(0, f).UTC()
	}
	return time.Now().UTC().Add(time.Duration(e.offset.Load()))
}

// freeze stops the server's clock at at until the test ends.
func (e *env) freeze(t *testing.T, at time.Time) {
	t.Helper()
	e.frozen.Store(at.UnixNano())
	t.Cleanup(func() { e.frozen.Store(0) })
}

const appBaseURL = "https://app.casescribe.test"

// response is a decoded answer.
type response struct {
	status int
	body   map[string]any
	raw    string
}

func (r response) errorCode() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (r response) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

func (r response) items() []any {
	items, _ := r.body["items"].([]any)
	return items
}

// call sends a request with a raw Authorization header value and body, and validates the
// response against the OpenAPI document.
func (e *env) call(t *testing.T, authorization, orgID, method, path, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if orgID != "" {
		req.Header.Set("X-Org-Id", orgID)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.send(t, req, body)
}

// send sends a prepared request, decodes and validates the answer.
func (e *env) send(t *testing.T, req *http.Request, body string) response {
	t.Helper()
	method, path := req.Method, req.URL.RequestURI()
	authorization, orgID := req.Header.Get("Authorization"), req.Header.Get("X-Org-Id")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := response{status: res.StatusCode, raw: string(raw)}
	// Every answer is JSON but a successful CSV export, which the OpenAPI check below holds to
	// its own media type.
	csv := strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") && res.StatusCode < 300
	if len(raw) > 0 && !csv {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %q", method, path, raw)
		}
	}
	if res.StatusCode == http.StatusInternalServerError {
		t.Errorf("%s %s: status %d: %s", method, path, res.StatusCode, raw)
	}
	e.validate(t, method, path, body, orgID, authorization, res, raw)
	return out
}

// validate checks one exchange against the OpenAPI document. Oversized bodies are skipped:
// the validator would itself refuse them before we could see what the server answered.
func (e *env) validate(t *testing.T, method, path, body, orgID, authorization string, res *http.Response, raw []byte) {
	t.Helper()
	if len(body) > api.MaxBodyBytes {
		return
	}
	req := httptest.NewRequest(method, "http://127.0.0.1:3000"+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if orgID != "" {
		req.Header.Set("X-Org-Id", orgID)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res.Body = io.NopCloser(bytes.NewReader(raw))
	if ok, errs := e.oas.ValidateHttpResponse(req, res); !ok {
		for _, ve := range errs {
			t.Errorf("%s %s: response %d does not match the OpenAPI document: %s (%s)", method, path, res.StatusCode, ve.Message, ve.Reason)
			for _, se := range ve.SchemaValidationErrors {
				t.Errorf("  %s: %s", se.FieldPath, se.Reason)
			}
		}
	}
}

// as calls as a named user.
func (e *env) as(t *testing.T, name, orgID, method, path, body string) response {
	t.Helper()
	return e.call(t, "Bearer "+e.users[name].token, orgID, method, path, body)
}

func (e *env) join(t *testing.T, name, orgID string, role casescribe.Role, status casescribe.MembershipStatus) {
	t.Helper()
	u := e.users[name]
	org, err := e.store.GetOrganization(context.Background(), orgID)
	if err != nil {
		t.Fatal(err)
	}
	m := casescribe.Membership{OrgID: orgID, OrgName: org.Name, UserID: u.id, Email: u.email, Name: name,
		Role: role, Status: status, CreatedAt: time.Now()}
	if err := e.store.PutMembership(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

func want(t *testing.T, what string, got response, status int, code string) {
	t.Helper()
	if got.status != status || got.errorCode() != code {
		t.Errorf("%s: got %d %q (%s), want %d %q", what, got.status, got.errorCode(), got.raw, status, code)
	}
}

func TestMultiOrganization(t *testing.T) {
	e := setup(t)

	harbor := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Harbor & Vale LLP","yourName":"Alice Harbor"}`)
	want(t, "create Harbor", harbor, 201, "")
	north := e.as(t, "carol", "", "POST", "/orgs", `{"name":"Northside Medical Law"}`)
	want(t, "create Northside", north, 201, "")
	hID, nID := harbor.str("id"), north.str("id")
	e.join(t, "alice", nID, casescribe.RoleGuest, casescribe.StatusActive)
	e.join(t, "bob", hID, casescribe.RoleMember, casescribe.StatusActive)
	e.join(t, "dave", hID, casescribe.RoleMember, casescribe.StatusInvited)

	me := e.as(t, "alice", "", "GET", "/me", "")
	want(t, "GET /me", me, 200, "")
	roles := map[string]string{}
	for _, o := range me.body["organizations"].([]any) {
		o := o.(map[string]any)
		roles[o["id"].(string)] = o["role"].(string)
	}
	if roles[hID] != "admin" || roles[nID] != "guest" || len(roles) != 2 {
		t.Errorf("alice's organizations = %v, want admin of Harbor and guest of Northside", roles)
	}
	if u := me.body["user"].(map[string]any); u["name"] != "Alice Harbor" || u["email"] != "alice@example.com" {
		t.Errorf("user = %v", u)
	}
	if got := e.as(t, "dave", "", "GET", "/me", ""); len(got.body["organizations"].([]any)) != 0 {
		t.Errorf("an invitation not yet accepted is listed: %s", got.raw)
	}

	// Alice is admin in Harbor: she creates a client and a case there.
	smith := e.as(t, "alice", hID, "POST", "/clients", `{"name":"Smith, John"}`)
	want(t, "create client", smith, 201, "")
	knee := e.as(t, "alice", hID, "POST", "/clients/"+smith.str("id")+"/cases", `{"name":"Knee MRI"}`)
	want(t, "create case", knee, 201, "")
	if knee.str("clientName") != "Smith, John" {
		t.Errorf("case = %s", knee.raw)
	}
	got := e.as(t, "alice", hID, "GET", "/cases/"+knee.str("id"), "")
	want(t, "read case", got, 200, "")
	if got.str("name") != "Knee MRI" || got.str("clientId") != smith.str("id") {
		t.Errorf("case = %s", got.raw)
	}

	// The same login is a guest in Northside: the role comes from X-Org-Id.
	want(t, "guest creates client", e.as(t, "alice", nID, "POST", "/clients", `{"name":"X"}`), 403, casescribe.EGUESTRESTRICTED)
	garcia := e.as(t, "carol", nID, "POST", "/clients", `{"name":"Garcia, Maria"}`)
	hip := e.as(t, "carol", nID, "POST", "/clients/"+garcia.str("id")+"/cases", `{"name":"Hip replacement"}`)
	want(t, "carol creates case", hip, 201, "")
	if l := e.as(t, "alice", nID, "GET", "/clients", ""); l.status != 200 || len(l.items()) != 0 {
		t.Errorf("guest lists clients: %s, want none (nothing shared)", l.raw)
	}
	if l := e.as(t, "alice", nID, "GET", "/cases", ""); l.status != 200 || len(l.items()) != 0 {
		t.Errorf("guest lists cases: %s, want none", l.raw)
	}
	want(t, "guest reads unshared case", e.as(t, "alice", nID, "GET", "/cases/"+hip.str("id"), ""), 404, casescribe.ENOTFOUND)
	want(t, "guest reads unshared client", e.as(t, "alice", nID, "GET", "/clients/"+garcia.str("id"), ""), 404, casescribe.ENOTFOUND)
	want(t, "guest edits case", e.as(t, "alice", nID, "PATCH", "/cases/"+hip.str("id"), `{"name":"x"}`), 403, casescribe.EGUESTRESTRICTED)

	// An id of organization B asked under organization A answers exactly like an unknown id.
	unknown := ulid.Make().String()
	for _, p := range []struct{ known, unknown string }{
		{"/cases/" + hip.str("id"), "/cases/" + unknown},
		{"/clients/" + garcia.str("id"), "/clients/" + unknown},
		{"/clients/" + garcia.str("id") + "/cases", "/clients/" + unknown + "/cases"},
	} {
		cross := e.as(t, "alice", hID, "GET", p.known, "")
		none := e.as(t, "alice", hID, "GET", p.unknown, "")
		want(t, "cross-org "+p.known, cross, 404, casescribe.ENOTFOUND)
		if cross.status != none.status || cross.raw != none.raw {
			t.Errorf("cross-org answer %d %s differs from unknown-id answer %d %s", cross.status, cross.raw, none.status, none.raw)
		}
	}
	want(t, "cross-org delete", e.as(t, "alice", hID, "DELETE", "/cases/"+hip.str("id"), ""), 404, casescribe.ENOTFOUND)
	want(t, "malformed id", e.as(t, "alice", hID, "GET", "/cases/not-an-id", ""), 404, casescribe.ENOTFOUND)
	if l := e.as(t, "alice", hID, "GET", "/cases", ""); len(l.items()) != 1 {
		t.Errorf("Harbor's case list = %s, want only Knee MRI", l.raw)
	}

	// Organization refusals.
	want(t, "no X-Org-Id", e.as(t, "alice", "", "GET", "/clients", ""), 400, casescribe.EORGREQUIRED)
	want(t, "not a member", e.as(t, "carol", hID, "GET", "/clients", ""), 403, casescribe.ENOTMEMBER)
	want(t, "unknown org", e.as(t, "alice", unknown, "GET", "/clients", ""), 403, casescribe.ENOTMEMBER)
	want(t, "malformed org", e.as(t, "alice", "harbor", "GET", "/clients", ""), 403, casescribe.ENOTMEMBER)
	want(t, "invitation pending", e.as(t, "dave", hID, "GET", "/clients", ""), 403, casescribe.EINVITATIONPENDING)

	// Bob is a member of Harbor: he works on clients and cases.
	renamed := e.as(t, "bob", hID, "PATCH", "/cases/"+knee.str("id"), `{"name":"Knee MRI (left)"}`)
	want(t, "member renames case", renamed, 200, "")
	if renamed.str("name") != "Knee MRI (left)" || renamed.str("clientName") != "Smith, John" {
		t.Errorf("renamed = %s", renamed.raw)
	}
	want(t, "delete client with cases", e.as(t, "bob", hID, "DELETE", "/clients/"+smith.str("id"), ""), 409, casescribe.ECONFLICT)
	detail := e.as(t, "bob", hID, "GET", "/clients/"+smith.str("id"), "")
	if cases, _ := detail.body["cases"].([]any); detail.status != 200 || len(cases) != 1 || detail.body["caseCount"] != 1.0 {
		t.Errorf("client detail = %s", detail.raw)
	}
	want(t, "rename client", e.as(t, "bob", hID, "PATCH", "/clients/"+smith.str("id"), `{"name":"Smith, John A."}`), 200, "")
	if l := e.as(t, "bob", hID, "GET", "/clients/"+smith.str("id")+"/cases", ""); len(l.items()) != 1 ||
		l.items()[0].(map[string]any)["clientName"] != "Smith, John A." {
		t.Errorf("client cases = %s", l.raw)
	}
	want(t, "delete case", e.as(t, "bob", hID, "DELETE", "/cases/"+knee.str("id"), ""), 204, "")
	want(t, "deleted case", e.as(t, "bob", hID, "GET", "/cases/"+knee.str("id"), ""), 404, casescribe.ENOTFOUND)
	want(t, "delete client", e.as(t, "bob", hID, "DELETE", "/clients/"+smith.str("id"), ""), 204, "")
	// A route that does not exist answers the API's JSON 404 (not in the OpenAPI document, so
	// sent without the validating helper).
	req, _ := http.NewRequest("PUT", e.srv.URL+"/clients", nil)
	req.Header.Set("Authorization", "Bearer "+e.users["bob"].token)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 404 || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("unknown route: %v %v", res, err)
	} else {
		res.Body.Close()
	}
}

func TestPaginationOverHTTP(t *testing.T) {
	e := setup(t)
	org := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Firm"}`).str("id")
	for _, n := range []string{"A", "B", "C"} {
		want(t, "create", e.as(t, "alice", org, "POST", "/clients", `{"name":"`+n+`"}`), 201, "")
	}
	first := e.as(t, "alice", org, "GET", "/clients?limit=2", "")
	next, _ := first.body["nextCursor"].(string)
	if len(first.items()) != 2 || next == "" {
		t.Fatalf("first page = %s", first.raw)
	}
	second := e.as(t, "alice", org, "GET", "/clients?limit=2&cursor="+next, "")
	if len(second.items()) != 1 || second.body["nextCursor"] != nil {
		t.Errorf("second page = %s", second.raw)
	}
	want(t, "forged cursor", e.as(t, "alice", org, "GET", "/clients?cursor="+base64.RawURLEncoding.EncodeToString([]byte("clients:ORG#x")), ""), 400, casescribe.EINVALID)
	want(t, "bad limit", e.as(t, "alice", org, "GET", "/clients?limit=1000", ""), 400, casescribe.EINVALID)
}

// Every bad token answers 401 and never reaches a handler.
func TestTokens(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	alice := e.users["alice"]
	org := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Firm"}`).str("id")

	parts := strings.Split(alice.token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tamperedPayload := strings.Replace(string(payload), alice.email, "mallory@example.com", 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(tamperedPayload)) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	unknownKid := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"someone-else"}`)) + "." + parts[1] + "." + parts[2]

	// A token of another app client of the same pool (wrong aud), and of another pool signed
	// with the same key (wrong iss): both verify cryptographically and must still be refused.
	otherClient, err := localstack.CreateUserPoolClient(ctx, e.stack.Cognito(), e.poolID, "other-app")
	if err != nil {
		t.Fatal(err)
	}
	wrongAud, _, err := localstack.SignIn(ctx, e.stack.Cognito(), otherClient, alice.email, password)
	if err != nil {
		t.Fatal(err)
	}
	otherPool, otherPoolClient := localstack.NewTestUserPool(t)
	if _, err := localstack.CreateUser(ctx, e.stack.Cognito(), otherPool, alice.email, password); err != nil {
		t.Fatal(err)
	}
	wrongIss, _, err := localstack.SignIn(ctx, e.stack.Cognito(), otherPoolClient, alice.email, password)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct{ name, authorization string }{
		{"missing", ""},
		{"not bearer", "Basic " + alice.token},
		{"garbage", "Bearer not.a.token"},
		{"alg none", "Bearer " + none},
		{"tampered payload", "Bearer " + tampered},
		{"unknown kid", "Bearer " + unknownKid},
		{"access token", "Bearer " + alice.accessToken},
		{"wrong audience", "Bearer " + wrongAud},
		{"wrong issuer", "Bearer " + wrongIss},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []struct{ method, path, org, body string }{
				{"GET", "/me", "", ""},
				{"GET", "/clients", org, ""},
				{"POST", "/clients", org, `{"name":"Leak"}`},
			} {
				want(t, tt.name+" "+r.path, e.call(t, tt.authorization, r.org, r.method, r.path, r.body), 401, casescribe.EUNAUTHENTICATED)
			}
		})
	}
	if l := e.as(t, "alice", org, "GET", "/clients", ""); len(l.items()) != 0 {
		t.Errorf("a refused request wrote: %s", l.raw)
	}
}

func TestBadInputWritesNothing(t *testing.T) {
	e := setup(t)
	org := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Firm"}`).str("id")
	client := e.as(t, "alice", org, "POST", "/clients", `{"name":"Smith, John"}`).str("id")
	huge := `{"name":"` + strings.Repeat("a", api.MaxBodyBytes) + `"}`
	bodies := []struct {
		name, body string
		status     int
		code       string
	}{
		{"malformed", `{"name":`, 400, casescribe.EINVALID},
		{"not JSON", `name=x`, 400, casescribe.EINVALID},
		{"unknown field", `{"name":"x","color":"red"}`, 400, casescribe.EINVALID},
		{"wrong type", `{"name":42}`, 400, casescribe.EINVALID},
		{"null name", `{"name":null}`, 400, casescribe.EINVALID},
		{"empty name", `{"name":"  "}`, 400, casescribe.EINVALID},
		{"missing name", `{}`, 400, casescribe.EINVALID},
		{"oversized name", `{"name":"` + strings.Repeat("x", 201) + `"}`, 400, casescribe.EINVALID},
		{"control characters", `{"name":"a\u0000b"}`, 400, casescribe.EINVALID},
		{"empty body", ``, 400, casescribe.EINVALID},
		{"two objects", `{"name":"a"}{"name":"b"}`, 400, casescribe.EINVALID},
		{"oversized body", huge, 413, casescribe.ETOOLARGE},
	}
	routes := []struct{ method, path, org string }{
		{"POST", "/orgs", ""},
		{"POST", "/clients", org},
		{"PATCH", "/clients/" + client, org},
		{"POST", "/clients/" + client + "/cases", org},
	}
	for _, r := range routes {
		for _, b := range bodies {
			got := e.as(t, "alice", r.org, r.method, r.path, b.body)
			want(t, r.method+" "+r.path+" "+b.name, got, b.status, b.code)
			if msg, _ := got.body["error"].(map[string]any)["message"].(string); msg == "" {
				t.Errorf("%s %s %s: no message", r.method, r.path, b.name)
			}
		}
	}
	if l := e.as(t, "alice", org, "GET", "/clients", ""); len(l.items()) != 1 || l.items()[0].(map[string]any)["name"] != "Smith, John" {
		t.Errorf("clients after bad input = %s", l.raw)
	}
	if l := e.as(t, "alice", org, "GET", "/cases", ""); len(l.items()) != 0 {
		t.Errorf("cases after bad input = %s", l.raw)
	}
	if me := e.as(t, "alice", "", "GET", "/me", ""); len(me.body["organizations"].([]any)) != 1 {
		t.Errorf("organizations after bad input = %s", me.raw)
	}
}
