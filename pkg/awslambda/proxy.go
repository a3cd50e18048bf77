package awslambda

import (
	"context"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/casescribe/sharing/pkg/api"
)

// This file is the only one that imports aws-lambda-go-api-proxy: the library is barely
// maintained, so it stays behind these few lines and can be replaced here alone.

// proxy adapts a route's http.Handler to API Gateway HTTP API (payload 2.0) events, putting
// API Gateway's request id and the authorizer's verdict into the request context first.
func proxy(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	withVerdict := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var lambdaCtx map[string]any
		if rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok {
			r = r.WithContext(api.WithRequestID(r.Context(), rc.RequestID))
			if rc.Authorizer != nil {
				lambdaCtx = rc.Authorizer.Lambda
			}
		}
		if lambdaCtx != nil {
			caller, err := decodeVerdict(lambdaCtx)
			if err != nil {
				r = r.WithContext(api.WithAuthError(r.Context(), err))
			} else {
				r = r.WithContext(api.WithCaller(r.Context(), caller))
			}
		}
		h.ServeHTTP(w, r)
	})
	return httpadapter.NewV2(withVerdict).ProxyWithContext
}
