package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/casescribe/sharing/infra/localstack"
)

func TestMain(m *testing.M) {
	code := m.Run()
	localstack.StopTestStack()
	os.Exit(code)
}

// buildLocal builds this program once into a temporary folder.
func buildLocal(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "casescribe-local")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// post sends a JSON request and decodes the JSON answer.
func post(t *testing.T, method, url string, headers map[string]string, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %q", method, url, res.StatusCode, raw)
		}
	}
	return res.StatusCode
}

// TestMakeRun starts the program as `make run` does (on free ports), follows the README's
// sign-in sequence against it, then stops it with Ctrl-C and checks nothing it started is
// left listening.
func TestMakeRun(t *testing.T) {
	localstack.ForTest(t) // skips, or fails under make test, when the emulators cannot start
	bin := buildLocal(t)
	state := t.TempDir()
	var output bytes.Buffer
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-dynamodb-port", "0", "-cognito-port", "0", "-ses-port", "0", "-s3-port", "0", "-state-dir", state)
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	var sf stackFile
	deadline := time.Now().Add(2 * time.Minute)
	for {
		raw, err := os.ReadFile(filepath.Join(state, "stack.json"))
		if err == nil && json.Unmarshal(raw, &sf) == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the program stopped: %v\n%s", err, output.String())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no stack.json after 2 minutes:\n%s", output.String())
		}
	}
	if !strings.Contains(output.String(), "Bearer $TOKEN") {
		t.Errorf("the program does not print how to call the API:\n%s", output.String())
	}

	// The README's sequence: sign in through cognito-local, then /me, a client and a case.
	admin := sf.Accounts[0]
	var auth struct {
		AuthenticationResult struct{ IdToken string }
	}
	post(t, "POST", sf.CognitoEndpoint+"/", map[string]string{
		"Content-Type": "application/x-amz-json-1.1",
		"X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
	}, `{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"`+sf.UserPoolClientID+`","AuthParameters":{"USERNAME":"`+admin.Email+`","PASSWORD":"`+admin.Password+`"}}`, &auth)
	bearer := map[string]string{"Authorization": "Bearer " + auth.AuthenticationResult.IdToken}
	var me struct {
		Organizations []struct{ ID, Name, Role string }
	}
	if status := post(t, "GET", sf.APIURL+"/me", bearer, "", &me); status != 200 || len(me.Organizations) != 2 {
		t.Fatalf("/me: %d %+v", status, me)
	}
	roles := map[string]string{}
	for _, o := range me.Organizations {
		roles[o.Name] = o.Role
	}
	if roles["Harbor & Vale LLP"] != "admin" || roles["Northside Medical Law"] != "guest" {
		t.Errorf("seeded roles = %v, want admin in one firm and guest in the other", roles)
	}
	inOrg := map[string]string{"Authorization": bearer["Authorization"], "X-Org-Id": sf.Organizations[0].ID}
	var client, kase struct{ ID, Name, ClientName string }
	if status := post(t, "POST", sf.APIURL+"/clients", inOrg, `{"name":"Brown, Ann"}`, &client); status != 201 {
		t.Fatalf("create client: %d", status)
	}
	if status := post(t, "POST", sf.APIURL+"/clients/"+client.ID+"/cases", inOrg, `{"name":"Shoulder MRI"}`, &kase); status != 201 || kase.ClientName != "Brown, Ann" {
		t.Fatalf("create case: %d %+v", status, kase)
	}
	var doc map[string]any
	if status := post(t, "GET", sf.APIURL+"/openapi.json", nil, "", &doc); status != 200 || doc["openapi"] != "3.1.0" {
		t.Errorf("/openapi.json: %d", status)
	}
	// The README's invitation sequence: the pending invitation's email is in SES's store; the
	// invitee signs up in cognito-local, confirms, signs in, looks the invitation up, accepts.
	var store struct {
		Emails []struct {
			Destination struct{ To []string }
			Body        struct{ Text string }
		}
	}
	post(t, "GET", sf.SESEndpoint+"/store", nil, "", &store)
	token := ""
	for _, m := range store.Emails {
		if len(m.Destination.To) > 0 && m.Destination.To[0] == pendingInvitee {
			if found := regexp.MustCompile(`token=([A-Za-z0-9._-]+)`).FindStringSubmatch(m.Body.Text); found != nil {
				token = found[1]
			}
		}
	}
	if token == "" {
		t.Fatalf("no invitation email to %s in the SES store", pendingInvitee)
	}
	cognito := func(target, body string, out any) int {
		return post(t, "POST", sf.CognitoEndpoint+"/", map[string]string{
			"Content-Type": "application/x-amz-json-1.1",
			"X-Amz-Target": "AWSCognitoIdentityProviderService." + target,
		}, body, out)
	}
	// Stand-in for signing up: cognito-local sends no verification code, so the account is
	// created with its address already verified, as confirming the code would leave it in AWS.
	if status := cognito("AdminCreateUser", `{"UserPoolId":"`+sf.UserPoolID+`","Username":"`+pendingInvitee+`","MessageAction":"SUPPRESS","UserAttributes":[{"Name":"email","Value":"`+pendingInvitee+`"},{"Name":"email_verified","Value":"true"}]}`, nil); status != 200 {
		t.Fatalf("AdminCreateUser: %d", status)
	}
	if status := cognito("AdminSetUserPassword", `{"UserPoolId":"`+sf.UserPoolID+`","Username":"`+pendingInvitee+`","Password":"`+admin.Password+`","Permanent":true}`, nil); status != 200 {
		t.Fatalf("AdminSetUserPassword: %d", status)
	}
	cognito("InitiateAuth", `{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"`+sf.UserPoolClientID+`","AuthParameters":{"USERNAME":"`+pendingInvitee+`","PASSWORD":"`+admin.Password+`"}}`, &auth)
	var lookup struct{ OrgName, Role string }
	if status := post(t, "GET", sf.APIURL+"/invitations/lookup?token="+token, nil, "", &lookup); status != 200 || lookup.Role != "guest" {
		t.Fatalf("lookup: %d %+v", status, lookup)
	}
	var accepted struct{ Organization struct{ ID, Role string } }
	if status := post(t, "POST", sf.APIURL+"/invitations/accept", map[string]string{"Authorization": "Bearer " + auth.AuthenticationResult.IdToken},
		`{"token":"`+token+`"}`, &accepted); status != 200 || accepted.Organization.Role != "guest" {
		t.Fatalf("accept: %d %+v", status, accepted)
	}

	// The README's guest story: share Knee MRI with Dan, widen it to the client, remove it.
	var dan *account
	for _, a := range sf.Accounts {
		if a.Email == "dan@expertmed.example" {
			dan = a
		}
	}
	if dan == nil {
		t.Fatal("no seeded guest Dan")
	}
	var danAuth struct {
		AuthenticationResult struct{ IdToken string }
	}
	cognito("InitiateAuth", `{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"`+sf.UserPoolClientID+`","AuthParameters":{"USERNAME":"`+dan.Email+`","PASSWORD":"`+dan.Password+`"}}`, &danAuth)
	asDan := map[string]string{"Authorization": "Bearer " + danAuth.AuthenticationResult.IdToken, "X-Org-Id": sf.Organizations[0].ID}
	type named struct{ ID, Name string }
	var cases struct{ Items []named }
	post(t, "GET", sf.APIURL+"/cases", inOrg, "", &cases)
	knee := ""
	for _, k := range cases.Items {
		if k.Name == "Knee MRI" {
			knee = k.ID
		}
	}
	var danCases struct{ Items []named }
	if post(t, "GET", sf.APIURL+"/cases", asDan, "", &danCases); len(danCases.Items) != 0 {
		t.Fatalf("Dan sees %v before any share", danCases.Items)
	}
	var share struct{ ShareID string }
	if status := post(t, "POST", sf.APIURL+"/cases/"+knee+"/shares", inOrg, `{"guestId":"`+dan.UserID+`","scope":"case"}`, &share); status != 201 {
		t.Fatalf("share: %d", status)
	}
	if post(t, "GET", sf.APIURL+"/cases", asDan, "", &danCases); len(danCases.Items) != 1 || danCases.Items[0].Name != "Knee MRI" {
		t.Errorf("Dan sees %v, want Knee MRI", danCases.Items)
	}
	var preview struct {
		Summary string
		Version int
	}
	if status := post(t, "POST", sf.APIURL+"/shares/"+share.ShareID+"/preview", inOrg, `{"scope":"client"}`, &preview); status != 200 || preview.Version != 1 {
		t.Fatalf("preview: %d %+v", status, preview)
	}
	if status := post(t, "PATCH", sf.APIURL+"/shares/"+share.ShareID, inOrg, `{"scope":"client","version":1}`, nil); status != 200 {
		t.Fatalf("apply: %d", status)
	}
	if post(t, "GET", sf.APIURL+"/cases", asDan, "", &danCases); len(danCases.Items) != 2 {
		t.Errorf("after widening Dan sees %v, want both cases of Smith, John", danCases.Items)
	}
	if status := post(t, "DELETE", sf.APIURL+"/shares/"+share.ShareID, inOrg, "", nil); status != 204 {
		t.Fatalf("remove: %d", status)
	}
	if status := post(t, "GET", sf.APIURL+"/cases/"+knee, asDan, "", nil); status != 404 {
		t.Errorf("Dan's next request after removal: %d, want 404", status)
	}

	contentWalkthrough(t, sf, inOrg, knee)
	chatWalkthrough(t, sf, knee)

	if raw, err := os.ReadFile(filepath.Join(state, "sam-env.json")); err != nil || !bytes.Contains(raw, []byte(sf.UserPoolID)) {
		t.Errorf("sam-env.json: %v %s", err, raw)
	}

	// The documents bucket exists, and lets the web app upload from the browser.
	preflight, err := http.NewRequest(http.MethodOptions, sf.S3Endpoint+"/"+sf.DocumentsBucket+"/org/case/doc", nil)
	if err != nil {
		t.Fatal(err)
	}
	preflight.Header.Set("Origin", sf.AppBaseURL)
	preflight.Header.Set("Access-Control-Request-Method", http.MethodPut)
	preflight.Header.Set("Access-Control-Request-Headers", "content-type")
	if res, err := http.DefaultClient.Do(preflight); err != nil {
		t.Errorf("preflight of an upload to %s: %v", sf.DocumentsBucket, err)
	} else {
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Access-Control-Allow-Methods"), "PUT") {
			t.Errorf("preflight of an upload to bucket %q: status %d, headers %v", sf.DocumentsBucket, res.StatusCode, res.Header)
		}
	}

	// Ctrl-C stops the API and every emulator.
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after Ctrl-C: %v\n%s", err, output.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after Ctrl-C")
	}
	for _, u := range []string{sf.APIURL, sf.DynamoDBEndpoint, sf.CognitoEndpoint, sf.SESEndpoint, sf.S3Endpoint} {
		addr := strings.TrimPrefix(u, "http://")
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still answers after Ctrl-C", u)
		}
	}
}

// A taken API port is reported clearly, before any emulator starts.
func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, buildLocal(t), "-addr", ln.Addr().String(), "-state-dir", t.TempDir()).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(string(out), "already in use") || !strings.Contains(string(out), ln.Addr().String()) {
		t.Errorf("err = %v, output %q; want a failure naming the address already in use", err, out)
	}
	if strings.Contains(string(out), "Starting") {
		t.Errorf("emulators were started before the port check: %q", out)
	}
}

// get fetches url and returns the status and the raw body.
func get(t *testing.T, url string, headers map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
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
	return res.StatusCode, raw
}

// signIn signs a seeded account in through cognito-local and returns its headers in the
// first organization.
func signIn(t *testing.T, sf stackFile, email string) map[string]string {
	t.Helper()
	var a *account
	for _, acc := range sf.Accounts {
		if acc.Email == email {
			a = acc
		}
	}
	if a == nil {
		t.Fatalf("no seeded account %s in stack.json", email)
	}
	var auth struct {
		AuthenticationResult struct{ IdToken string }
	}
	post(t, "POST", sf.CognitoEndpoint+"/", map[string]string{
		"Content-Type": "application/x-amz-json-1.1",
		"X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
	}, `{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"`+sf.UserPoolClientID+`","AuthParameters":{"USERNAME":"`+a.Email+`","PASSWORD":"`+a.Password+`"}}`, &auth)
	if auth.AuthenticationResult.IdToken == "" {
		t.Fatalf("%s cannot sign in", email)
	}
	return map[string]string{"Authorization": "Bearer " + auth.AuthenticationResult.IdToken, "X-Org-Id": sf.Organizations[0].ID}
}

// apiError is the API's error body.
type apiError struct {
	Error struct{ Code, Message string }
}

// factList is the answer of GET /cases/{caseId}/facts.
type factList struct {
	Items []struct {
		ID, Date, Text string
		Tags           []string
		KeyFact        bool
		DocumentID     string
	}
	Total    int
	View     *struct{ ID, Name string }
	Controls map[string]bool
}

func (l factList) texts() []string {
	var out []string
	for _, f := range l.Items {
		out = append(out, f.Text)
	}
	return out
}

// contentWalkthrough follows the README's walk-through of case content against the seeded
// Knee MRI: Gus holds it through the saved view "Imaging", Fiona holds the whole case.
func contentWalkthrough(t *testing.T, sf stackFile, asAlice map[string]string, knee string) {
	asGus, asFiona := signIn(t, sf, gusEmail), signIn(t, sf, fionaEmail)
	facts := sf.APIURL + "/cases/" + knee + "/facts"

	// What the seed says each of them should see.
	var imaging, key []demoFact
	for _, f := range kneeFacts {
		if slices.Contains(f.tags, "imaging") {
			imaging = append(imaging, f)
		}
		if f.key {
			key = append(key, f)
		}
	}
	slices.SortStableFunc(imaging, func(a, b demoFact) int { return strings.Compare(b.date, a.date) }) // newest first
	slices.SortStableFunc(key, func(a, b demoFact) int { return strings.Compare(a.date, b.date) })
	textsOf := func(fs []demoFact) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.text)
		}
		return out
	}
	cited := map[string]bool{}
	for _, f := range imaging {
		cited[f.doc] = f.doc != ""
	}
	var gusDocs []string
	var report demoDocument
	for _, d := range kneeDocuments {
		if cited[d.ref] {
			gusDocs = append(gusDocs, d.name)
			report = d
		}
	}
	if len(imaging) == 0 || len(gusDocs) != 1 || len(gusDocs) == len(kneeDocuments) {
		t.Fatalf("the seed no longer shows a view: %d imaging facts, Gus's documents %v of %d", len(imaging), gusDocs, len(kneeDocuments))
	}

	// 1. Gus: the view's facts only, in its order, the chip named, every control off.
	var gus factList
	if status := post(t, "GET", facts, asGus, "", &gus); status != 200 {
		t.Fatalf("Gus's facts: %d", status)
	}
	if got, want := gus.texts(), textsOf(imaging); !slices.Equal(got, want) || gus.Total != len(want) {
		t.Errorf("Gus's facts = %q (total %d), want the view's %q", got, gus.Total, want)
	}
	if gus.View == nil || gus.View.Name != "Imaging" {
		t.Errorf("Gus's view chip = %+v, want Imaging", gus.View)
	}
	if len(gus.Controls) != 3 || gus.Controls["filter"] || gus.Controls["sort"] || gus.Controls["keyFacts"] {
		t.Errorf("Gus's controls = %v, want filter, sort and keyFacts all false", gus.Controls)
	}

	// 2. A filter is refused; a fact outside the view answers as an unknown one.
	var refused apiError
	if status := post(t, "GET", facts+"?tag=billing", asGus, "", &refused); status != 403 || refused.Error.Code != "view_locked" {
		t.Errorf("Gus filtering: %d %+v, want 403 view_locked", status, refused)
	}
	var billing factList
	if post(t, "GET", facts+"?tag=billing", asAlice, "", &billing); len(billing.Items) == 0 {
		t.Fatal("Alice finds no billing fact in Knee MRI")
	}
	outside := sf.APIURL + "/facts/" + billing.Items[0].ID
	if status := post(t, "GET", outside, asAlice, "", nil); status != 200 {
		t.Errorf("Alice reading the billing fact: %d", status)
	}
	if status := post(t, "GET", outside, asGus, "", nil); status != 404 {
		t.Errorf("Gus reading a fact outside his view: %d, want 404", status)
	}

	// 3. Documents: only those the view's facts cite; the signed URL returns the seeded bytes.
	var docs struct{ Items []struct{ ID, Name string } }
	post(t, "GET", sf.APIURL+"/cases/"+knee+"/documents", asGus, "", &docs)
	var names []string
	for _, d := range docs.Items {
		names = append(names, d.Name)
	}
	if !slices.Equal(names, gusDocs) {
		t.Fatalf("Gus's documents = %q, want %q", names, gusDocs)
	}
	var doc struct {
		Download struct{ Method, URL string }
	}
	if status := post(t, "GET", sf.APIURL+"/documents/"+docs.Items[0].ID, asGus, "", &doc); status != 200 || doc.Download.Method != "GET" {
		t.Fatalf("Gus reading %s: %d %+v", names[0], status, doc)
	}
	if status, got := get(t, doc.Download.URL, nil); status != 200 || !bytes.Equal(got, report.bytes()) {
		t.Errorf("download through the signed URL: %d %q, want the seeded %q", status, got, report.bytes())
	}

	// 4. Comments on a fact of the view; the export holds exactly the view's facts.
	mri := ""
	for _, f := range gus.Items {
		if f.DocumentID != "" {
			mri = f.ID
		}
	}
	var comments struct{ Items []struct{ Text string } }
	if status := post(t, "GET", sf.APIURL+"/facts/"+mri+"/comments", asGus, "", &comments); status != 200 || len(comments.Items) == 0 {
		t.Errorf("comments on the MRI fact for Gus: %d %+v", status, comments)
	}
	if status := post(t, "POST", sf.APIURL+"/facts/"+mri+"/comments", asGus, `{"text":"Consistent with an acute tear."}`, nil); status != 201 {
		t.Errorf("Gus commenting on a fact of his view: %d, want 201", status)
	}
	status, raw := get(t, facts+"/export", asGus)
	reader := csv.NewReader(bytes.NewReader(raw))
	reader.FieldsPerRecord = -1 // provenance rows first, then the facts
	rows, err := reader.ReadAll()
	if status != 200 || err != nil {
		t.Fatalf("Gus's export: %d %v\n%s", status, err, raw)
	}
	var exported []string
	for i, row := range rows {
		if len(row) > 2 && row[0] == "id" {
			for _, r := range rows[i+1:] {
				exported = append(exported, r[2])
			}
		}
	}
	if want := textsOf(imaging); !slices.Equal(exported, want) {
		t.Errorf("Gus's export holds %q, want the view's %q", exported, want)
	}

	// 5. Fiona holds the whole case: the Key Facts filter selects the case's key facts.
	var fiona factList
	if status := post(t, "GET", facts+"?keyOnly=true", asFiona, "", &fiona); status != 200 {
		t.Fatalf("Fiona's key facts: %d", status)
	}
	if got, want := fiona.texts(), textsOf(key); !slices.Equal(got, want) || fiona.View != nil || !fiona.Controls["filter"] {
		t.Errorf("Fiona's key facts = %q (view %+v, controls %v), want %q with no view and open controls", got, fiona.View, fiona.Controls, want)
	}

	// 6. A guest never writes content.
	var restricted apiError
	if status := post(t, "POST", facts, asFiona, `{"text":"Deposition set for June 2"}`, &restricted); status != 403 || restricted.Error.Code != "guest_restricted" {
		t.Errorf("Fiona creating a fact: %d %+v, want 403 guest_restricted", status, restricted)
	}

	// 7. The view Gus's share uses cannot be deleted.
	var views struct{ Items []struct{ ID, Name string } }
	post(t, "GET", sf.APIURL+"/cases/"+knee+"/views", asAlice, "", &views)
	if !slices.ContainsFunc(views.Items, func(v struct{ ID, Name string }) bool { return v.Name == "Imaging" }) {
		t.Errorf("Knee MRI's views = %+v, want Imaging among them", views.Items)
	}
	for _, v := range views.Items {
		if v.Name == "Imaging" {
			var conflict apiError
			if status := post(t, "DELETE", sf.APIURL+"/views/"+v.ID, asAlice, "", &conflict); status != 409 || conflict.Error.Code != "conflict" {
				t.Errorf("deleting the view a share uses: %d %+v, want 409 conflict", status, conflict)
			}
		}
	}
	if status := post(t, "GET", facts, asGus, "", &gus); status != 200 || gus.View == nil {
		t.Errorf("Gus after the refused delete: %d %+v", status, gus.View)
	}
}

// chat is the answer of GET /chats/{chatId}.
type chat struct {
	ID, Title string
	Shared    bool
	Exchanges []exchange
}

// exchange is one question and its answer, as the API shows it to the caller.
type exchange struct {
	Question  string
	AskedBy   struct{ Name string }
	Answer    string
	Citations []string
	Actions   []struct {
		Kind, Status string
		FactIDs      []string
	}
	Redacted bool
}

// The README's Ask AI walk-through asks these.
const (
	invoiceQuestion = "What was the MRI invoice, and how much?"
	createRequest   = "Create a fact: Deposition of the treating surgeon set for 2025-06-02"
)

// chatWalkthrough follows the README's Ask AI walk-through against the seeded chats of Knee
// MRI: Gus, limited to the view "Imaging", holds the shared chat; Bob works in the other.
func chatWalkthrough(t *testing.T, sf stackFile, knee string) {
	asGus, asBob := signIn(t, sf, gusEmail), signIn(t, sf, "bob@harborvale.example")
	chats := sf.APIURL + "/cases/" + knee + "/chats"
	facts := sf.APIURL + "/cases/" + knee + "/facts"
	var shared, staff demoChat
	for _, c := range kneeChats {
		if c.shared {
			shared = c
		} else {
			staff = c
		}
	}
	if shared.title == "" || staff.title == "" {
		t.Fatalf("the seed no longer has a shared and an unshared chat: %+v", kneeChats)
	}

	// What Gus sees of the case, and where the invoice is.
	var gusFacts, billing factList
	post(t, "GET", facts, asGus, "", &gusFacts)
	inView := map[string]bool{}
	for _, f := range gusFacts.Items {
		inView[f.ID] = true
	}
	if post(t, "GET", facts+"?tag=billing", asBob, "", &billing); len(billing.Items) != 1 {
		t.Fatalf("Bob's billing facts = %q, want the invoice", billing.texts())
	}
	invoice := billing.Items[0]
	leaks := func(s string) bool {
		return strings.Contains(s, invoice.ID) || strings.Contains(s, invoice.Text) || strings.Contains(s, "2,450")
	}

	// 1. Gus lists the shared chat only; the other is not found for him.
	type listed struct {
		ID, Title string
		Shared    bool
	}
	var gusChats, bobChats struct{ Items []listed }
	if status := post(t, "GET", chats, asGus, "", &gusChats); status != 200 || len(gusChats.Items) != 1 ||
		gusChats.Items[0].Title != shared.title || !gusChats.Items[0].Shared {
		t.Fatalf("Gus's chats: %d %+v, want %q alone, shared", status, gusChats.Items, shared.title)
	}
	post(t, "GET", chats, asBob, "", &bobChats)
	ids := map[string]string{}
	for _, c := range bobChats.Items {
		ids[c.Title] = c.ID
	}
	if len(bobChats.Items) != 2 || ids[shared.title] != gusChats.Items[0].ID || ids[staff.title] == "" {
		t.Fatalf("Bob's chats = %+v, want %q and %q", bobChats.Items, shared.title, staff.title)
	}
	if status := post(t, "GET", sf.APIURL+"/chats/"+ids[staff.title], asGus, "", nil); status != 404 {
		t.Errorf("Gus opening the unshared chat: %d, want 404", status)
	}

	// 2. In the shared chat he reads every question and none of the answers: they were drawn
	// from the whole case. Bob reads them whole, the invoice cited.
	sharedURL := sf.APIURL + "/chats/" + ids[shared.title]
	var gusView, bobView chat
	status, raw := get(t, sharedURL, asGus)
	if err := json.Unmarshal(raw, &gusView); status != 200 || err != nil || len(gusView.Exchanges) != len(shared.asks) {
		t.Fatalf("Gus opening the shared chat: %d %v %s", status, err, raw)
	}
	for i, e := range gusView.Exchanges {
		if e.Question != shared.asks[i].text || !e.Redacted || len(e.Citations) != 0 || len(e.Actions) != 0 {
			t.Errorf("Gus reads exchange %d as %+v, want the question %q with its answer redacted", i, e, shared.asks[i].text)
		}
	}
	if leaks(string(raw)) {
		t.Errorf("the shared chat shows Gus the invoice: %s", raw)
	}
	post(t, "GET", sharedURL, asBob, "", &bobView)
	if len(bobView.Exchanges) == 0 || bobView.Exchanges[0].Question != sharedQuestion || bobView.Exchanges[0].Redacted ||
		!slices.Contains(bobView.Exchanges[0].Citations, invoice.ID) || !strings.Contains(bobView.Exchanges[0].Answer, invoice.Text) {
		t.Errorf("Bob reads his exchange as %+v, want it whole, quoting and citing the invoice", bobView.Exchanges)
	}

	// 3. Gus asks about the invoice: answered from his view, with no trace of it.
	var answer exchange
	status, asked := send(t, "POST", sharedURL+"/messages", asGus, `{"text":`+jsonString(invoiceQuestion)+`}`, &answer)
	if status != 201 || answer.Redacted || leaks(answer.Answer) || slices.Contains(answer.Citations, invoice.ID) || strings.Contains(asked, invoice.ID) {
		t.Errorf("Gus asking about the invoice: %d %s", status, asked)
	}
	for _, id := range answer.Citations {
		if !inView[id] {
			t.Errorf("Gus's answer cites %s, outside his view", id)
		}
	}
	if post(t, "GET", sharedURL, asGus, "", &gusView); len(gusView.Exchanges) != len(shared.asks)+1 || gusView.Exchanges[len(shared.asks)].Redacted {
		t.Errorf("Gus reading back his own answer: %+v", gusView.Exchanges)
	}

	// 4. Gus asks Ask AI to create a fact: told no, and nothing is written.
	var before, after factList
	post(t, "GET", facts, asBob, "", &before)
	var refused exchange
	if status := post(t, "POST", sharedURL+"/messages", asGus, `{"text":`+jsonString(createRequest)+`}`, &refused); status != 201 ||
		len(refused.Actions) != 0 || !strings.Contains(refused.Answer, "can't") {
		t.Errorf("Gus asking to create a fact: %d %+v, want a refusal and no action", status, refused)
	}
	if post(t, "GET", facts, asBob, "", &after); after.Total != before.Total {
		t.Errorf("facts after Gus's request: %d, want %d", after.Total, before.Total)
	}

	// 5. Bob asks the same in his chat: carried out with his permissions, and recorded.
	staffURL := sf.APIURL + "/chats/" + ids[staff.title]
	var done exchange
	if status := post(t, "POST", staffURL+"/messages", asBob, `{"text":`+jsonString(createRequest)+`}`, &done); status != 201 ||
		len(done.Actions) != 1 || done.Actions[0].Kind != "create_fact" || done.Actions[0].Status != "done" || len(done.Actions[0].FactIDs) != 1 {
		t.Fatalf("Bob asking to create a fact: %d %+v", status, done)
	}
	var created struct{ Text, Date string }
	wantText := strings.TrimPrefix(createRequest, "Create a fact: ")
	if status := post(t, "GET", sf.APIURL+"/facts/"+done.Actions[0].FactIDs[0], asBob, "", &created); status != 200 ||
		created.Text != wantText || created.Date != "2025-06-02" {
		t.Errorf("the fact Bob's request created: %d %+v, want %q dated 2025-06-02", status, created, wantText)
	}
	if post(t, "GET", facts, asBob, "", &after); after.Total != before.Total+1 {
		t.Errorf("facts after Bob's request: %d, want %d", after.Total, before.Total+1)
	}
	var recorded chat
	post(t, "GET", staffURL, asBob, "", &recorded)
	if n := len(recorded.Exchanges); n != len(staff.asks)+1 || len(recorded.Exchanges[n-1].Actions) != 1 ||
		!slices.Equal(recorded.Exchanges[n-1].Actions[0].FactIDs, done.Actions[0].FactIDs) {
		t.Errorf("Bob's chat does not record the action: %+v", recorded.Exchanges)
	}
}

// send is post that also returns the raw answer.
func send(t *testing.T, method, url string, headers map[string]string, body string, out any) (int, string) {
	t.Helper()
	var raw json.RawMessage
	status := post(t, method, url, headers, body, &raw)
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s %s: %d %s", method, url, status, raw)
	}
	return status, string(raw)
}
