package awslambda

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// In Lambda, the access line and the X-Request-Id header carry API Gateway's request id (not
// one the client sent), the caller comes from the authorizer's verdict, and neither the query
// string, the headers nor the verdict's name and email reach the logs.
func TestLambdaAccessLogs(t *testing.T) {
	const gatewayID = "JSkDBgTIoAMEV3Q="
	tests := []struct {
		name, routeID, routeKey, path string
		verdict                       map[string]any
		wantStatus                    int
		wantCode, wantUser, wantRole  string
	}{
		{"refused by the authorizer", "listCases", "GET /cases", "/cases",
			encodeVerdict(casescribe.Caller{}, casescribe.Errorf(casescribe.EUNAUTHENTICATED, "Sign in first.")), 401, casescribe.EUNAUTHENTICATED, "", ""},
		{"a guest where guests never go", "createClient", "POST /clients", "/clients",
			encodeVerdict(casescribe.Caller{UserID: "guest-sub-1", Email: "zelda.quimby@example.com", OrgID: "01J0000000000000000000000A",
				Role: casescribe.RoleGuest, Name: "Quimby, Zelda"}, nil), 403, casescribe.EGUESTRESTRICTED, "guest-sub-1", "guest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h, ok := api.NewServer(nil, api.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil)))).Handler(tt.routeID)
			if !ok {
				t.Fatalf("no route %s", tt.routeID)
			}
			method, _, _ := strings.Cut(tt.routeKey, " ")
			resp, err := proxy(h)(t.Context(), events.APIGatewayV2HTTPRequest{
				Version:        "2.0",
				RouteKey:       tt.routeKey,
				RawPath:        tt.path,
				RawQueryString: "token=invitation-secret-in-query",
				Headers: map[string]string{"authorization": "Bearer header-secret-token", "x-request-id": "client-chosen-id",
					"content-type": "application/json"},
				Body: `{"name":"body-secret-name"}`,
				RequestContext: events.APIGatewayV2HTTPRequestContext{
					RouteKey:   tt.routeKey,
					RequestID:  gatewayID,
					HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: tt.path},
					Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: tt.verdict},
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if got := resp.Headers[api.RequestIDHeader]; got != gatewayID {
				t.Errorf("X-Request-Id = %q, want API Gateway's %q (headers %v)", got, gatewayID, resp.Headers)
			}
			for _, secret := range []string{"invitation-secret-in-query", "header-secret-token", "body-secret-name", "client-chosen-id",
				"zelda", "Quimby", "@example.com", "token="} {
				if strings.Contains(logs.String(), secret) {
					t.Errorf("the logs hold %q: %s", secret, logs.String())
				}
			}
			var line map[string]any
			if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
				t.Fatalf("want one JSON line, got %q: %v", logs.String(), err)
			}
			want := map[string]any{"msg": "request", "requestId": gatewayID, "route": tt.routeKey, "status": float64(tt.wantStatus),
				"errorCode": tt.wantCode, "userId": tt.wantUser, "role": tt.wantRole}
			for k, v := range want {
				if line[k] != v {
					t.Errorf("%s = %v, want %v; line %s", k, line[k], v, logs.String())
				}
			}
		})
	}
}
