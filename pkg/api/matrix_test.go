package api_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/oklog/ulid/v2"
)

// matrixBodies holds a valid body for every route that takes one. A route that takes a body
// and has no entry here fails the matrix, so that a new route is exercised from the start.
var matrixBodies = map[string]string{
	"createOrganization": `{"name":"Matrix firm"}`,
	"createClient":       `{"name":"Matrix client"}`,
	"updateClient":       `{"name":"Matrix client"}`,
	"createCase":         `{"name":"Matrix case"}`,
	"updateCase":         `{"name":"Matrix case"}`,
	"updateUser":         `{"role":"member"}`,
	"createInvitation":   `{"email":"matrix-invitee@example.com","name":"Matrix Invitee","role":"guest"}`,
	"resendInvitation":   ``,
	"acceptInvitation":   `{"token":"not-a-real-token"}`,
	"createShare":        `{"guestId":"matrix-guest","scope":"case"}`,
	"previewShareChange": `{"scope":"client"}`,
	"updateShare":        `{"scope":"client","version":1}`,
	"createFact":         `{"text":"Matrix fact"}`,
	"updateFact":         `{"text":"Matrix fact"}`,
	"addFactTag":         `{"tag":"matrix"}`,
	"bulkEditFacts":      `{"factIds":["01ARZ3NDEKTSV4RRFFQ69G5FAV"],"keyFact":true}`,
	"createComment":      `{"text":"Matrix comment"}`,
	"createView":         `{"name":"Matrix view"}`,
	"updateView":         `{"name":"Matrix view"}`,
	"createDocument":     `{"name":"matrix.pdf","contentType":"application/pdf","size":10}`,
	"putSummary":         `{"text":"Matrix summary"}`,
	"createChat":         `{"title":"Matrix chat"}`,
	"postChatMessage":    `{"text":"What happened?"}`,
	"retagFacts":         ``,
	"regroupFacts":       ``,
}

// matrixUnknownTarget names routes whose target comes from the body or the query rather than
// the path; with the bogus ones the matrix sends, they answer 404 like an unknown path id.
var matrixUnknownTarget = map[string]bool{
	"acceptInvitation": true,
	"lookupInvitation": true,
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestAccessMatrix calls every route of the route table as every kind of caller, on an id
// that does not exist, and expects the status the rules package gives: the authorizer's
// refusal, else access.Permit's verdict, else 404 for the unknown target, else success.
func TestAccessMatrix(t *testing.T) {
	e := setup(t)
	org := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Firm"}`).str("id")
	e.join(t, "bob", org, casescribe.RoleMember, casescribe.StatusActive)
	e.join(t, "carol", org, casescribe.RoleGuest, casescribe.StatusActive)
	e.join(t, "dave", org, casescribe.RoleMember, casescribe.StatusInvited)

	type callerKind struct {
		name, user, orgID string
		role              casescribe.Role
		refusal           string // the authorizer's refusal on organization routes
	}
	callers := []callerKind{
		{name: "admin", user: "alice", orgID: org, role: casescribe.RoleAdmin},
		{name: "member", user: "bob", orgID: org, role: casescribe.RoleMember},
		{name: "guest", user: "carol", orgID: org, role: casescribe.RoleGuest},
		{name: "invited", user: "dave", orgID: org, refusal: casescribe.EINVITATIONPENDING},
		{name: "admin of another organization", user: "alice", orgID: ulid.Make().String(), refusal: casescribe.ENOTMEMBER},
		{name: "no X-Org-Id", user: "bob", refusal: casescribe.EORGREQUIRED},
		{name: "no token", refusal: casescribe.EUNAUTHENTICATED},
	}
	unknown := ulid.Make().String()
	for _, rt := range api.Routes() {
		path := pathParam.ReplaceAllString(rt.Path, unknown)
		body, hasBody := matrixBodies[rt.ID]
		if (rt.Method == http.MethodPost || rt.Method == http.MethodPatch || rt.Method == http.MethodPut) && !hasBody {
			t.Errorf("%s: no matrix body; add one to matrixBodies", rt.ID)
			continue
		}
		for _, c := range callers {
			t.Run(rt.ID+"/"+c.name, func(t *testing.T) {
				authorization := ""
				if c.user != "" {
					authorization = "Bearer " + e.users[c.user].token
				}
				got := e.call(t, authorization, c.orgID, rt.Method, path, body)

				// What the rules say, in the order the server applies them.
				wantCode := ""
				switch {
				case rt.Action.Needs() == access.NeedNothing:
					if matrixUnknownTarget[rt.ID] {
						wantCode = casescribe.ENOTFOUND
					}
				case c.user == "":
					wantCode = casescribe.EUNAUTHENTICATED
				case rt.Action.Needs() == access.NeedOrganization && c.refusal != "":
					wantCode = c.refusal
				default:
					caller := casescribe.Caller{UserID: e.users[c.user].id}
					if rt.Action.Needs() == access.NeedOrganization {
						caller.OrgID, caller.Role = c.orgID, c.role
					}
					if err := access.Permit(caller, rt.Action); err != nil {
						wantCode = casescribe.ErrorCode(err)
					} else if path != rt.Path || matrixUnknownTarget[rt.ID] {
						wantCode = casescribe.ENOTFOUND
					}
				}
				if wantCode != "" {
					want(t, rt.Key(), got, api.StatusOf(wantCode), wantCode)
					return
				}
				if got.status < 200 || got.status > 299 {
					t.Errorf("%s as %s: got %d %s, want success", rt.Key(), c.name, got.status, got.raw)
				}
			})
		}
	}
}
