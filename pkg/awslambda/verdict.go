package awslambda

import (
	"github.com/casescribe/sharing/pkg/casescribe"
)

// The authorizer hands its verdict to the route function through the simple response's
// context, which API Gateway passes on as requestContext.authorizer.lambda. These names are
// the contract between the two.
const (
	ctxUserID       = "userId"
	ctxEmail        = "email"
	ctxVerified     = "emailVerified"
	ctxOrgID        = "orgId"
	ctxRole         = "role"
	ctxName         = "name"
	ctxErrorCode    = "errorCode"
	ctxErrorMessage = "errorMessage"
)

// encodeVerdict turns the authorizer's answer into the context map. A refusal travels as an
// error code and message so that the route answers in the API's own error shape (API Gateway
// cannot shape its own refusals); the route refuses any request whose verdict is not a
// complete caller.
func encodeVerdict(c casescribe.Caller, err error) map[string]any {
	if err != nil {
		return map[string]any{ctxErrorCode: casescribe.ErrorCode(err), ctxErrorMessage: casescribe.ErrorMessage(err)}
	}
	out := map[string]any{ctxUserID: c.UserID, ctxEmail: c.Email, ctxVerified: c.EmailVerified}
	if c.OrgID != "" {
		out[ctxOrgID] = c.OrgID
		out[ctxRole] = string(c.Role)
		out[ctxName] = c.Name
	}
	return out
}

// decodeVerdict reads the authorizer's context. Anything incomplete or unexpected is a refusal.
func decodeVerdict(m map[string]any) (casescribe.Caller, error) {
	str := func(k string) string {
		s, _ := m[k].(string)
		return s
	}
	if code := str(ctxErrorCode); code != "" {
		return casescribe.Caller{}, casescribe.Errorf(code, "%s", str(ctxErrorMessage))
	}
	verified, _ := m[ctxVerified].(bool)
	c := casescribe.Caller{UserID: str(ctxUserID), Email: str(ctxEmail), EmailVerified: verified,
		OrgID: str(ctxOrgID), Role: casescribe.Role(str(ctxRole)), Name: str(ctxName)}
	if c.UserID == "" || (c.OrgID != "" && !c.Role.Valid()) || (c.OrgID == "" && c.Role != "") {
		return casescribe.Caller{}, casescribe.Errorf(casescribe.EUNAUTHENTICATED, "Sign in first.")
	}
	return c, nil
}
