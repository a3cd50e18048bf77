package api

import (
	"context"
	"net/http"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// Authenticator is the authorizer as the local server runs it: the same code that the
// authorizer Lambda runs, called in-process. Returns EUNAUTHENTICATED for a missing or bad
// token, EORGREQUIRED, ENOTMEMBER or EINVITATIONPENDING when the organization does not admit
// the caller.
type Authenticator interface {
	Authenticate(ctx context.Context, authorization, orgID string, need access.Need) (casescribe.Caller, error)
}

// OrgHeader is the header that chooses the active organization.
const OrgHeader = "X-Org-Id"

// Local returns every route behind the authorizer middleware, for the local server and for
// in-process tests. extra handlers (such as the OpenAPI document) are mounted beside them.
func (s *Server) Local(a Authenticator, extra map[string]http.Handler) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.Key(), authenticate(a, rt, s.serve(rt)))
	}
	for pattern, h := range extra {
		mux.Handle(pattern, h)
	}
	mux.Handle("/", notFound())
	return s.logged(mux)
}

func authenticate(a Authenticator, rt Route, next http.Handler) http.Handler {
	need := rt.Action.Needs()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if need != access.NeedNothing {
			c, err := a.Authenticate(r.Context(), r.Header.Get("Authorization"), r.Header.Get(OrgHeader), need)
			if err != nil {
				r = r.WithContext(WithAuthError(r.Context(), err))
			} else {
				r = r.WithContext(WithCaller(r.Context(), c))
			}
		}
		next.ServeHTTP(w, r)
	})
}
