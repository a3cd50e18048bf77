package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// reload reads back from the store what an access change may have changed: every membership
// the world knows of, the shares of both organizations and every guest's grants.
func (w *matrixWorld) reload(t *testing.T, e *env) {
	t.Helper()
	ctx := t.Context()
	for key, m := range w.members {
		got, err := e.store.GetMembership(ctx, m.OrgID, m.UserID)
		switch {
		case casescribe.ErrorCode(err) == casescribe.ENOTFOUND:
			delete(w.members, key)
		case err != nil:
			t.Fatalf("reload membership: %v", err)
		default:
			w.members[key] = got
		}
	}
	clear(w.shares)
	for _, org := range []string{w.orgA, w.orgB} {
		shares, err := e.store.OrgShares(ctx, org)
		if err != nil {
			t.Fatalf("reload shares: %v", err)
		}
		for _, sh := range access.CurrentShares(shares, e.now()) {
			w.shares[sh.ID] = sh
		}
	}
	clear(w.grants)
	for key, m := range w.members {
		if m.Role == casescribe.RoleGuest {
			gs, err := e.store.GuestGrants(ctx, m.OrgID, m.UserID)
			if err != nil {
				t.Fatalf("reload grants: %v", err)
			}
			w.grants[key] = access.GrantsOf(access.CurrentGrants(gs, e.now())...)
		}
	}
}

// revocationRoutes are the routes a revoked caller must be refused on at once: every read of
// the route table, and asking in a chat (an answer is a read of the case).
func revocationRoutes() []api.Route {
	var out []api.Route
	for _, rt := range api.Routes() {
		if rt.Method == http.MethodGet || rt.ID == "postChatMessage" {
			out = append(out, rt)
		}
	}
	return out
}

// TestRevocation takes access away in each way the product has (removing a share, narrowing a
// client share to one case, removing the person from the organization, demoting a member to
// guest) and checks that the very next request on every read route (document downloads and
// chat answers included) gets what the rules now say: refused on everything that was taken
// away, while the rest still works. Before the change the same calls are made and must succeed
// where the rules said so, so that a refusal afterwards is a change, not a broken fixture.
func TestRevocation(t *testing.T) {
	e := setup(t)
	for _, name := range []string{"gClient", "gOther", "gInvited", "eve", "bMember", "bGuest", "nobody"} {
		e.person(t, name)
	}
	shareOf := func(w *matrixWorld, guest, orgID string) casescribe.Share {
		t.Helper()
		for _, sh := range w.shares {
			if sh.GuestID == e.users[guest].id && sh.OrgID == orgID {
				return sh
			}
		}
		t.Fatalf("%s holds no share", guest)
		return casescribe.Share{}
	}
	scenarios := []struct {
		name, who string
		change    func(t *testing.T, w *matrixWorld)
	}{
		{"share removed", "carol", func(t *testing.T, w *matrixWorld) {
			want(t, "remove the share", e.as(t, "alice", w.orgA, "DELETE", "/shares/"+shareOf(w, "carol", w.orgA).ID, ""), 204, "")
		}},
		{"client share narrowed to another case", "gClient", func(t *testing.T, w *matrixWorld) {
			sh := shareOf(w, "gClient", w.orgA)
			other := ""
			for _, k := range w.cases {
				if k.ClientID == sh.ClientID && k.ID != w.targets["case"][targetShared] {
					other = k.ID
				}
			}
			body := fmt.Sprintf(`{"scope":"case","caseId":%q,"version":%d}`, other, sh.Version)
			want(t, "preview the narrowing", e.as(t, "alice", w.orgA, "POST", "/shares/"+sh.ID+"/preview", body), 200, "")
			want(t, "narrow", e.as(t, "alice", w.orgA, "PATCH", "/shares/"+sh.ID, body), 200, "")
		}},
		{"guest removed from the organization", "dave", func(t *testing.T, w *matrixWorld) {
			want(t, "remove the guest", e.as(t, "alice", w.orgA, "DELETE", "/users/"+e.users["dave"].id, ""), 204, "")
			// The other organization is untouched: the same login still reads what it shares.
			want(t, "the other organization's case", e.as(t, "dave", w.orgB, "GET", "/cases/"+w.targets["case"][targetOtherOrg], ""), 200, "")
		}},
		{"share reached its end, not yet swept", "carol", func(t *testing.T, w *matrixWorld) {
			sh := shareOf(w, "carol", w.orgA)
			end := e.now().Add(time.Hour).Truncate(time.Second)
			body := fmt.Sprintf(`{"scope":%q,"caseId":%q,"viewId":%q,"chatIds":%s,"expiresAt":%q,"version":%d}`,
				sh.Scope, sh.CaseID, sh.ViewID, jsonList(sh.ChatIDs), end.Format(time.RFC3339), sh.Version)
			want(t, "set an end", e.as(t, "alice", w.orgA, "PATCH", "/shares/"+sh.ID, body), 200, "")
			e.freeze(t, end) // exactly the instant it ends
			if _, err := e.store.GetShare(t.Context(), w.orgA, sh.ID); err != nil {
				t.Fatalf("the ended share should still be stored (nothing swept it): %v", err)
			}
		}},
		{"member demoted to guest", "bob", func(t *testing.T, w *matrixWorld) {
			want(t, "demote", e.as(t, "alice", w.orgA, "PATCH", "/users/"+e.users["bob"].id, `{"role":"guest"}`), 200, "")
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			w := seedMatrix(t, e)
			u := e.users[sc.who]
			caller := func(rt api.Route) (casescribe.Caller, string) {
				c := casescribe.Caller{UserID: u.id, OrgID: w.orgA}
				m, ok := w.members[w.orgA+"/"+u.id]
				if !ok {
					return c, casescribe.ENOTMEMBER
				}
				c.Role = m.Role
				return c, ""
			}
			run := func(phase string) (granted map[string]bool) {
				granted = map[string]bool{}
				for _, rt := range revocationRoutes() {
					kind, targets := "", []string{targetNone}
					if m := pathParam.FindString(rt.Path); m != "" {
						kind = paramKinds[m[1:len(m)-1]]
						targets = targets[:0]
						for which := range w.targets[kind] {
							targets = append(targets, which)
						}
						slices.Sort(targets)
					}
					for _, which := range targets {
						if rt.Action.Needs() != access.NeedOrganization {
							continue // only organization routes change with access
						}
						c, refusal := caller(rt)
						wantCode := w.expect(c, refusal, rt, kind, which)
						id, path := w.path(rt, kind, which)
						what := fmt.Sprintf("%s: %s as %s on %s", phase, rt.Key(), sc.who, which)
						got := e.call(t, "Bearer "+u.token, w.orgA, rt.Method, path, w.matrixBody(e, rt, kind, id))
						if wantCode != "" {
							want(t, what, got, api.StatusOf(wantCode), wantCode)
						} else {
							granted[rt.ID+" "+which] = true
							if got.status < 200 || got.status > 299 {
								t.Errorf("%s: got %d %s, want success", what, got.status, got.raw)
							}
						}
						w.checkNoLeak(t, what, c, got)
					}
				}
				return granted
			}
			before := run("before")
			sc.change(t, w)
			w.reload(t, e)
			after := run("after")
			var lost int
			for k := range before {
				if !after[k] {
					lost++
				}
			}
			if lost == 0 {
				t.Errorf("%s took nothing away from %s: the scenario tests nothing", sc.name, sc.who)
			}
			t.Logf("%s: %d reads allowed before, %d after, %d taken away and refused on the next request", sc.name, len(before), len(after), lost)
		})
	}
}

// jsonList writes ids as a JSON array ([] for none).
func jsonList(ids []string) string {
	if ids == nil {
		ids = []string{}
	}
	raw, _ := json.Marshal(ids)
	return string(raw)
}
