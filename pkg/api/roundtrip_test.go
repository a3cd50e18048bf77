package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/oklog/ulid/v2"

	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/auth"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/invitation"
	"github.com/casescribe/sharing/pkg/roundtrip"
	"github.com/casescribe/sharing/pkg/s3files"
	"github.com/casescribe/sharing/pkg/sesmail"
	"github.com/casescribe/sharing/pkg/store"
)

// budgetReportEnv names a file to which TestRoundTripBudgets writes its measurements as JSON;
// `make bench` sets it to put them in its report.
const budgetReportEnv = "CASESCRIBE_ROUNDTRIP_REPORT"

// budgetFixture is how TestRoundTripBudgets calls one route as an admin of a freshly seeded
// organization (see budgetSeed).
type budgetFixture struct {
	body   string // request body; "" for none; {token} and {acceptToken} are filled from the seed
	query  string // query string, filled like body
	status int    // the admin's answer
	// emptyClient makes {clientId} name a client without cases (a client with cases cannot
	// be deleted).
	emptyClient bool
	// emptyCase makes {caseId} name a case not shared with the seeded guest yet.
	emptyCase bool
	// guestUser makes {userId} name the seeded guest (who holds a share) rather than the
	// member.
	guestUser bool
	// read marks a POST that writes nothing (a preview): it is held to the read budget.
	read bool
	// purge marks a delete whose one transaction ends all access at once, and whose content
	// (nothing can reach it any more) is then removed in batches: BatchWriteItem calls, as
	// many as the content needs, besides the one transaction.
	purge bool
}

// budgetFixtures holds a fixture for every route of the route table. A route without one
// fails TestRoundTripBudgets, so that no route escapes the round-trip budgets.
var budgetFixtures = map[string]budgetFixture{
	"getMe":               {status: http.StatusOK},
	"createOrganization":  {body: `{"name":"Budget firm"}`, status: http.StatusCreated},
	"listClients":         {status: http.StatusOK},
	"createClient":        {body: `{"name":"Budget client"}`, status: http.StatusCreated},
	"getClient":           {status: http.StatusOK},
	"updateClient":        {body: `{"name":"Budget client, renamed"}`, status: http.StatusOK},
	"deleteClient":        {status: http.StatusNoContent, emptyClient: true},
	"listClientCases":     {status: http.StatusOK},
	"createCase":          {body: `{"name":"Budget case"}`, status: http.StatusCreated},
	"listCases":           {status: http.StatusOK},
	"getCase":             {status: http.StatusOK},
	"updateCase":          {body: `{"name":"Budget case, renamed"}`, status: http.StatusOK},
	"deleteCase":          {status: http.StatusNoContent, purge: true},
	"listUsers":           {status: http.StatusOK},
	"getUser":             {status: http.StatusOK},
	"updateUser":          {body: `{"role":"admin"}`, status: http.StatusOK},
	"deleteUser":          {status: http.StatusNoContent},
	"createInvitation":    {body: `{"email":"budget-invitee@example.com","name":"Budget Invitee","role":"guest"}`, status: http.StatusCreated},
	"listInvitations":     {status: http.StatusOK},
	"resendInvitation":    {status: http.StatusOK},
	"deleteInvitation":    {status: http.StatusNoContent},
	"lookupInvitation":    {query: "?token={token}", status: http.StatusOK},
	"acceptInvitation":    {body: `{"token":"{acceptToken}"}`, status: http.StatusOK},
	"listCaseShares":      {status: http.StatusOK},
	"createShare":         {body: `{"guestId":"{guestId}","scope":"case"}`, status: http.StatusCreated, emptyCase: true},
	"getShare":            {status: http.StatusOK},
	"deleteShare":         {status: http.StatusNoContent},
	"previewShareChange":  {body: `{"scope":"client"}`, status: http.StatusOK, read: true},
	"updateShare":         {body: `{"scope":"client","version":1}`, status: http.StatusOK},
	"getCaseAccessReport": {status: http.StatusOK},
	"getUserAccessReport": {status: http.StatusOK, guestUser: true},
	"listFacts":           {query: "?tag=imaging&sort=created", status: http.StatusOK},
	"createFact":          {body: `{"text":"Budget fact","documentId":"{documentId}"}`, status: http.StatusCreated},
	"exportFacts":         {status: http.StatusOK},
	"bulkEditFacts":       {body: `{"factIds":["{factId}"],"addTags":["reviewed"],"keyFact":true}`, status: http.StatusOK},
	"getFact":             {status: http.StatusOK},
	"updateFact":          {body: `{"text":"Budget fact, edited","date":"2024-05-01"}`, status: http.StatusOK},
	"deleteFact":          {status: http.StatusNoContent},
	"addFactTag":          {body: `{"tag":"budget"}`, status: http.StatusOK},
	"removeFactTag":       {status: http.StatusOK},
	"listComments":        {status: http.StatusOK},
	"createComment":       {body: `{"text":"Budget comment"}`, status: http.StatusCreated},
	"listViews":           {status: http.StatusOK},
	"createView":          {body: `{"name":"Budget view","filter":{"keyOnly":true}}`, status: http.StatusCreated},
	"updateView":          {body: `{"name":"Budget view, renamed"}`, status: http.StatusOK},
	"deleteView":          {status: http.StatusNoContent},
	"listDocuments":       {status: http.StatusOK},
	"createDocument":      {body: `{"name":"Budget.pdf","contentType":"application/pdf","size":1000}`, status: http.StatusCreated},
	"getDocument":         {status: http.StatusOK},
	"deleteDocument":      {status: http.StatusNoContent},
	"getSummary":          {status: http.StatusOK},
	"putSummary":          {body: `{"text":"Budget summary"}`, status: http.StatusOK},
	"listChats":           {status: http.StatusOK},
	"createChat":          {body: `{"title":"Budget chat"}`, status: http.StatusCreated},
	"getChat":             {status: http.StatusOK},
	"postChatMessage":     {body: `{"text":"Create a fact: the knee was operated on 2024-06-01"}`, status: http.StatusCreated},
	"retagFacts":          {status: http.StatusOK},
	"regroupFacts":        {status: http.StatusOK},
	"listAudit":           {status: http.StatusOK},
	"verifyAudit":         {status: http.StatusOK},
}

// budgetResult is one row of the measurements: a route, or the authorizer.
type budgetResult struct {
	ID         string   `json:"id"`
	Route      string   `json:"route"`
	Kind       string   `json:"kind"`
	Status     int      `json:"status"`
	Calls      int      `json:"calls"`
	Writes     int      `json:"writes"`
	Waves      int      `json:"waves"`
	Operations []string `json:"operations"`
	Budget     string   `json:"budget"`
	Met        bool     `json:"met"`
	// Problem says why the route could not be measured (no fixture, unexpected answer).
	Problem string `json:"problem,omitempty"`
}

// budgetWorld is what budgetSeed creates for one route: an organization whose founder is the
// caller, a client with two cases and a client without any.
type budgetWorld struct {
	orgID, clientID, emptyClientID, caseID string
	// memberID is a member besides the admin; invitationID a pending invitation of the
	// organization, whose link carries token; acceptToken is the link of an invitation of
	// another organization sent to the admin's own address.
	memberID, invitationID, token, acceptToken string
	// guestID holds shareID, a case share of caseID; otherCaseID is a case shared with nobody.
	guestID, shareID, otherCaseID string
	// caseID holds a document, a fact tagged "imaging" citing it (with a comment), a saved
	// view and a summary.
	documentID, factID, viewID string
	// chatID is a chat of caseID with one exchange.
	chatID string
}

// fill puts the seed's tokens into a fixture's body or query.
func (w budgetWorld) fill(s string) string {
	return strings.NewReplacer("{token}", w.token, "{acceptToken}", w.acceptToken, "{guestId}", w.guestID,
		"{factId}", w.factID, "{documentId}", w.documentID).Replace(s)
}

var budgetPathParam = regexp.MustCompile(`\{([^}]+)\}`)

// TestRoundTripBudgets calls every route of the route table in-process, as an admin, against
// DynamoDB Local, records its DynamoDB calls and holds it to DESIGN §5: the authorizer makes
// exactly one GetItem; a read (one item or a list) makes at most two sequential waves; a change
// makes exactly one write (a transaction counts as one). The authorizer's calls go through
// their own client, so a route's figures are its own.
func TestRoundTripBudgets(t *testing.T) {
	stack := localstack.ForTest(t)
	table := localstack.NewTestTable(t)
	poolID, clientID := localstack.NewTestUserPool(t)
	ctx := t.Context()

	const email, pw = "budget@example.com", "Budget-password-2026"
	login := newLogin(t, stack, poolID, clientID, email, pw)
	sub, token := login.id, login.token
	verifier, err := auth.NewVerifier(ctx, auth.VerifierConfig{Issuer: stack.CognitoIssuer(poolID), ClientID: clientID})
	if err != nil {
		t.Fatal(err)
	}

	var routeCalls, authCalls roundtrip.Recorder
	seedStore := store.New(stack.DynamoDB(), table)
	routeStore := store.New(dynamodb.New(stack.DynamoDB().Options(), routeCalls.Options), table)
	authorizer := auth.NewAuthorizer(verifier, store.New(dynamodb.New(stack.DynamoDB().Options(), authCalls.Options), table))
	mailer := sesmail.New(stack.SES(), "no-reply@casescribe.test")
	files := s3files.New(aws.Config{Region: localstack.Region, Credentials: credentials.NewStaticCredentialsProvider(localstack.S3AccessKeyID, localstack.S3SecretAccessKey, "")}, stack.S3Endpoint, localstack.NewTestBucket(t), 0)
	handler := api.NewServer(routeStore, api.WithMailer(mailer, "https://app.casescribe.test"), api.WithFiles(files), api.WithLogger(api.NewLogger(io.Discard))).Local(authorizer, nil)
	admin := casescribe.User{ID: sub, Email: email, Name: "Budget Admin"}

	var results []budgetResult
	t.Run("authorizer", func(t *testing.T) {
		w := budgetSeed(t, seedStore, admin)
		authCalls.Reset()
		c, err := authorizer.Authenticate(ctx, "Bearer "+token, w.orgID, access.NeedOrganization)
		if err != nil || c.Role != casescribe.RoleAdmin {
			t.Fatalf("Authenticate() = %+v, %v; want the admin", c, err)
		}
		got := roundtrip.Summarize(authCalls.Take())
		res := budgetResult{ID: "authorizer", Route: "authorizer", Kind: "authorizer", Calls: got.Calls,
			Writes: got.Writes, Waves: got.Waves, Operations: got.Operations, Budget: "exactly one GetItem",
			Met: slices.Equal(got.Operations, []string{"GetItem"})}
		results = append(results, res)
		if !res.Met {
			t.Errorf("authorizer: DynamoDB calls %v, want exactly one GetItem", got.Operations)
		}
	})

	for _, rt := range api.Routes() {
		t.Run(rt.ID, func(t *testing.T) {
			res := budgetResult{ID: rt.ID, Route: rt.Key(), Kind: "change", Budget: "exactly one write"}
			isRead := rt.Method == http.MethodGet || budgetFixtures[rt.ID].read
			if isRead {
				res.Kind, res.Budget = "read", "at most 2 waves"
			}
			defer func() { results = append(results, res) }()
			fx, ok := budgetFixtures[rt.ID]
			if !ok {
				res.Problem = "no fixture"
				t.Fatalf("%s: no round-trip fixture; add one to budgetFixtures (pkg/api/roundtrip_test.go)", rt.ID)
			}
			w := budgetSeed(t, seedStore, admin)
			path, err := budgetPath(rt.Path, w, fx)
			if err != nil {
				res.Problem = err.Error()
				t.Fatalf("%s: %v", rt.ID, err)
			}

			path += w.fill(fx.query)
			body := w.fill(fx.body)
			req := httptest.NewRequest(rt.Method, path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set(api.OrgHeader, w.orgID)
			if fx.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			authCalls.Reset()
			routeCalls.Reset()
			answer := httptest.NewRecorder()
			handler.ServeHTTP(answer, req)
			got := roundtrip.Summarize(routeCalls.Take())
			authOps := roundtrip.Summarize(authCalls.Take()).Operations
			if isRead && got.Waves > 2 && answer.Code == fx.status {
				got = bestOfRepeats(handler, req, body, &routeCalls, got)
			}
			res.Status, res.Calls, res.Writes, res.Waves, res.Operations = answer.Code, got.Calls, got.Writes, got.Waves, got.Operations

			if answer.Code != fx.status {
				res.Problem = "unexpected answer"
				t.Fatalf("%s %s: status %d (%s), want %d: fix the fixture or the seed", rt.Method, path, answer.Code, answer.Body, fx.status)
			}
			if wantAuth := budgetAuthorizerCalls(rt.Action.Needs()); !slices.Equal(authOps, wantAuth) {
				t.Errorf("%s: the authorizer made %v, want %v", rt.ID, authOps, wantAuth)
			}
			if isRead {
				var body map[string]any
				if err := json.Unmarshal(answer.Body.Bytes(), &body); err == nil && body["items"] != nil {
					res.Kind = "list"
				} else if budgetPathParam.MatchString(rt.Path) {
					res.Kind = "read one"
				}
				res.Met = got.Waves <= 2
			} else if fx.purge {
				res.Budget = "one transaction, then purge batches"
				tx := 0
				res.Met = true
				for _, op := range got.Operations {
					switch op {
					case "TransactWriteItems":
						tx++
					case "PutItem", "UpdateItem", "DeleteItem":
						res.Met = false
					}
				}
				res.Met = res.Met && tx == 1
			} else {
				res.Met = got.Writes == 1
			}
			if !res.Met {
				t.Errorf("%s (%s): %d calls %v in %d waves with %d writes; budget: %s", rt.ID, res.Kind, got.Calls, got.Operations, got.Waves, got.Writes, res.Budget)
			}
			t.Logf("%-20s %-8s %d calls, %d writes, %d waves: %v", rt.ID, res.Kind, got.Calls, got.Writes, got.Waves, got.Operations)
		})
	}

	// What a guest can see: a case read and the lists, from a guest holding a case share and a
	// client share, within the same budget of two waves, the access check included.
	t.Run("guest reads", func(t *testing.T) {
		const guestEmail = "budget-guest@example.com"
		guest := newLogin(t, stack, poolID, clientID, guestEmail, pw)
		guestSub, guestToken := guest.id, guest.token
		w := budgetSeed(t, seedStore, admin)
		now := time.Now().UTC()
		if err := seedStore.PutMembership(ctx, casescribe.Membership{OrgID: w.orgID, OrgName: "Budget LLP", UserID: guestSub,
			Email: guestEmail, Name: "Budget Guest", Role: casescribe.RoleGuest, Status: casescribe.StatusActive, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		for _, sh := range []casescribe.Share{
			{Scope: casescribe.ScopeCase, ClientID: w.clientID, CaseID: w.caseID, ViewID: w.viewID, ChatIDs: []string{w.chatID}},
			{Scope: casescribe.ScopeClient, ClientID: w.emptyClientID},
		} {
			sh.OrgID, sh.ID, sh.GuestID, sh.Version, sh.CreatedAt, sh.UpdatedAt = w.orgID, ulid.Make().String(), guestSub, 1, now, now
			if err := seedStore.CreateShare(ctx, sh); err != nil {
				t.Fatal(err)
			}
		}
		// A guest's export is audited: after its reads, the record is one GetItem of the
		// chain's head and one TransactWriteItems, which the two-wave read budget does not
		// cover. Its row is held to the reads' budget plus exactly that record.
		const auditedBudget = "at most 2 read waves, then the audit record (head GetItem + one TransactWriteItems)"
		for _, p := range []struct {
			id, route, path string
			audited         bool
		}{
			{"getCase (guest)", "GET /cases/{caseId}", "/cases/" + w.caseID, false},
			{"getClient (guest)", "GET /clients/{clientId}", "/clients/" + w.clientID, false},
			{"listCases (guest)", "GET /cases", "/cases", false},
			{"listClients (guest)", "GET /clients", "/clients", false},
			{"listClientCases (guest)", "GET /clients/{clientId}/cases", "/clients/" + w.clientID + "/cases", false},
			{"listFacts (guest, view)", "GET /cases/{caseId}/facts", "/cases/" + w.caseID + "/facts", false},
			{"getFact (guest, view)", "GET /facts/{factId}", "/facts/" + w.factID, false},
			{"listComments (guest, view)", "GET /facts/{factId}/comments", "/facts/" + w.factID + "/comments", false},
			{"exportFacts (guest, view)", "GET /cases/{caseId}/facts/export", "/cases/" + w.caseID + "/facts/export", true},
			{"listViews (guest, view)", "GET /cases/{caseId}/views", "/cases/" + w.caseID + "/views", false},
			{"listDocuments (guest, view)", "GET /cases/{caseId}/documents", "/cases/" + w.caseID + "/documents", false},
			{"getDocument (guest, view)", "GET /documents/{documentId}", "/documents/" + w.documentID, false},
			{"listChats (guest, view)", "GET /cases/{caseId}/chats", "/cases/" + w.caseID + "/chats", false},
			{"getChat (guest, view)", "GET /chats/{chatId}", "/chats/" + w.chatID, false},
		} {
			req := httptest.NewRequest(http.MethodGet, p.path, nil)
			req.Header.Set("Authorization", "Bearer "+guestToken)
			req.Header.Set(api.OrgHeader, w.orgID)
			routeCalls.Reset()
			answer := httptest.NewRecorder()
			handler.ServeHTTP(answer, req)
			got := roundtrip.Summarize(routeCalls.Take())
			budget, met := "at most 2 waves", func(got roundtrip.Summary) bool { return got.Waves <= 2 }
			if p.audited {
				budget, met = auditedBudget, func(got roundtrip.Summary) bool {
					n := len(got.Operations)
					return got.Waves <= 4 && got.Writes == 1 && n >= 2 &&
						slices.Equal(got.Operations[n-2:], []string{"GetItem", "TransactWriteItems"})
				}
			}
			if !met(got) {
				got = bestOfRepeats(handler, req, "", &routeCalls, got)
			}
			res := budgetResult{ID: p.id, Route: p.route, Kind: "guest read", Status: answer.Code, Calls: got.Calls,
				Writes: got.Writes, Waves: got.Waves, Operations: got.Operations, Budget: budget, Met: met(got)}
			results = append(results, res)
			if answer.Code != http.StatusOK {
				t.Errorf("%s: status %d (%s), want 200", p.id, answer.Code, answer.Body)
			}
			if !res.Met {
				t.Errorf("%s: %d calls %v in %d waves; budget: %s", p.id, got.Calls, got.Operations, got.Waves, budget)
			}
			t.Logf("%-24s %d calls, %d waves: %v", p.id, got.Calls, got.Waves, got.Operations)
		}
	})

	if out := os.Getenv(budgetReportEnv); out != "" {
		raw, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, raw, 0o644); err != nil {
			t.Errorf("write %s: %v", budgetReportEnv, err)
		}
	}
}

// budgetAuthorizerCalls is what the authorizer may call for a route that needs need: one
// GetItem of the membership for an organization route, nothing otherwise.
func budgetAuthorizerCalls(need access.Need) []string {
	if need == access.NeedOrganization {
		return []string{"GetItem"}
	}
	return nil
}

// budgetSeed creates an organization founded by admin, a client with two cases and a client
// without cases.
func budgetSeed(t *testing.T, st *store.Store, admin casescribe.User) budgetWorld {
	t.Helper()
	ctx := t.Context()
	now := time.Now().UTC()
	w := budgetWorld{orgID: ulid.Make().String(), clientID: ulid.Make().String(), emptyClientID: ulid.Make().String()}
	if err := st.CreateOrganization(ctx, casescribe.Organization{ID: w.orgID, Name: "Budget LLP", CreatedAt: now, CreatedBy: admin.ID}, admin); err != nil {
		t.Fatalf("seed organization: %v", err)
	}
	for _, id := range []string{w.clientID, w.emptyClientID} {
		if err := st.CreateClient(ctx, casescribe.Client{OrgID: w.orgID, ID: id, Name: "Client " + id[len(id)-4:], CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatalf("seed client: %v", err)
		}
	}
	for i := range 2 {
		k := casescribe.Case{OrgID: w.orgID, ID: ulid.Make().String(), ClientID: w.clientID, Name: "Case " + string(rune('A'+i)), CreatedAt: now, UpdatedAt: now}
		if err := st.CreateCase(ctx, k); err != nil {
			t.Fatalf("seed case: %v", err)
		}
		w.otherCaseID, w.caseID = w.caseID, k.ID
	}

	// The content of caseID.
	w.documentID, w.factID, w.viewID = ulid.Make().String(), ulid.Make().String(), ulid.Make().String()
	if err := st.CreateDocument(ctx, casescribe.Document{OrgID: w.orgID, CaseID: w.caseID, ClientID: w.clientID, ID: w.documentID,
		Name: "MRI.pdf", ContentType: "application/pdf", Size: 1000, UploaderID: admin.ID, UploaderName: admin.Name, CreatedAt: now}); err != nil {
		t.Fatalf("seed document: %v", err)
	}
	if err := st.CreateFact(ctx, casescribe.Fact{OrgID: w.orgID, CaseID: w.caseID, ClientID: w.clientID, ID: w.factID,
		Text: "MRI shows a tear and pain", Date: "2024-03-01", Tags: []string{"imaging"}, KeyFact: true, DocumentID: w.documentID,
		CreatedBy: admin.ID, CreatedAt: now, UpdatedAt: now, Version: 1}); err != nil {
		t.Fatalf("seed fact: %v", err)
	}
	if err := st.CreateComment(ctx, casescribe.Comment{OrgID: w.orgID, CaseID: w.caseID, FactID: w.factID, ID: ulid.Make().String(),
		Text: "Seen", AuthorID: admin.ID, AuthorName: admin.Name, CreatedAt: now}, 1); err != nil {
		t.Fatalf("seed comment: %v", err)
	}
	if err := st.CreateView(ctx, casescribe.SavedView{OrgID: w.orgID, CaseID: w.caseID, ClientID: w.clientID, ID: w.viewID,
		Name: "Imaging", Filter: casescribe.FactFilter{Tags: []string{"imaging"}}, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatalf("seed view: %v", err)
	}
	if err := st.PutSummary(ctx, casescribe.CaseSummary{OrgID: w.orgID, CaseID: w.caseID, Text: "Summary", UpdatedByID: admin.ID,
		UpdatedAt: now, Version: 1}, w.clientID, 0); err != nil {
		t.Fatalf("seed summary: %v", err)
	}

	w.chatID = ulid.Make().String()
	if err := st.CreateChat(ctx, casescribe.Chat{OrgID: w.orgID, CaseID: w.caseID, ClientID: w.clientID, ID: w.chatID,
		Title: "Budget chat", CreatedBy: admin.ID, CreatedAt: now}); err != nil {
		t.Fatalf("seed chat: %v", err)
	}
	if err := st.RecordExchange(ctx, casescribe.Exchange{OrgID: w.orgID, CaseID: w.caseID, ChatID: w.chatID, ID: ulid.Make().String(),
		Question: "What does the MRI show?", AuthorID: admin.ID, Answer: "A tear.", Citations: []string{w.factID},
		AnsweredIn: "case", CreatedAt: now}, w.clientID, nil, nil, now); err != nil {
		t.Fatalf("seed exchange: %v", err)
	}

	// A guest holding a case share of caseID.
	w.guestID = "guest-" + strings.ToLower(ulid.Make().String())
	guest := casescribe.Membership{OrgID: w.orgID, OrgName: "Budget LLP", UserID: w.guestID,
		Email: w.guestID + "@example.com", Name: "Budget Guest", Role: casescribe.RoleGuest,
		Status: casescribe.StatusActive, CreatedAt: now}
	if err := st.PutMembership(ctx, guest); err != nil {
		t.Fatalf("seed guest: %v", err)
	}
	w.shareID = ulid.Make().String()
	if err := st.CreateShare(ctx, casescribe.Share{OrgID: w.orgID, ID: w.shareID, GuestID: w.guestID,
		GuestName: guest.Name, GuestEmail: guest.Email, Scope: casescribe.ScopeCase, ClientID: w.clientID,
		CaseID: w.caseID, Version: 1, CreatedBy: admin.ID, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatalf("seed share: %v", err)
	}

	w.memberID = "member-" + strings.ToLower(ulid.Make().String())
	member := casescribe.Membership{OrgID: w.orgID, OrgName: "Budget LLP", UserID: w.memberID,
		Email: w.memberID + "@example.com", Name: "Budget Member", Role: casescribe.RoleMember,
		Status: casescribe.StatusActive, CreatedAt: now}
	if err := st.PutMembership(ctx, member); err != nil {
		t.Fatalf("seed member: %v", err)
	}
	var invID string
	invID, w.token = budgetInvitation(t, st, w.orgID, "pending-"+strings.ToLower(ulid.Make().String())+"@example.com", now)
	w.invitationID = invID

	// Another firm invites the admin's own address: the admin can accept it.
	otherOrg := ulid.Make().String()
	founder := casescribe.User{ID: "founder-" + strings.ToLower(ulid.Make().String()), Name: "Other Founder"}
	founder.Email = founder.ID + "@example.com"
	if err := st.CreateOrganization(ctx, casescribe.Organization{ID: otherOrg, Name: "Other LLP", CreatedAt: now, CreatedBy: founder.ID}, founder); err != nil {
		t.Fatalf("seed other organization: %v", err)
	}
	_, w.acceptToken = budgetInvitation(t, st, otherOrg, admin.Email, now)
	return w
}

// budgetInvitation stores a pending guest invitation of orgID to email and returns its id and
// the token of its link.
func budgetInvitation(t *testing.T, st *store.Store, orgID, email string, now time.Time) (id, token string) {
	t.Helper()
	id = ulid.Make().String()
	token, hash, err := invitation.NewToken(orgID, id)
	if err != nil {
		t.Fatal(err)
	}
	inv := casescribe.Invitation{OrgID: orgID, OrgName: "Budget LLP", ID: id, Email: email, Name: "Invitee",
		Role: casescribe.RoleGuest, InvitedBy: "x", InviterName: "Budget Admin", TokenHash: hash, Issue: 1,
		IssuedAt: now, ExpiresAt: now.Add(invitation.Validity), MailStatus: casescribe.MailSent, CreatedAt: now}
	if err := st.CreateInvitation(t.Context(), inv, ""); err != nil {
		t.Fatalf("seed invitation: %v", err)
	}
	return id, token
}

// budgetPath fills the route's path parameters from the seed.
func budgetPath(pattern string, w budgetWorld, fx budgetFixture) (string, error) {
	var missing []string
	path := budgetPathParam.ReplaceAllStringFunc(pattern, func(p string) string {
		switch name := p[1 : len(p)-1]; {
		case name == "clientId" && fx.emptyClient:
			return w.emptyClientID
		case name == "clientId":
			return w.clientID
		case name == "caseId" && fx.emptyCase:
			return w.otherCaseID
		case name == "caseId":
			return w.caseID
		case name == "shareId":
			return w.shareID
		case name == "userId" && fx.guestUser:
			return w.guestID
		case name == "userId":
			return w.memberID
		case name == "invitationId":
			return w.invitationID
		case name == "factId":
			return w.factID
		case name == "viewId":
			return w.viewID
		case name == "documentId":
			return w.documentID
		case name == "tag":
			return "imaging"
		case name == "chatId":
			return w.chatID
		default:
			missing = append(missing, p)
			return p
		}
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no seeded record for %s; seed one in budgetSeed and fill it in budgetPath", strings.Join(missing, ", "))
	}
	return path, nil
}

// bestOfRepeats sends a read again, twice, and keeps the fewest waves seen. Waves are read off
// the calls' times: on a loaded machine a goroutine that starts late can make two calls made
// at the same time look sequential. The calls a request makes do not change between repeats;
// only how they overlap can, and a read that really waits one more time fails every time.
func bestOfRepeats(h http.Handler, req *http.Request, body string, rec *roundtrip.Recorder, got roundtrip.Summary) roundtrip.Summary {
	for range 2 {
		again := httptest.NewRequest(req.Method, req.URL.RequestURI(), strings.NewReader(body))
		again.Header = req.Header.Clone()
		rec.Reset()
		h.ServeHTTP(httptest.NewRecorder(), again)
		if s := roundtrip.Summarize(rec.Take()); s.Waves < got.Waves {
			got = s
		}
	}
	return got
}
