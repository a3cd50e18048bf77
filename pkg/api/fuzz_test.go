package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/auth"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/invitation"
	"github.com/casescribe/sharing/pkg/s3files"
	"github.com/casescribe/sharing/pkg/sesmail"
	"github.com/casescribe/sharing/pkg/store"
)

// The fuzz targets of this file send what the fuzzer makes to the real handlers, served
// in-process exactly as the local server serves them, on DynamoDB Local, cognito-local, SES and
// S3 emulators. The bar is the one the API promises: no panic, never a 5xx, and every 4xx in
// the API's error shape with the code its status stands for.
//
// Inputs name records with placeholders ("{caseId}", "{factCursor}", see fuzzWorld.fill) that
// are replaced by the ids of one firm built once per process, so that the seeds reach past
// "not found" in every process of a fuzz run (each worker builds its own firm) and the
// committed corpus holds no id.

// FuzzRouteBodies sends a body to one of the routes that take one (POST, PATCH, PUT), as the
// firm's admin or as a guest limited to a saved view. route names the route by operation id;
// any other string picks one by its hash.
func FuzzRouteBodies(f *testing.F) {
	routes := bodyRoutes()
	for _, rt := range routes {
		f.Add(rt.ID, false, []byte(matrixBodies[rt.ID]))
	}
	// Bodies of exactly the limit and over it: too big for corpus files.
	f.Add("createFact", false, []byte(`{"text":"`+strings.Repeat("a", api.MaxBodyBytes-11)+`"}`))
	f.Add("createClient", false, []byte(`{"name":"`+strings.Repeat("a", api.MaxBodyBytes)+`"}`))
	f.Add("updateShare", false, []byte(`{"scope":"case","chatIds":[`+strings.Repeat(`"{chatId}",`, api.MaxBodyBytes/10)+`"x"]}`))

	w := newFuzzWorld(f)
	f.Fuzz(func(t *testing.T, route string, guest bool, body []byte) {
		rt := pickRoute(routes, route)
		w.check(t, w.request(t, rt, guest, w.fill(rt.Path), "", w.fill(string(body))))
	})
}

// FuzzQueryParameters sends a query string to one of the GET routes (lists, fact filters,
// export, invitation lookup...), as the admin or the view-limited guest.
func FuzzQueryParameters(f *testing.F) {
	routes := getRoutes()
	for _, rt := range routes {
		f.Add(rt.ID, false, "")
		f.Add(rt.ID, true, "limit=1&cursor={cursor}")
	}
	f.Add("listFacts", false, "tag="+strings.Repeat("x,", 4000))
	f.Add("exportFacts", true, strings.Repeat("tag=imaging&", 2000))

	w := newFuzzWorld(f)
	f.Fuzz(func(t *testing.T, route string, guest bool, query string) {
		rt := pickRoute(routes, route)
		w.check(t, w.request(t, rt, guest, w.fill(rt.Path), w.fill(query), ""))
	})
}

func bodyRoutes() []api.Route {
	var out []api.Route
	for _, rt := range api.Routes() {
		if rt.Method == http.MethodPost || rt.Method == http.MethodPatch || rt.Method == http.MethodPut {
			out = append(out, rt)
		}
	}
	return out
}

func getRoutes() []api.Route {
	var out []api.Route
	for _, rt := range api.Routes() {
		if rt.Method == http.MethodGet {
			out = append(out, rt)
		}
	}
	return out
}

// pickRoute returns the route whose operation id is name, else one chosen by name's hash.
func pickRoute(routes []api.Route, name string) api.Route {
	for _, rt := range routes {
		if rt.ID == name {
			return rt
		}
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return routes[h.Sum32()%uint32(len(routes))]
}

// fuzzWorld is one firm with one of everything, served in-process.
type fuzzWorld struct {
	h     http.Handler
	org   string
	admin string // ID tokens
	guest string
	// ids replaces the placeholders of inputs; nil in a fuzz run's coordinator, which runs
	// no input.
	ids *strings.Replacer
}

// coordinating reports whether this process is the coordinator of go test -fuzz for f: it only
// hands inputs to worker processes, which each build their own world.
func coordinating(f *testing.F) bool {
	fuzz, worker := flag.Lookup("test.fuzz"), flag.Lookup("test.fuzzworker")
	if fuzz == nil || worker == nil || fuzz.Value.String() == "" || worker.Value.String() == "true" {
		return false
	}
	matched, err := regexp.MatchString(fuzz.Value.String(), f.Name())
	return err == nil && matched
}

// newFuzzWorld builds the firm. It runs once per process and target, before any input: the
// fuzzing engine gives each input at most ten seconds, too little to build a firm on busy
// emulators, and a failure here must not be recorded as a failing input.
//
// In a fuzz run's coordinator it only starts the emulators and passes their endpoints on
// through the environment, which the workers inherit: they then share one set of emulators
// instead of each starting its own.
func newFuzzWorld(f *testing.F) *fuzzWorld {
	f.Helper()
	stack := localstack.ForTest(f)
	if coordinating(f) {
		for k, v := range map[string]string{
			localstack.EnvDynamoDBEndpoint: stack.DynamoDBEndpoint,
			localstack.EnvCognitoEndpoint:  stack.CognitoEndpoint,
			localstack.EnvSESEndpoint:      stack.SESEndpoint,
			localstack.EnvS3Endpoint:       stack.S3Endpoint,
		} {
			f.Setenv(k, v)
		}
		return &fuzzWorld{}
	}
	ctx := f.Context()
	poolID, clientID := localstack.NewTestUserPool(f)
	st := store.New(stack.DynamoDB(), localstack.NewTestTable(f))
	verifier, err := auth.NewVerifier(ctx, auth.VerifierConfig{Issuer: stack.CognitoIssuer(poolID), ClientID: clientID})
	if err != nil {
		f.Fatal(err)
	}
	files := s3files.New(aws.Config{Region: localstack.Region, Credentials: credentials.NewStaticCredentialsProvider(localstack.S3AccessKeyID, localstack.S3SecretAccessKey, "")},
		stack.S3Endpoint, localstack.NewTestBucket(f), 0)
	mail := &keptMail{next: sesmail.New(stack.SES(), "no-reply@casescribe.test"), last: map[string]string{}}
	w := &fuzzWorld{h: api.NewServer(st, api.WithMailer(mail, appBaseURL), api.WithFiles(files), api.WithLogger(api.NewLogger(io.Discard))).Local(auth.NewAuthorizer(verifier, st), nil)}

	users := map[string]string{} // name -> user id
	for _, name := range []string{"alice", "carol"} {
		u := newLogin(f, stack, poolID, clientID, "fuzz-"+name+"@example.com", password)
		token := u.token
		users[name] = u.id
		if name == "alice" {
			w.admin = token
		} else {
			w.guest = token
		}
	}

	// call makes one request of the set-up as the admin and returns the answer's field.
	call := func(method, path, body, field string) string {
		f.Helper()
		req := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+w.admin)
		if w.org != "" {
			req.Header.Set(api.OrgHeader, w.org)
		}
		rec := httptest.NewRecorder()
		w.h.ServeHTTP(rec, req)
		var got map[string]any
		if rec.Code >= 300 || json.Unmarshal(rec.Body.Bytes(), &got) != nil {
			f.Fatalf("fuzz world: %s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		s, _ := got[field].(string)
		if s == "" {
			f.Fatalf("fuzz world: %s %s: no %q in %s", method, path, field, rec.Body)
		}
		return s
	}
	w.org = call("POST", "/orgs", `{"name":"Fuzz & Partners LLP","yourName":"Alice Fuzz"}`, "id")
	org, err := st.GetOrganization(ctx, w.org)
	if err != nil {
		f.Fatal(err)
	}
	for name, m := range map[string]struct {
		id   string
		role casescribe.Role
	}{
		"bob":   {"3f2a4c1e-0b6d-4e8f-9a7c-5d1e2f3a4b5c", casescribe.RoleMember},
		"carol": {users["carol"], casescribe.RoleGuest},
		"dave":  {"7c9e1a2b-3d4f-4a5b-8c6d-0e1f2a3b4c5d", casescribe.RoleGuest},
		"erin":  {"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5e", casescribe.RoleGuest},
	} {
		users[name] = m.id
		if err := st.PutMembership(ctx, casescribe.Membership{OrgID: w.org, OrgName: org.Name, UserID: m.id,
			Email: "fuzz-" + name + "@example.com", Name: name, Role: m.role, Status: casescribe.StatusActive, CreatedAt: time.Now()}); err != nil {
			f.Fatal(err)
		}
	}
	client := call("POST", "/clients", `{"name":"Smith, John"}`, "id")
	otherClient := call("POST", "/clients", `{"name":"Doe, Jane"}`, "id")
	kase := call("POST", "/clients/"+client+"/cases", `{"name":"Knee MRI"}`, "id")
	emptyCase := call("POST", "/clients/"+client+"/cases", `{"name":"Hip replacement"}`, "id")
	doc := call("POST", "/cases/"+kase+"/documents", `{"name":"MRI report.pdf","contentType":"application/pdf","size":42}`, "id")
	fact := call("POST", "/cases/"+kase+"/facts", `{"text":"MRI shows a torn medial meniscus","date":"2024-03-01","tags":["imaging"],"keyFact":true,"documentId":"`+doc+`"}`, "id")
	call("POST", "/cases/"+kase+"/facts", `{"text":"Knee pain after the fall","date":"2024-02-01","tags":["symptoms","imaging"]}`, "id")
	call("POST", "/cases/"+kase+"/facts", `{"text":"Invoice for the MRI, 1200 USD","tags":["billing"]}`, "id")
	bare := call("POST", "/cases/"+kase+"/facts", `{"text":"A fact with no tag, date or document"}`, "id")
	call("POST", "/facts/"+fact+"/comments", `{"text":"Ask for the radiologist's notes."}`, "id")
	call("POST", "/facts/"+fact+"/comments", `{"text":"Done."}`, "id")
	view := call("POST", "/cases/"+kase+"/views", `{"name":"Imaging","filter":{"tags":["imaging"]},"sort":{"field":"date","order":"desc"}}`, "id")
	chat := call("POST", "/cases/"+kase+"/chats", `{"title":"What happened"}`, "id")
	call("PUT", "/cases/"+kase+"/summary", `{"text":"A fall, then a torn meniscus."}`, "text")
	call("POST", "/cases/"+kase+"/shares", `{"guestId":"`+users["carol"]+`","scope":"case","viewId":"`+view+`","chatIds":["`+chat+`"]}`, "shareId")
	share := call("POST", "/cases/"+kase+"/shares", `{"guestId":"`+users["dave"]+`","scope":"case"}`, "shareId")
	// Two invitations: one the routes resend (which replaces its token), one whose token the
	// lookup and accept inputs use.
	invitation := call("POST", "/invitations", `{"email":"fuzz-resent@example.com","name":"Resent","role":"guest"}`, "id")
	call("POST", "/invitations", `{"email":"fuzz-looked-up@example.com","name":"Looked Up","role":"member"}`, "id")
	token := mail.token(f, "fuzz-looked-up@example.com")

	cursor := func(path string) string { return call("GET", path+"?limit=1", "", "nextCursor") }
	pairs := []string{
		"{orgId}", w.org, "{clientId}", client, "{caseId}", kase, "{factId}", fact, "{documentId}", doc,
		"{bareFactId}", bare, "{emptyCaseId}", emptyCase, "{otherClientId}", otherClient, "{viewId}", view, "{chatId}", chat, "{shareId}", share, "{invitationId}", invitation,
		"{userId}", users["bob"], "{guestId}", users["erin"], "{tag}", "imaging",
		"{token}", url.QueryEscape(token), "{rawToken}", token,
		"{clientCursor}", cursor("/clients"), "{caseCursor}", cursor("/cases"),
		"{clientCaseCursor}", cursor("/clients/" + client + "/cases"), "{memberCursor}", cursor("/users"),
		"{invitationCursor}", cursor("/invitations"), "{factCursor}", cursor("/cases/" + kase + "/facts"),
		"{commentCursor}", cursor("/facts/" + fact + "/comments"),
	}
	// "{cursor}" is a cursor of one list given to every list: foreign to all but one.
	pairs = append(pairs, "{cursor}", cursor("/cases"))
	w.ids = strings.NewReplacer(pairs...)
	return w
}

// fill replaces the placeholders of s with the world's ids.
func (w *fuzzWorld) fill(s string) string {
	if w.ids == nil || !strings.Contains(s, "{") {
		return s
	}
	return w.ids.Replace(s)
}

// request serves one request in-process (a panic reaches the fuzzing engine as it is) and
// returns the recorded answer.
func (w *fuzzWorld) request(t *testing.T, rt api.Route, guest bool, path, query, body string) *httptest.ResponseRecorder {
	t.Helper()
	if w.ids == nil {
		t.Fatal("the fuzz world was not built in this process")
	}
	req := httptest.NewRequestWithContext(t.Context(), rt.Method, path, strings.NewReader(body))
	req.URL.RawQuery = query
	if query != "" {
		req.RequestURI = path + "?" + query
	}
	token := w.admin
	if guest {
		token = w.guest
	}
	if rt.Action.Needs() != access.NeedNothing {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rt.Action.Needs() == access.NeedOrganization {
		req.Header.Set(api.OrgHeader, w.org)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	if rec.Code >= 500 || rec.Code >= 400 && !isErrorShape(rec) {
		t.Logf("%s %s as %s", rt.Method, req.RequestURI, map[bool]string{false: "admin", true: "guest"}[guest])
	}
	return rec
}

// check fails t unless the answer is below 500, and a 4xx is exactly
// {"error":{"code","message"}} with both set and the code standing for the status.
func (w *fuzzWorld) check(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	body := rec.Body.Bytes()
	switch {
	case rec.Code >= 500:
		t.Fatalf("status %d: %s", rec.Code, body)
	case rec.Code >= 400:
		if !isErrorShape(rec) {
			t.Fatalf("status %d answers %q (Content-Type %q), not the API's error shape with a code meaning %d",
				rec.Code, body, rec.Header().Get("Content-Type"), rec.Code)
		}
	case rec.Code == http.StatusNoContent:
		if len(body) != 0 {
			t.Fatalf("status 204 with a body: %q", body)
		}
	case strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json"):
		if !json.Valid(body) {
			t.Fatalf("status %d answers invalid JSON: %q", rec.Code, body)
		}
	}
}

// isErrorShape reports whether an answer is exactly the API's error: JSON
// {"error":{"code","message"}}, nothing else, both non-empty, the code meaning the status.
func isErrorShape(rec *httptest.ResponseRecorder) bool {
	if rec.Header().Get("Content-Type") != "application/json" {
		return false
	}
	var got struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil || dec.More() || got.Error == nil {
		return false
	}
	return got.Error.Code != "" && strings.TrimSpace(got.Error.Message) != "" && api.StatusOf(got.Error.Code) == rec.Code
}

// keptMail sends through the emulated SES and keeps the last text sent to each address, so
// that the set-up can read an invitation token without scanning SES's whole store.
type keptMail struct {
	next api.Mailer
	mu   sync.Mutex
	last map[string]string
}

func (m *keptMail) Send(ctx context.Context, msg invitation.Message) error {
	m.mu.Lock()
	m.last[strings.ToLower(msg.To)] = msg.Text
	m.mu.Unlock()
	return m.next.Send(ctx, msg)
}

func (m *keptMail) token(tb testing.TB, address string) string {
	tb.Helper()
	m.mu.Lock()
	text := m.last[address]
	m.mu.Unlock()
	match := linkToken.FindStringSubmatch(text)
	if match == nil {
		tb.Fatalf("no accept link in the email to %s: %q", address, text)
	}
	token, err := url.QueryUnescape(match[1])
	if err != nil {
		tb.Fatal(err)
	}
	return token
}

// TestErrorShape checks the fuzz targets' check of error answers, which must be able to fail.
func TestErrorShape(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		want        bool
	}{
		{"the API's error", 404, "application/json", `{"error":{"code":"not_found","message":"Case not found."}}` + "\n", true},
		{"code of another status", 400, "application/json", `{"error":{"code":"not_found","message":"Case not found."}}`, false},
		{"no message", 400, "application/json", `{"error":{"code":"invalid","message":" "}}`, false},
		{"no code", 400, "application/json", `{"error":{"message":"Bad."}}`, false},
		{"extra field", 400, "application/json", `{"error":{"code":"invalid","message":"Bad.","detail":"x"}}`, false},
		{"extra top-level field", 400, "application/json", `{"error":{"code":"invalid","message":"Bad."},"items":[]}`, false},
		{"two values", 400, "application/json", `{"error":{"code":"invalid","message":"Bad."}}{}`, false},
		{"not JSON", 400, "text/plain; charset=utf-8", "Bad Request\n", false},
		{"empty", 413, "application/json", ``, false},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", tt.contentType)
		rec.WriteHeader(tt.status)
		rec.WriteString(tt.body)
		if got := isErrorShape(rec); got != tt.want {
			t.Errorf("%s: isErrorShape = %v, want %v", tt.name, got, tt.want)
		}
	}
}
