package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/casescribe/sharing/pkg/audit"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// auditEntries walks GET /audit?<query> page by page (limit per page) and returns every entry.
func (e *env) auditEntries(t *testing.T, who, org, query string, limit int) []map[string]any {
	t.Helper()
	var out []map[string]any
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("GET /audit never ends")
		}
		q := fmt.Sprintf("?limit=%d", limit)
		if query != "" {
			q += "&" + query
		}
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		r := e.as(t, who, org, "GET", "/audit"+q, "")
		if r.status != 200 {
			t.Fatalf("GET /audit%s: %d %s", q, r.status, r.raw)
		}
		if len(r.items()) > limit {
			t.Errorf("page of %d entries, limit %d", len(r.items()), limit)
		}
		for _, it := range r.items() {
			out = append(out, it.(map[string]any))
		}
		next, _ := r.body["nextCursor"].(string)
		if next == "" {
			return out
		}
		cursor = next
	}
}

// field reads a nested field of a decoded entry: field(e, "actor", "id").
func field(v any, path ...string) any {
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

func (e *env) verifyAudit(t *testing.T, who, org string) response {
	t.Helper()
	r := e.as(t, who, org, "GET", "/audit/verify", "")
	if r.status != 200 {
		t.Fatalf("GET /audit/verify: %d %s", r.status, r.raw)
	}
	return r
}

// Every audited action writes exactly one entry, with its actor, target and states; a refused
// action writes none; the list filters and pages; only admins read it.
func TestAuditTrail(t *testing.T) {
	e := setup(t)
	org := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Audited LLP"}`).str("id")
	e.join(t, "bob", org, casescribe.RoleMember, casescribe.StatusActive)
	alice, bob := e.users["alice"].id, e.users["bob"].id
	start := time.Now().UTC()

	// Invitations: invite, resend, accept; invite and revoke another.
	erinUser := e.person(t, "erin")
	inv := e.invite(t, "alice", org, erinUser.email, casescribe.RoleGuest)
	want(t, "invite", inv, 201, "")
	want(t, "resend", e.as(t, "alice", org, "POST", "/invitations/"+inv.str("id")+"/resend", ""), 200, "")
	want(t, "accept", e.accept(t, "erin", e.lastToken(t, erinUser.email)), 200, "")
	erin := erinUser.id
	gone := e.invite(t, "alice", org, "gone@example.com", casescribe.RoleMember)
	want(t, "revoke", e.as(t, "alice", org, "DELETE", "/invitations/"+gone.str("id"), ""), 204, "")

	// Shares: create, a stale change (refused), a guest sharing (refused), a change.
	smith := e.as(t, "alice", org, "POST", "/clients", `{"name":"Smith, John"}`).str("id")
	knee := e.as(t, "alice", org, "POST", "/clients/"+smith+"/cases", `{"name":"Knee MRI"}`).str("id")
	back := e.as(t, "alice", org, "POST", "/clients/"+smith+"/cases", `{"name":"Back injury"}`).str("id")
	fact := e.as(t, "alice", org, "POST", "/cases/"+knee+"/facts", `{"text":"MRI shows a torn meniscus","tags":["imaging"]}`).str("id")
	sh := e.as(t, "bob", org, "POST", "/cases/"+knee+"/shares", `{"guestId":"`+erin+`","scope":"case"}`)
	want(t, "share", sh, 201, "")
	share := sh.str("shareId")
	want(t, "stale change", e.as(t, "bob", org, "PATCH", "/shares/"+share, `{"scope":"client","version":7}`), 409, casescribe.ECONFLICT)
	want(t, "guest shares", e.as(t, "erin", org, "POST", "/cases/"+back+"/shares", `{"guestId":"`+erin+`","scope":"case"}`), 403, casescribe.EGUESTRESTRICTED)
	want(t, "member reads the audit", e.as(t, "bob", org, "GET", "/audit", ""), 403, casescribe.EFORBIDDEN)
	want(t, "guest verifies the audit", e.as(t, "erin", org, "GET", "/audit/verify", ""), 403, casescribe.EGUESTRESTRICTED)
	want(t, "move", e.as(t, "alice", org, "PATCH", "/shares/"+share, `{"scope":"case","caseId":"`+back+`","version":1}`), 200, "")
	want(t, "back", e.as(t, "alice", org, "PATCH", "/shares/"+share, `{"scope":"case","caseId":"`+knee+`","version":2}`), 200, "")

	// The guest exports and asks; staff's exports are not audited, their AI answers are.
	if r := e.as(t, "erin", org, "GET", "/cases/"+knee+"/facts/export", ""); r.status != 200 {
		t.Fatalf("guest export: %d %s", r.status, r.raw)
	}
	if r := e.as(t, "alice", org, "GET", "/cases/"+knee+"/facts/export", ""); r.status != 200 {
		t.Fatalf("staff export: %d %s", r.status, r.raw)
	}
	chat := e.as(t, "erin", org, "POST", "/cases/"+knee+"/chats", `{"title":"Questions"}`).str("id")
	want(t, "ask", e.as(t, "erin", org, "POST", "/chats/"+chat+"/messages", `{"text":"What did the MRI show?"}`), 201, "")

	// Removal, roles.
	want(t, "unshare", e.as(t, "bob", org, "DELETE", "/shares/"+share, ""), 204, "")
	want(t, "same role", e.as(t, "alice", org, "PATCH", "/users/"+bob, `{"role":"member"}`), 200, "")
	want(t, "promote", e.as(t, "alice", org, "PATCH", "/users/"+bob, `{"role":"admin"}`), 200, "")
	want(t, "remove", e.as(t, "alice", org, "DELETE", "/users/"+erin, ""), 204, "")
	end := time.Now().UTC()

	type expect struct {
		action, actor, role, kind, target string
		before, after                     map[string]any // fields the state must hold; nil: the state is null
	}
	expected := []expect{
		{audit.InvitationCreate, alice, "admin", "invitation", inv.str("id"), nil, map[string]any{"email": erinUser.email, "role": "guest"}},
		{audit.InvitationResend, alice, "admin", "invitation", inv.str("id"), map[string]any{"role": "guest"}, map[string]any{"role": "guest"}},
		{audit.InvitationAccept, erin, "guest", "invitation", inv.str("id"), map[string]any{"email": erinUser.email}, map[string]any{"role": "guest", "status": "active"}},
		{audit.InvitationCreate, alice, "admin", "invitation", gone.str("id"), nil, map[string]any{"email": "gone@example.com"}},
		{audit.InvitationRevoke, alice, "admin", "invitation", gone.str("id"), map[string]any{"role": "member"}, nil},
		{audit.ShareCreate, bob, "member", "share", share, nil, map[string]any{"scope": "case", "caseId": knee, "guestId": erin, "version": 1.0}},
		{audit.ShareChange, alice, "admin", "share", share, map[string]any{"share": map[string]any{"caseId": knee, "version": 1.0}}, map[string]any{"caseId": back, "version": 2.0}},
		{audit.ShareChange, alice, "admin", "share", share, map[string]any{"share": map[string]any{"caseId": back}}, map[string]any{"caseId": knee, "version": 3.0}},
		{audit.FactsExport, erin, "guest", "case", knee, nil, map[string]any{"shareId": share, "facts": 1.0}},
		{audit.AIAnswer, erin, "guest", "chat", chat, nil, map[string]any{"chatId": chat, "questionLength": 22.0, "citedFactIds": []any{fact}}},
		{audit.ShareRemove, bob, "member", "share", share, map[string]any{"caseId": knee, "version": 3.0}, nil},
		{audit.MemberRole, alice, "admin", "member", bob, map[string]any{"role": "member"}, map[string]any{"role": "admin"}},
		{audit.MemberRemove, alice, "admin", "member", erin, map[string]any{"role": "guest", "status": "active"}, nil},
	}

	all := e.auditEntries(t, "alice", org, "", 2)
	if len(all) != len(expected) {
		for _, en := range all {
			t.Logf("entry %v %v by %v", en["seq"], en["action"], field(en, "actor", "id"))
		}
		t.Fatalf("%d entries, want %d", len(all), len(expected))
	}
	slices.Reverse(all) // oldest first
	holds := func(state any, want map[string]any) bool {
		m, ok := state.(map[string]any)
		if want == nil {
			return state == nil
		}
		return ok && holdsMap(m, want)
	}
	for i, x := range expected {
		en := all[i]
		if en["seq"] != float64(i+1) || en["action"] != x.action || field(en, "actor", "id") != x.actor ||
			field(en, "actor", "role") != x.role || field(en, "target", "kind") != x.kind || field(en, "target", "id") != x.target {
			t.Errorf("entry %d = seq %v %v by %v (%v) on %v %v; want %s by %s (%s) on %s %s", i+1, en["seq"], en["action"],
				field(en, "actor", "id"), field(en, "actor", "role"), field(en, "target", "kind"), field(en, "target", "id"),
				x.action, x.actor, x.role, x.kind, x.target)
		}
		if !holds(en["before"], x.before) || !holds(en["after"], x.after) {
			t.Errorf("entry %d (%s): before %v after %v; want them to hold %v and %v", i+1, x.action, en["before"], en["after"], x.before, x.after)
		}
		raw, _ := json.Marshal(en)
		for _, secret := range []string{"tokenHash", "What did the MRI show", "torn meniscus"} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("entry %d (%s) holds %q", i+1, x.action, secret)
			}
		}
	}
	if v := e.verifyAudit(t, "alice", org); v.body["ok"] != true || v.body["firstBreak"] != nil || v.body["entries"] != float64(len(expected)) {
		t.Errorf("verify: %s", v.raw)
	}

	// Filters.
	seqs := func(es []map[string]any) []float64 {
		var out []float64
		for _, en := range es {
			out = append(out, en["seq"].(float64))
		}
		return out
	}
	wantSeqs := func(keep func(i int, x expect) bool) []float64 {
		var out []float64
		for i := len(expected) - 1; i >= 0; i-- {
			if keep(i, expected[i]) {
				out = append(out, float64(i+1))
			}
		}
		return out
	}
	atOf := func(i int) string { return all[i]["at"].(string) }
	filters := []struct {
		name, query string
		keep        func(i int, x expect) bool
	}{
		{"case back", "caseId=" + back, func(i int, x expect) bool { return i == 6 || i == 7 }},
		{"case knee", "caseId=" + knee, func(i int, x expect) bool {
			return x.kind == "share" || x.action == audit.FactsExport || x.action == audit.AIAnswer
		}},
		{"guest", "userId=" + erin, func(i int, x expect) bool {
			return x.target == erin || x.actor == erin || x.kind == "share"
		}},
		{"bob", "userId=" + bob, func(i int, x expect) bool { return x.actor == bob || x.target == bob }},
		{"from the change on", "from=" + url.QueryEscape(atOf(6)), func(i int, x expect) bool { return i >= 6 }},
		{"up to the export", "to=" + url.QueryEscape(atOf(8)), func(i int, x expect) bool { return i <= 8 }},
		{"window", "from=" + url.QueryEscape(start.Format(time.RFC3339Nano)) + "&to=" + url.QueryEscape(end.Format(time.RFC3339Nano)),
			func(int, expect) bool { return true }},
		{"bob in a window", "userId=" + bob + "&from=" + url.QueryEscape(atOf(6)) + "&to=" + url.QueryEscape(atOf(11)),
			func(i int, x expect) bool { return (x.actor == bob || x.target == bob) && i >= 6 && i <= 11 }},
	}
	for _, f := range filters {
		for _, limit := range []int{1, 3, 100} {
			if got, want := seqs(e.auditEntries(t, "alice", org, f.query, limit)), wantSeqs(f.keep); !slices.Equal(got, want) {
				t.Errorf("%s, limit %d: seqs %v, want %v", f.name, limit, got, want)
			}
		}
	}
	for _, bad := range []string{"caseId=nope", "userId=a%20b", "from=yesterday", "to=2026-13-01T00:00:00Z",
		"from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z", "limit=0", "cursor=forged"} {
		want(t, "GET /audit?"+bad, e.as(t, "alice", org, "GET", "/audit?"+bad, ""), 400, casescribe.EINVALID)
	}
	// Another organization sees only its own chain.
	other := e.as(t, "carol", "", "POST", "/orgs", `{"name":"Other LLP"}`).str("id")
	if got := e.auditEntries(t, "carol", other, "", 10); len(got) != 0 {
		t.Errorf("another organization lists %d entries", len(got))
	}
}

func holdsMap(v any, want map[string]any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for k, w := range want {
		if sub, nested := w.(map[string]any); nested {
			if !holdsMap(m[k], sub) {
				return false
			}
		} else if fmt.Sprint(m[k]) != fmt.Sprint(w) {
			return false
		}
	}
	return true
}

// GET /audit/verify finds an entry altered, or removed, directly in the table, at exactly
// that entry.
func TestAuditVerifyCatchesTampering(t *testing.T) {
	e := setup(t)
	db := e.stack.DynamoDB()
	ctx := context.Background()
	const n = 10
	sk := func(seq int) string { return fmt.Sprintf("AUDIT#%012d", seq) }
	keyOf := func(org string, seq int) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "ORG#" + org},
			"SK": &types.AttributeValueMemberS{Value: sk(seq)},
		}
	}
	set := func(attr, value string) func(t *testing.T, org string) {
		return func(t *testing.T, org string) {
			t.Helper()
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &e.table, Key: keyOf(org, 4),
				UpdateExpression:          aws.String("SET #a = :v"),
				ExpressionAttributeNames:  map[string]string{"#a": attr},
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: value}}})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	remove := func(seq int) func(t *testing.T, org string) {
		return func(t *testing.T, org string) {
			t.Helper()
			if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &e.table, Key: keyOf(org, seq)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name   string
		tamper func(t *testing.T, org string)
		seq    float64
		reason string
	}{
		{"untouched", func(*testing.T, string) {}, 0, ""},
		{"after altered", set("after", `{"role":"admin"}`), 4, audit.BreakHash},
		{"actor altered", set("actorName", "Someone Else"), 4, audit.BreakHash},
		{"hash recomputed elsewhere", set("hash", strings.Repeat("ab", 32)), 4, audit.BreakHash},
		{"after no longer JSON", set("after", `{"role":`), 4, audit.BreakHash},
		{"middle entry deleted", remove(6), 6, audit.BreakGap},
		{"first entry deleted", remove(1), 1, audit.BreakGap},
		{"last entry deleted", remove(n), n, audit.BreakHead},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := e.as(t, "alice", "", "POST", "/orgs", `{"name":"Tamper LLP"}`).str("id")
			for i := range n {
				rec := audit.Record{OrgID: org, At: time.Now(), Action: audit.MemberRole,
					Actor:  audit.Actor{UserID: e.users["alice"].id, Name: "alice", Role: "admin"},
					Target: audit.Target{Kind: audit.TargetMember, ID: "user-" + fmt.Sprint(i)}, UserIDs: []string{"user-" + fmt.Sprint(i)},
					Before: json.RawMessage(`{"role":"member"}`), After: json.RawMessage(`{"role":"guest"}`)}
				if err := e.store.AppendAudit(ctx, rec); err != nil {
					t.Fatal(err)
				}
			}
			if v := e.verifyAudit(t, "alice", org); v.body["ok"] != true {
				t.Fatalf("before tampering: %s", v.raw)
			}
			tt.tamper(t, org)
			v := e.verifyAudit(t, "alice", org)
			if tt.reason == "" {
				if v.body["ok"] != true || v.body["firstBreak"] != nil {
					t.Errorf("verify = %s, want ok", v.raw)
				}
				return
			}
			if v.body["ok"] != false || field(v.body, "firstBreak", "seq") != tt.seq || field(v.body, "firstBreak", "reason") != tt.reason {
				t.Errorf("verify = %s, want the first break at %v: %s", v.raw, tt.seq, tt.reason)
			}
			// The list still answers, whatever was done to the table.
			e.auditEntries(t, "alice", org, "", 100)
		})
	}
}
