package awslambda_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/oklog/ulid/v2"

	"github.com/casescribe/sharing/infra/lambdastub"
	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
)

// TestLambdaBinaries builds the authorizer, get-case, get-me and get-document functions as they are
// deployed (bootstrap binaries for provided.al2023, but for this host) and runs them under a
// Runtime API stub against the emulators: a real Cognito ID token goes through the authorizer,
// and the authorizer's verdict is handed to the route functions the way API Gateway does.
func TestLambdaBinaries(t *testing.T) {
	start := time.Now()
	// The build runs while the emulators start and the data is seeded.
	waitBuilds := buildFunctions(t, "authorizer", "get-case", "get-me", "get-document", "post-chat-message")

	stack := localstack.ForTest(t)
	table := localstack.NewTestTable(t)
	poolID, clientID := localstack.NewTestUserPool(t)
	ctx := t.Context()

	const email, password = "ada@lovelace-partners.example", "Lambda-binaries-2026"
	sub, err := localstack.CreateUser(ctx, stack.Cognito(), poolID, email, password)
	if err != nil {
		t.Fatal(err)
	}
	idToken, _, err := localstack.SignIn(ctx, stack.Cognito(), clientID, email, password)
	if err != nil {
		t.Fatal(err)
	}
	w := seedWorld(t, store.New(stack.DynamoDB(), table), casescribe.User{ID: sub, Email: email, Name: "Ada Lovelace"})

	bins := waitBuilds()
	t.Logf("emulators, seed and build ready after %v", time.Since(start).Round(time.Millisecond))

	env := map[string]string{
		"TABLE_NAME":          table,
		"USER_POOL_ID":        poolID,
		"USER_POOL_CLIENT_ID": clientID,
		"COGNITO_ISSUER":      stack.CognitoIssuer(poolID),
		"DYNAMODB_ENDPOINT":   stack.DynamoDBEndpoint,
	}
	authorizer := startFunction(t, "authorizer", bins["authorizer"], env)
	getCase := startFunction(t, "get-case", bins["get-case"], env)
	getMe := startFunction(t, "get-me", bins["get-me"], env)

	bearer := "Bearer " + idToken
	const caseRoute, meRoute = "GET /cases/{caseId}", "GET /me"
	// verdicts keeps the authorizer's contexts by case name, to hand them to the routes.
	verdicts := map[string]map[string]any{}

	t.Run("authorizer", func(t *testing.T) {
		tests := []struct {
			name     string
			routeKey string
			headers  map[string]string
			// want is the exact context of an accepted caller; wantCode that of a refusal.
			want     map[string]any
			wantCode string
		}{
			{
				name:     "admin",
				routeKey: caseRoute,
				headers:  map[string]string{"authorization": bearer, "x-org-id": w.orgID},
				want:     map[string]any{"userId": sub, "email": email, "emailVerified": true, "orgId": w.orgID, "role": "admin", "name": "Ada Lovelace"},
			},
			{
				name:     "header names not lower-cased",
				routeKey: caseRoute,
				headers:  map[string]string{"Authorization": bearer, "X-Org-Id": w.orgID},
				want:     map[string]any{"userId": sub, "email": email, "emailVerified": true, "orgId": w.orgID, "role": "admin", "name": "Ada Lovelace"},
			},
			{
				name:     "me without organization",
				routeKey: meRoute,
				headers:  map[string]string{"authorization": bearer},
				want:     map[string]any{"userId": sub, "email": email, "emailVerified": true},
			},
			{
				name:     "me ignores organization",
				routeKey: meRoute,
				headers:  map[string]string{"authorization": bearer, "x-org-id": ulid.Make().String()},
				want:     map[string]any{"userId": sub, "email": email, "emailVerified": true},
			},
			{
				name:     "garbage token",
				routeKey: caseRoute,
				headers:  map[string]string{"authorization": "Bearer not.a.jwt", "x-org-id": w.orgID},
				wantCode: "unauthenticated",
			},
			{
				name:     "tampered token",
				routeKey: caseRoute,
				headers:  map[string]string{"authorization": "Bearer " + tamper(t, idToken), "x-org-id": w.orgID},
				wantCode: "unauthenticated",
			},
			{
				name:     "no token",
				routeKey: caseRoute,
				headers:  map[string]string{"x-org-id": w.orgID},
				wantCode: "unauthenticated",
			},
			{
				name:     "no organization",
				routeKey: caseRoute,
				headers:  map[string]string{"authorization": bearer},
				wantCode: "org_required",
			},
			{
				name:     "unknown organization",
				routeKey: caseRoute,
				headers:  map[string]string{"authorization": bearer, "x-org-id": ulid.Make().String()},
				wantCode: "not_member",
			},
			{
				name:     "organization id not a ULID",
				routeKey: caseRoute,
				headers:  map[string]string{"authorization": bearer, "x-org-id": "ORG#" + w.orgID},
				wantCode: "not_member",
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := invokeAuthorizer(t, authorizer, tt.routeKey, tt.headers)
				verdicts[tt.name] = got
				if tt.wantCode != "" {
					checkRefusal(t, got, tt.wantCode)
					return
				}
				if !maps.Equal(got, tt.want) {
					t.Errorf("context = %v, want %v", got, tt.want)
				}
			})
		}
	})

	// verdict returns the context the authorizer gave in the named case.
	verdict := func(t *testing.T, name string) map[string]any {
		t.Helper()
		v, ok := verdicts[name]
		if !ok {
			t.Fatalf("the authorizer gave no verdict for %q", name)
		}
		return v
	}

	t.Run("get-case", func(t *testing.T) {
		tests := []struct {
			name string
			// lambda is requestContext.authorizer.lambda; nil sends no authorizer at all.
			lambda     func(t *testing.T) map[string]any
			caseID     string
			wantStatus int
			want       caseBody // for 200
			wantCode   string   // otherwise
		}{
			{
				name:       "admin, verdict from the authorizer",
				lambda:     func(t *testing.T) map[string]any { return verdict(t, "admin") },
				caseID:     w.caseID,
				wantStatus: 200,
				want:       caseBody{ID: w.caseID, Name: w.caseName, ClientID: w.clientID, ClientName: w.clientName},
			},
			{
				name: "not a member",
				lambda: func(*testing.T) map[string]any {
					return map[string]any{"errorCode": "not_member", "errorMessage": "You are not a member of this organization."}
				},
				caseID:     w.caseID,
				wantStatus: 403,
				wantCode:   "not_member",
			},
			{
				name:       "refusal from the authorizer",
				lambda:     func(t *testing.T) map[string]any { return verdict(t, "tampered token") },
				caseID:     w.caseID,
				wantStatus: 401,
				wantCode:   "unauthenticated",
			},
			{
				name:       "no organization, verdict from the authorizer",
				lambda:     func(t *testing.T) map[string]any { return verdict(t, "no organization") },
				caseID:     w.caseID,
				wantStatus: 400,
				wantCode:   "org_required",
			},
			{
				name:       "no authorizer context",
				caseID:     w.caseID,
				wantStatus: 401,
				wantCode:   "unauthenticated",
			},
			{
				name: "guest",
				lambda: func(*testing.T) map[string]any {
					return map[string]any{"userId": sub, "email": email, "orgId": w.orgID, "role": "guest"}
				},
				caseID:     w.caseID,
				wantStatus: 404,
				wantCode:   "not_found",
			},
			{
				name:       "unknown case",
				lambda:     func(t *testing.T) map[string]any { return verdict(t, "admin") },
				caseID:     ulid.Make().String(),
				wantStatus: 404,
				wantCode:   "not_found",
			},
			{
				name:       "case id not a ULID",
				lambda:     func(t *testing.T) map[string]any { return verdict(t, "admin") },
				caseID:     "CASE#" + w.caseID,
				wantStatus: 404,
				wantCode:   "not_found",
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var lambdaCtx map[string]any
				if tt.lambda != nil {
					lambdaCtx = tt.lambda(t)
				}
				path := "/cases/" + tt.caseID
				req := httpEvent(caseRoute, path, map[string]string{"caseId": tt.caseID}, lambdaCtx)
				resp := invokeRoute(t, getCase, req)
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, resp.Body)
				}
				if tt.wantCode != "" {
					checkErrorBody(t, resp, tt.wantCode)
					return
				}
				var got caseBody
				decodeBody(t, resp, &got)
				if got != tt.want {
					t.Errorf("case = %+v, want %+v", got, tt.want)
				}
			})
		}

		t.Run("malformed event is a function error", func(t *testing.T) {
			req := httpEvent(caseRoute, "/cases/"+w.caseID, map[string]string{"caseId": w.caseID}, verdict(t, "admin"))
			req.IsBase64Encoded, req.Body = true, "%%% not base64 %%%"
			_, err := getCase.api.Invoke(t.Context(), req)
			if fe := (*lambdastub.FunctionError)(nil); !errors.As(err, &fe) || fe.Phase != "invoke" {
				t.Errorf("Invoke error = %v, want a function error", err)
			}
			// The function stays up after a handler error.
			resp := invokeRoute(t, getCase, httpEvent(caseRoute, "/cases/"+w.caseID, map[string]string{"caseId": w.caseID}, verdict(t, "admin")))
			if resp.StatusCode != 200 {
				t.Errorf("next status = %d, want 200", resp.StatusCode)
			}
		})
	})

	// A function that keeps document files links the S3 client and signs a download URL that
	// the local S3 stand-in serves.
	t.Run("get-document", func(t *testing.T) {
		bucket := localstack.NewTestBucket(t)
		st := store.New(stack.DynamoDB(), table)
		doc := casescribe.Document{OrgID: w.orgID, CaseID: w.caseID, ClientID: w.clientID, ID: ulid.Make().String(),
			Name: "Notes.txt", ContentType: "text/plain", Size: 5, UploaderID: sub, CreatedAt: time.Now().UTC()}
		if err := st.CreateDocument(ctx, doc); err != nil {
			t.Fatal(err)
		}
		if _, err := stack.S3().PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(doc.FileKey()),
			Body: strings.NewReader("notes")}); err != nil {
			t.Fatal(err)
		}
		docEnv := maps.Clone(env)
		docEnv["DOCUMENTS_BUCKET"], docEnv["S3_ENDPOINT"] = bucket, stack.S3Endpoint
		// The local S3 stand-in knows one key pair; DynamoDB Local takes any.
		docEnv["AWS_ACCESS_KEY_ID"], docEnv["AWS_SECRET_ACCESS_KEY"] = localstack.S3AccessKeyID, localstack.S3SecretAccessKey
		getDocument := startFunction(t, "get-document", bins["get-document"], docEnv)
		resp := invokeRoute(t, getDocument, httpEvent("GET /documents/{documentId}", "/documents/"+doc.ID,
			map[string]string{"documentId": doc.ID}, verdict(t, "admin")))
		if resp.StatusCode != 200 {
			t.Fatalf("status = %d, want 200; body %s", resp.StatusCode, resp.Body)
		}
		var got struct {
			Download struct {
				URL string `json:"url"`
			} `json:"download"`
		}
		decodeBody(t, resp, &got)
		res, err := http.Get(got.Download.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(body) != "notes" {
			t.Errorf("download through the signed URL: %d %q", res.StatusCode, body)
		}

		noBucket := maps.Clone(docEnv)
		delete(noBucket, "DOCUMENTS_BUCKET")
		f := startFunction(t, "get-document-no-bucket", bins["get-document"], noBucket)
		_, err = f.api.Invoke(t.Context(), httpEvent("GET /documents/{documentId}", "/documents/"+doc.ID,
			map[string]string{"documentId": doc.ID}, verdict(t, "admin")))
		if !errors.Is(err, errFunctionExited) || !strings.Contains(f.output.String(), "DOCUMENTS_BUCKET") {
			t.Errorf("without DOCUMENTS_BUCKET: %v, output %q; want a failed start naming it", err, f.output.String())
		}
	})

	// A function that asks the AI links the Bedrock client and speaks the Converse API; here to
	// a local server standing in for Bedrock, which sees the question and the case's facts.
	t.Run("post-chat-message on Bedrock", func(t *testing.T) {
		st := store.New(stack.DynamoDB(), table)
		now := time.Now().UTC()
		fact := casescribe.Fact{OrgID: w.orgID, CaseID: w.caseID, ClientID: w.clientID, ID: ulid.Make().String(),
			Text: "The engine computes Bernoulli numbers", Version: 1, CreatedAt: now, UpdatedAt: now}
		chat := casescribe.Chat{OrgID: w.orgID, CaseID: w.caseID, ClientID: w.clientID, ID: ulid.Make().String(), Title: "Notes", CreatedBy: sub, CreatedAt: now}
		if err := st.CreateFact(ctx, fact); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateChat(ctx, chat); err != nil {
			t.Fatal(err)
		}
		var asked string
		bedrock := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			asked = r.URL.Path + " " + string(body)
			rw.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(rw, `{"output":{"message":{"role":"assistant","content":[{"text":"It computes Bernoulli numbers [fact:%s]."}]}},"stopReason":"end_turn","usage":{"inputTokens":10,"outputTokens":5,"totalTokens":15},"metrics":{"latencyMs":3}}`, fact.ID)
		}))
		t.Cleanup(bedrock.Close)
		aiEnv := maps.Clone(env)
		aiEnv["AI_PROVIDER"], aiEnv["BEDROCK_MODEL_ID"], aiEnv["BEDROCK_ENDPOINT"] = "bedrock", "test.model-v1", bedrock.URL
		f := startFunction(t, "post-chat-message", bins["post-chat-message"], aiEnv)
		ev := httpEvent("POST /chats/{chatId}/messages", "/chats/"+chat.ID+"/messages", map[string]string{"chatId": chat.ID}, verdict(t, "admin"))
		ev.Body = `{"text":"What does the engine compute?"}`
		resp := invokeRoute(t, f, ev)
		if resp.StatusCode != 201 {
			t.Fatalf("status = %d, want 201; body %s", resp.StatusCode, resp.Body)
		}
		var got struct {
			Answer    string   `json:"answer"`
			Citations []string `json:"citations"`
		}
		decodeBody(t, resp, &got)
		if !slices.Equal(got.Citations, []string{fact.ID}) || !strings.Contains(got.Answer, "Bernoulli") {
			t.Errorf("answer = %+v", got)
		}
		if !strings.Contains(asked, "/model/test.model-v1/converse") || !strings.Contains(asked, "What does the engine compute?") || !strings.Contains(asked, fact.ID) {
			t.Errorf("Bedrock was asked %q", asked)
		}
	})

	t.Run("get-me", func(t *testing.T) {
		t.Run("verdict from the authorizer", func(t *testing.T) {
			resp := invokeRoute(t, getMe, httpEvent(meRoute, "/me", nil, verdict(t, "me without organization")))
			if resp.StatusCode != 200 {
				t.Fatalf("status = %d, want 200; body %s", resp.StatusCode, resp.Body)
			}
			var got meBody
			decodeBody(t, resp, &got)
			if want := (meUser{ID: sub, Email: email, Name: "Ada Lovelace"}); got.User != want {
				t.Errorf("user = %+v, want %+v", got.User, want)
			}
			want := meOrg{ID: w.orgID, Name: w.orgName, Role: "admin"}
			if !slices.Contains(got.Organizations, want) {
				t.Errorf("organizations = %+v, want them to contain %+v", got.Organizations, want)
			}
		})
		t.Run("no authorizer context", func(t *testing.T) {
			resp := invokeRoute(t, getMe, httpEvent(meRoute, "/me", nil, nil))
			if resp.StatusCode != 401 {
				t.Fatalf("status = %d, want 401; body %s", resp.StatusCode, resp.Body)
			}
			checkErrorBody(t, resp, "unauthenticated")
		})
	})

	t.Run("init failure", func(t *testing.T) {
		// Without TABLE_NAME the function stops in main, before lambda.Start: aws-lambda-go
		// never posts to /runtime/init/error, the process just exits.
		broken := maps.Clone(env)
		delete(broken, "TABLE_NAME")
		f := startFunction(t, "get-case-broken", bins["get-case"], broken)
		_, err := f.api.Invoke(t.Context(), httpEvent(caseRoute, "/cases/"+w.caseID, map[string]string{"caseId": w.caseID}, nil))
		if !errors.Is(err, errFunctionExited) {
			t.Errorf("Invoke error = %v, want %v", err, errFunctionExited)
		}
		if out := f.output.String(); !strings.Contains(out, "TABLE_NAME") {
			t.Errorf("output = %q, want it to name TABLE_NAME", out)
		}
	})

	for _, f := range []*lambdaFunction{authorizer, getCase, getMe} {
		if first := f.api.FirstNext(); !first.IsZero() {
			t.Logf("%s: init took %v", f.name, first.Sub(f.started).Round(time.Microsecond))
		}
	}
}

// world is the data seedWorld creates.
type world struct {
	orgID, orgName       string
	clientID, clientName string
	caseID, caseName     string
}

// seedWorld creates an organization founded by admin (who thus becomes its admin), one
// client and one case of that client.
func seedWorld(t *testing.T, st *store.Store, admin casescribe.User) world {
	t.Helper()
	ctx := t.Context()
	now := time.Now().UTC()
	w := world{
		orgID: ulid.Make().String(), orgName: "Lovelace & Babbage LLP",
		clientID: ulid.Make().String(), clientName: "Menabrea, Luigi",
		caseID: ulid.Make().String(), caseName: "Analytical engine patent",
	}
	org := casescribe.Organization{ID: w.orgID, Name: w.orgName, CreatedAt: now, CreatedBy: admin.ID}
	if err := st.CreateOrganization(ctx, org, admin); err != nil {
		t.Fatalf("seed organization: %v", err)
	}
	client := casescribe.Client{OrgID: w.orgID, ID: w.clientID, Name: w.clientName, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateClient(ctx, client); err != nil {
		t.Fatalf("seed client: %v", err)
	}
	k := casescribe.Case{OrgID: w.orgID, ID: w.caseID, ClientID: w.clientID, Name: w.caseName, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateCase(ctx, k); err != nil {
		t.Fatalf("seed case: %v", err)
	}
	return w
}

// caseBody is the part of GET /cases/{caseId}'s answer the test checks.
type caseBody struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	ClientID   string `json:"clientId"`
	ClientName string `json:"clientName"`
}

// meBody is GET /me's answer.
type meBody struct {
	User          meUser  `json:"user"`
	Organizations []meOrg `json:"organizations"`
}

type meUser struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

type meOrg struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

// invokeAuthorizer sends the authorizer a REQUEST event for routeKey with headers, as API
// Gateway does, and returns the context of its simple response, failing the test unless the
// response authorizes the request (this authorizer always does and puts its verdict in the
// context).
func invokeAuthorizer(t *testing.T, f *lambdaFunction, routeKey string, headers map[string]string) map[string]any {
	t.Helper()
	method, path, _ := strings.Cut(routeKey, " ")
	req := events.APIGatewayV2CustomAuthorizerV2Request{
		Version:        "2.0",
		Type:           "REQUEST",
		RouteArn:       "arn:aws:execute-api:us-east-1:000000000000:api0000000/$default/" + method + path,
		IdentitySource: []string{routeKey},
		RouteKey:       routeKey,
		RawPath:        path,
		Headers:        headers,
		RequestContext: requestContext(routeKey, path),
	}
	raw, err := f.api.Invoke(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.APIGatewayV2CustomAuthorizerSimpleResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("authorizer response %s: %v", raw, err)
	}
	if !resp.IsAuthorized {
		t.Fatalf("isAuthorized = false, want true (the verdict travels in the context); response %s", raw)
	}
	return resp.Context
}

// checkRefusal checks that an authorizer context is a refusal with the given code, a message,
// and no identity.
func checkRefusal(t *testing.T, ctx map[string]any, wantCode string) {
	t.Helper()
	if got := ctx["errorCode"]; got != wantCode {
		t.Errorf("errorCode = %v, want %q (context %v)", got, wantCode, ctx)
	}
	if msg, _ := ctx["errorMessage"].(string); msg == "" {
		t.Errorf("errorMessage = %v, want a message", ctx["errorMessage"])
	}
	for _, k := range []string{"userId", "email", "orgId", "role"} {
		if v, ok := ctx[k]; ok {
			t.Errorf("refusal carries %s = %v", k, v)
		}
	}
}

// httpEvent builds the payload 2.0 event API Gateway sends a route function, with lambdaCtx
// as the authorizer's context (nil: no authorizer description at all).
func httpEvent(routeKey, path string, pathParams map[string]string, lambdaCtx map[string]any) events.APIGatewayV2HTTPRequest {
	rc := requestContext(routeKey, path)
	if lambdaCtx != nil {
		rc.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: lambdaCtx}
	}
	return events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       routeKey,
		RawPath:        path,
		Headers:        map[string]string{"accept": "application/json", "host": rc.DomainName},
		PathParameters: pathParams,
		RequestContext: rc,
	}
}

// requestContext is the requestContext API Gateway puts in both kinds of event.
func requestContext(routeKey, path string) events.APIGatewayV2HTTPRequestContext {
	method, _, _ := strings.Cut(routeKey, " ")
	now := time.Now()
	return events.APIGatewayV2HTTPRequestContext{
		RouteKey:     routeKey,
		AccountID:    "000000000000",
		Stage:        "$default",
		RequestID:    lambdastub.NewRequestID(),
		APIID:        "api0000000",
		DomainName:   "api0000000.execute-api.us-east-1.amazonaws.com",
		DomainPrefix: "api0000000",
		Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
		TimeEpoch:    now.UnixMilli(),
		HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
			Method:    method,
			Path:      path,
			Protocol:  "HTTP/1.1",
			SourceIP:  "192.0.2.1",
			UserAgent: "casescribe-test",
		},
	}
}

// invokeRoute sends a route function an event and returns its proxy response.
func invokeRoute(t *testing.T, f *lambdaFunction, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	raw, err := f.api.Invoke(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("%s response %s: %v", f.name, raw, err)
	}
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			t.Fatalf("%s response body: %v", f.name, err)
		}
		resp.Body, resp.IsBase64Encoded = string(b), false
	}
	return resp
}

// decodeBody checks that resp is JSON and decodes its body into v; fields v lacks are
// ignored, as the API may add some.
func decodeBody(t *testing.T, resp events.APIGatewayV2HTTPResponse, v any) {
	t.Helper()
	if ct := resp.Headers["Content-Type"]; ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if err := json.Unmarshal([]byte(resp.Body), v); err != nil {
		t.Fatalf("body %s: %v", resp.Body, err)
	}
}

// checkErrorBody checks that resp is the API's JSON error with the given code and a message.
func checkErrorBody(t *testing.T, resp events.APIGatewayV2HTTPResponse, wantCode string) {
	t.Helper()
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	decodeBody(t, resp, &body)
	if body.Error.Code != wantCode {
		t.Errorf("error code = %q, want %q; body %s", body.Error.Code, wantCode, resp.Body)
	}
	if body.Error.Message == "" {
		t.Errorf("error message is empty; body %s", resp.Body)
	}
}

// tamper returns token with its payload changed to name another user and the signature
// kept: a forgery only the signature check can catch.
func tamper(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("ID token has %d parts, want 3", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("ID token payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatalf("ID token claims: %v", err)
	}
	claims["sub"], claims["email"] = "00000000-0000-4000-8000-000000000000", "mallory@example.com"
	forged, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(forged)
	return strings.Join(parts, ".")
}

// repoRoot walks up from the working directory to the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod in the working directory or its parents")
		}
		dir = parent
	}
}

// buildFunctions starts building each named function (a directory under functions/) as
// deployed: a static, stripped bootstrap without the RPC mode, but for this host's OS and
// architecture. The builds run in parallel and in the background; the returned func waits
// for them and returns each binary's path by name, failing the test if any build failed.
// Builds still running when the test ends (it was skipped, say) are interrupted.
func buildFunctions(t *testing.T, names ...string) (wait func() map[string]string) {
	t.Helper()
	root := repoRoot(t)
	dir := t.TempDir()
	type result struct {
		bin string
		out []byte
		err error
	}
	results := make([]result, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		bin := filepath.Join(dir, name, "bootstrap")
		cmd := exec.CommandContext(t.Context(), "go", "build", "-tags", "lambda.norpc", "-trimpath",
			"-ldflags", "-s -w", "-o", bin, "./functions/"+name)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
		// Let the go command clean up its work directory when the test ends early.
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 5 * time.Second
		wg.Go(func() {
			out, err := cmd.CombinedOutput()
			results[i] = result{bin: bin, out: out, err: err}
		})
	}
	t.Cleanup(wg.Wait) // runs before t.TempDir's removal, registered earlier
	return func() map[string]string {
		t.Helper()
		wg.Wait()
		bins := map[string]string{}
		for i, r := range results {
			if r.err != nil {
				t.Fatalf("build %s: %v\n%s", names[i], r.err, r.out)
			}
			bins[names[i]] = r.bin
		}
		return bins
	}
}

// errFunctionExited is wrapped by the error Invoke returns once the function's process is gone.
var errFunctionExited = errors.New("function process exited")

// lambdaFunction is one function process with its own Runtime API stub.
type lambdaFunction struct {
	name string
	api  *lambdastub.RuntimeAPI
	// started is when the process was started; api.FirstNext() - started is the init time.
	started time.Time
	output  *syncBuffer
}

// startFunction starts the bootstrap binary bin as the function name, under a new Runtime
// API stub, with the environment Lambda gives a provided.al2023 function plus env; nothing is
// inherited from the test's environment. The process is killed when the test ends, and an
// Invoke made after it exits fails with errFunctionExited and its output.
func startFunction(t *testing.T, name, bin string, env map[string]string) *lambdaFunction {
	t.Helper()
	// The stub is closed after the process is gone: cleanups run last registered first.
	api, err := lambdastub.New(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.Close)
	vars := map[string]string{
		"AWS_REGION":            localstack.Region,
		"AWS_DEFAULT_REGION":    localstack.Region,
		"AWS_ACCESS_KEY_ID":     localstack.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": localstack.SecretAccessKey,
	}
	maps.Copy(vars, env)
	cmd := exec.Command(bin)
	cmd.Dir = filepath.Dir(bin)
	cmd.Env = lambdastub.Env(name, bin, api.Addr(), vars)
	f := &lambdaFunction{name: name, api: api, output: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = f.output, f.output
	f.started = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		api.Fail(fmt.Errorf("%w (%v); output:\n%s", errFunctionExited, err, f.output.String()))
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // an already exited process only makes this return an error
		<-exited
		if t.Failed() {
			t.Logf("%s output:\n%s", name, f.output.String())
		}
	})
	return f
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a process's stdout and
// stderr and reads by the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
