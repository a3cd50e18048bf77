package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/audit"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/oklog/ulid/v2"
)

// DynamoDB Local runs transactions one at a time and never reports a conflict between them,
// so the conflicts DynamoDB reports under contention are injected here, at the store's client
// boundary: faultyDB fails the next n write calls the way DynamoDB does, then lets calls
// through to DynamoDB Local.

// fault is how faultyDB fails a write call.
type fault int

const (
	// faultCancelled cancels a transaction with the reason TransactionConflict on one item,
	// fails a single-item write with TransactionConflictException, and returns every item of
	// a batch write as unprocessed.
	faultCancelled fault = iota + 1
	// faultConflict fails every write call, transactions included, with
	// TransactionConflictException; batch writes as faultCancelled.
	faultConflict
	// faultThrottled cancels a transaction with the reason ThrottlingError and returns every
	// item of a batch write as unprocessed. Single-item writes pass: the SDK retries their
	// throttling itself, below this boundary.
	faultThrottled
)

// faultyDB passes calls to DB, failing the next left write calls as kind says. It also
// records which exported Store method made each write call.
type faultyDB struct {
	DB
	mu       sync.Mutex
	kind     fault
	left     int
	injected int
	writers  map[string]int
}

func (f *faultyDB) arm(kind fault, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kind, f.left, f.injected = kind, n, 0
}

// disarm stops injecting and returns how many calls failed since arm.
func (f *faultyDB) disarm() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kind, f.left = 0, 0
	return f.injected
}

// takeWriters returns the write calls recorded since the last take, by Store method.
func (f *faultyDB) takeWriters() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.writers
	f.writers = nil
	return out
}

// next records a write call and says whether it fails, and how.
func (f *faultyDB) next(single bool) fault {
	method := storeMethod()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.writers == nil {
		f.writers = map[string]int{}
	}
	f.writers[method]++
	if f.left == 0 || (single && f.kind == faultThrottled) {
		return 0
	}
	f.left--
	f.injected++
	return f.kind
}

// sdkError wraps err as the SDK returns service errors.
func sdkError(op string, err error) error {
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: op, Err: err}
}

func conflictException() error {
	return &types.TransactionConflictException{Message: aws.String("Transaction is ongoing for the item")}
}

func (f *faultyDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if f.next(true) != 0 {
		return nil, sdkError("PutItem", conflictException())
	}
	return f.DB.PutItem(ctx, in, opts...)
}

func (f *faultyDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if f.next(true) != 0 {
		return nil, sdkError("UpdateItem", conflictException())
	}
	return f.DB.UpdateItem(ctx, in, opts...)
}

func (f *faultyDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	kind := f.next(false)
	if kind == faultConflict {
		return nil, sdkError("TransactWriteItems", conflictException())
	}
	if kind != 0 {
		// DynamoDB names the item that clashed; the others are "None".
		code := "TransactionConflict"
		if kind == faultThrottled {
			code = "ThrottlingError"
		}
		reasons := make([]types.CancellationReason, len(in.TransactItems))
		for i := range reasons {
			reasons[i].Code = aws.String("None")
		}
		reasons[len(reasons)-1] = types.CancellationReason{Code: aws.String(code), Message: aws.String("injected")}
		return nil, sdkError("TransactWriteItems", &types.TransactionCanceledException{
			Message: aws.String("Transaction cancelled, please refer cancellation reasons for specific reasons"), CancellationReasons: reasons})
	}
	return f.DB.TransactWriteItems(ctx, in, opts...)
}

func (f *faultyDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	if f.next(false) != 0 {
		return &dynamodb.BatchWriteItemOutput{UnprocessedItems: in.RequestItems}, nil
	}
	return f.DB.BatchWriteItem(ctx, in, opts...)
}

// storeMethod names the outermost exported Store method on the calling goroutine's stack.
func storeMethod() string {
	prefix := reflect.TypeFor[Store]().PkgPath() + ".(*Store)."
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	outer := ""
	for {
		fr, more := frames.Next()
		if name, ok := strings.CutPrefix(fr.Function, prefix); ok && name != "" &&
			unicode.IsUpper(rune(name[0])) && !strings.Contains(name, ".") {
			outer = name
		}
		if !more {
			return outer
		}
	}
}

// readMethods are the Store's exported methods that never write. Every other exported method
// must have a scenario in writeScenarios: a new method fails TestConflictOnEveryWrite until it
// is listed in one or the other.
var readMethods = []string{
	"AllClientCases", "CaseChats", "CaseDocuments", "CaseFacts", "CaseFactsMatching", "CaseViews", "ChatExchanges",
	"ClientShares", "EmailHolder", "FactComments", "GetCase", "GetCases", "GetChat", "GetClient",
	"GetClients", "GetDocument", "GetFact", "GetGrant", "GetInvitation", "GetMembership",
	"GetOrganization", "GetShare", "GetShares", "GetSummary", "GetView", "GuestGrants", "SharesEndingOn",
	"HasPendingInvitation", "ListCases", "ListClientCases", "ListClients", "ListInvitations",
	"ListMembers", "Locate", "OrgShares", "UserMemberships", "ViewNames", "AuditEntries", "AuditChain",
}

var conflictNow = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// conflictFixture is a small organization with a bit of everything, each id fixed when the
// fixture is made, so that the same fixture can be built in several tables.
type conflictFixture struct {
	org                                   casescribe.Organization
	founder, invitee, newcomer, founder2  casescribe.User
	member, guest, guest2, legacy         casescribe.Membership
	inv                                   casescribe.Invitation
	c1, c2, c3                            casescribe.Client // c3 has no case
	k1, k2, k3                            casescribe.Case   // k1 and k2 of c1, k3 of c2
	view, spareView                       casescribe.SavedView
	chat                                  casescribe.Chat
	fact                                  casescribe.Fact
	doc                                   casescribe.Document
	share, clientShare                    casescribe.Share // guest's of k1 (view, chat); guest2's of c2
	newOrg, newClient, newCase, newShare  string
	newView, newChat, newFact, newDoc     string
	newInvitation, newExchange, newLegacy string
}

func newConflictFixture() *conflictFixture {
	id := func() string { return ulid.Make().String() }
	user := func(name string) casescribe.User {
		u := id()
		return casescribe.User{ID: "user-" + u, Email: strings.ToLower(name+"-"+u) + "@example.com", Name: name}
	}
	fx := &conflictFixture{founder: user("Founder"), invitee: user("Invitee"), newcomer: user("Newcomer"), founder2: user("Founder2"),
		newOrg: id(), newClient: id(), newCase: id(), newShare: id(), newView: id(), newChat: id(), newFact: id(),
		newDoc: id(), newInvitation: id(), newExchange: id(), newLegacy: id()}
	fx.org = casescribe.Organization{ID: id(), Name: "Harbor & Vale LLP", CreatedAt: conflictNow, CreatedBy: fx.founder.ID}
	member := func(name string, role casescribe.Role) casescribe.Membership {
		u := user(name)
		return casescribe.Membership{OrgID: fx.org.ID, OrgName: fx.org.Name, UserID: u.ID, Email: u.Email, Name: u.Name,
			Role: role, Status: casescribe.StatusActive, CreatedAt: conflictNow}
	}
	fx.member, fx.guest, fx.guest2 = member("Member", casescribe.RoleMember), member("Guest", casescribe.RoleGuest), member("Guest2", casescribe.RoleGuest)
	fx.legacy = member("Legacy", casescribe.RoleGuest)
	fx.inv = casescribe.Invitation{OrgID: fx.org.ID, OrgName: fx.org.Name, ID: id(), Email: fx.invitee.Email, Name: fx.invitee.Name,
		Role: casescribe.RoleGuest, InvitedBy: fx.founder.ID, InviterName: fx.founder.Name, TokenHash: "hash-1", Issue: 1,
		IssuedAt: conflictNow, ExpiresAt: conflictNow.Add(7 * 24 * time.Hour), MailStatus: casescribe.MailSent, CreatedAt: conflictNow}
	client := func(name string) casescribe.Client {
		return casescribe.Client{OrgID: fx.org.ID, ID: id(), Name: name, CreatedAt: conflictNow, UpdatedAt: conflictNow}
	}
	fx.c1, fx.c2, fx.c3 = client("Smith, John"), client("Garcia, Maria"), client("Empty, Client")
	kase := func(c casescribe.Client, name string) casescribe.Case {
		return casescribe.Case{OrgID: fx.org.ID, ID: id(), ClientID: c.ID, Name: name, CreatedAt: conflictNow, UpdatedAt: conflictNow}
	}
	fx.k1, fx.k2, fx.k3 = kase(fx.c1, "Knee MRI"), kase(fx.c1, "Hip"), kase(fx.c2, "Back")
	view := func(name string) casescribe.SavedView {
		return casescribe.SavedView{OrgID: fx.org.ID, CaseID: fx.k1.ID, ClientID: fx.c1.ID, ID: id(), Name: name,
			Filter: casescribe.FactFilter{KeyOnly: true}, CreatedAt: conflictNow, UpdatedAt: conflictNow}
	}
	fx.view, fx.spareView = view("Key facts"), view("Spare")
	fx.chat = casescribe.Chat{OrgID: fx.org.ID, CaseID: fx.k1.ID, ClientID: fx.c1.ID, ID: id(), Title: "Chat",
		CreatedBy: fx.founder.ID, CreatedByName: fx.founder.Name, CreatedAt: conflictNow}
	fx.doc = casescribe.Document{OrgID: fx.org.ID, CaseID: fx.k1.ID, ClientID: fx.c1.ID, ID: id(), Name: "mri.pdf",
		ContentType: "application/pdf", Size: 10, UploaderID: fx.founder.ID, UploaderName: fx.founder.Name, CreatedAt: conflictNow}
	fx.fact = casescribe.Fact{OrgID: fx.org.ID, CaseID: fx.k1.ID, ClientID: fx.c1.ID, ID: id(), Text: "MRI shows a tear.",
		Tags: []string{"imaging"}, CreatedBy: fx.founder.ID, CreatedAt: conflictNow, UpdatedAt: conflictNow, Version: 1}
	fx.share = casescribe.Share{OrgID: fx.org.ID, ID: id(), GuestID: fx.guest.UserID, GuestName: fx.guest.Name, GuestEmail: fx.guest.Email,
		Scope: casescribe.ScopeCase, ClientID: fx.c1.ID, CaseID: fx.k1.ID, ViewID: fx.view.ID, ChatIDs: []string{fx.chat.ID},
		Version: 1, CreatedBy: fx.founder.ID, CreatedAt: conflictNow, UpdatedAt: conflictNow,
		ExpiresAt: conflictNow.Add(60 * 24 * time.Hour), RemindedFor: conflictNow.Add(60 * 24 * time.Hour)}
	fx.clientShare = casescribe.Share{OrgID: fx.org.ID, ID: id(), GuestID: fx.guest2.UserID, GuestName: fx.guest2.Name, GuestEmail: fx.guest2.Email,
		Scope: casescribe.ScopeClient, ClientID: fx.c2.ID, Version: 1, CreatedBy: fx.founder.ID, CreatedAt: conflictNow, UpdatedAt: conflictNow,
		ExpiresAt: conflictNow.Add(2 * 24 * time.Hour)}
	return fx
}

// build writes the fixture into s's table.
func (fx *conflictFixture) build(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	steps := []func() error{
		func() error { return s.CreateOrganization(ctx, fx.org, fx.founder) },
		func() error { return s.PutMembership(ctx, fx.member) },
		func() error { return s.PutMembership(ctx, fx.guest) },
		func() error { return s.PutMembership(ctx, fx.guest2) },
		func() error { return fx.putLegacy(ctx, s) },
		func() error { return s.CreateInvitation(ctx, fx.inv, "") },
		func() error { return s.CreateClient(ctx, fx.c1) },
		func() error { return s.CreateClient(ctx, fx.c2) },
		func() error { return s.CreateClient(ctx, fx.c3) },
		func() error { return s.CreateCase(ctx, fx.k1) },
		func() error { return s.CreateCase(ctx, fx.k2) },
		func() error { return s.CreateCase(ctx, fx.k3) },
		func() error { return s.CreateView(ctx, fx.view) },
		func() error { return s.CreateView(ctx, fx.spareView) },
		func() error { return s.CreateChat(ctx, fx.chat) },
		func() error { return s.CreateDocument(ctx, fx.doc) },
		func() error { return s.CreateFact(ctx, fx.fact) },
		func() error { return s.CreateShare(ctx, fx.share) },
		func() error { return s.CreateShare(ctx, fx.clientShare) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("build the fixture, step %d: %v", i, err)
		}
	}
}

// putLegacy writes a guest membership as it was stored before case sharing: with the retired
// client list, here naming c1.
func (fx *conflictFixture) putLegacy(ctx context.Context, s *Store) error {
	m := newMembershipItem(fx.legacy)
	m.VisibleClients = []string{fx.c1.ID}
	for _, item := range []any{m, memberEmailItem(fx.org.ID, fx.legacy.Email, fx.legacy.UserID)} {
		av, err := attributevalue.MarshalMap(item)
		if err != nil {
			return err
		}
		if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: av}); err != nil {
			return err
		}
	}
	return nil
}

// partitions are every partition the fixture and the scenarios may write.
func (fx *conflictFixture) partitions() []string {
	out := []string{orgPK(fx.org.ID), orgPK(fx.newOrg)}
	for _, k := range []string{fx.k1.ID, fx.k2.ID, fx.k3.ID, fx.newCase} {
		out = append(out, casePK(fx.org.ID, k))
	}
	for _, u := range []string{fx.founder.ID, fx.invitee.ID, fx.newcomer.ID, fx.founder2.ID, fx.member.UserID,
		fx.guest.UserID, fx.guest2.UserID, fx.legacy.UserID} {
		out = append(out, userPK(u))
	}
	return out
}

// snapshot reads every item of the fixture's partitions, strongly consistent, as sorted JSON
// lines.
func (fx *conflictFixture) snapshot(t *testing.T, db DB, table string) []string {
	t.Helper()
	var out []string
	for _, pk := range fx.partitions() {
		p := dynamodb.NewQueryPaginator(db, &dynamodb.QueryInput{TableName: &table, ConsistentRead: aws.Bool(true),
			KeyConditionExpression:    aws.String("PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}}})
		for p.HasMorePages() {
			page, err := p.NextPage(context.Background())
			if err != nil {
				t.Fatalf("snapshot %s: %v", pk, err)
			}
			for _, raw := range page.Items {
				var item map[string]any
				if err := attributevalue.UnmarshalMap(raw, &item); err != nil {
					t.Fatal(err)
				}
				b, err := json.Marshal(item)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, string(b))
			}
		}
	}
	slices.Sort(out)
	return out
}

// ulidPattern finds ids a store method made itself, and time stamps it took from the clock.
var (
	ulidPattern  = regexp.MustCompile(`[0-9A-HJKMNP-TV-Z]{26}`)
	clockPattern = regexp.MustCompile(`"(createdAt|updatedAt)":"[^"]*"`)
)

// masked replaces in lines the ids that are not the fixture's, and the time stamps, for a
// method that takes its ids and time itself.
func (fx *conflictFixture) masked(lines []string) []string {
	known := map[string]bool{}
	for _, pk := range fx.partitions() {
		for _, id := range ulidPattern.FindAllString(pk, -1) {
			known[id] = true
		}
	}
	for _, id := range []string{fx.c1.ID, fx.c2.ID, fx.c3.ID, fx.view.ID, fx.spareView.ID, fx.chat.ID, fx.fact.ID,
		fx.doc.ID, fx.share.ID, fx.clientShare.ID, fx.inv.ID} {
		known[id] = true
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		l = ulidPattern.ReplaceAllStringFunc(l, func(id string) string {
			if known[id] {
				return id
			}
			return "<new id>"
		})
		out[i] = clockPattern.ReplaceAllString(l, `"$1":"<now>"`)
	}
	slices.Sort(out)
	return out
}

// writeScenario is one call of a write method on a built fixture.
type writeScenario struct {
	op func(ctx context.Context, s *Store, fx *conflictFixture) error
	// ownIDs: the method makes ids and reads the clock itself.
	ownIDs bool
	// cleanup: the method only deletes what nothing can reach any more, and keeps sending
	// unprocessed items until its context ends; it has no conflict to answer.
	cleanup bool
}

// writeScenarios has one scenario per write method of the Store.
var writeScenarios = map[string]writeScenario{
	"CreateOrganization": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.CreateOrganization(ctx, casescribe.Organization{ID: fx.newOrg, Name: "Northside", CreatedAt: conflictNow, CreatedBy: fx.founder2.ID}, fx.founder2)
	}},
	"PutMembership": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.PutMembership(ctx, casescribe.Membership{OrgID: fx.org.ID, OrgName: fx.org.Name, UserID: fx.newcomer.ID,
			Email: fx.newcomer.Email, Name: fx.newcomer.Name, Role: casescribe.RoleAdmin, Status: casescribe.StatusActive, CreatedAt: conflictNow})
	}},
	"CreateClient": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.CreateClient(ctx, casescribe.Client{OrgID: fx.org.ID, ID: fx.newClient, Name: "New, Client", CreatedAt: conflictNow, UpdatedAt: conflictNow})
	}},
	"UpdateClient": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		_, err := s.UpdateClient(ctx, fx.org.ID, fx.c1.ID, "Smith, John A.", conflictNow.Add(time.Hour))
		return err
	}},
	"DeleteClient": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.DeleteClient(ctx, fx.org.ID, fx.c3.ID)
	}},
	"CreateCase": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.CreateCase(ctx, casescribe.Case{OrgID: fx.org.ID, ID: fx.newCase, ClientID: fx.c2.ID, Name: "New case", CreatedAt: conflictNow, UpdatedAt: conflictNow})
	}},
	"UpdateCase": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		_, err := s.UpdateCase(ctx, fx.org.ID, fx.k1.ID, "Knee MRI (left)", conflictNow.Add(time.Hour))
		return err
	}},
	"DeleteCase": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.DeleteCase(ctx, fx.org.ID, fx.c1.ID, fx.k1.ID)
	}},
	"ChangeRole": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		_, err := s.ChangeRole(ctx, fx.member, casescribe.RoleAdmin)
		return err
	}},
	"RemoveMember": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.RemoveMember(ctx, fx.guest)
	}},
	"CreateInvitation": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		inv := fx.inv
		inv.ID, inv.Email, inv.Name, inv.TokenHash = fx.newInvitation, fx.newcomer.Email, fx.newcomer.Name, "hash-new"
		return s.CreateInvitation(ctx, inv, "")
	}},
	"ReissueInvitation": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		inv := fx.inv
		inv.Issue, inv.TokenHash, inv.IssuedAt = 2, "hash-2", conflictNow.Add(time.Hour)
		return s.ReissueInvitation(ctx, inv)
	}},
	"AppendAudit": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.AppendAudit(ctx, audit.Record{OrgID: fx.org.ID, At: conflictNow, Action: audit.FactsExport,
			Actor:  audit.Actor{UserID: fx.guest.UserID, Name: fx.guest.Name, Role: string(fx.guest.Role)},
			Target: audit.Target{Kind: audit.TargetCase, ID: fx.k1.ID}, CaseIDs: []string{fx.k1.ID},
			UserIDs: []string{fx.guest.UserID}, After: json.RawMessage(`{"facts":1}`)})
	}},
	"MarkMailFailed": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.MarkMailFailed(ctx, fx.org.ID, fx.inv.ID, fx.inv.Issue)
	}},
	"RevokeInvitation": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.RevokeInvitation(ctx, fx.inv)
	}},
	"AcceptInvitation": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		_, err := s.AcceptInvitation(ctx, fx.inv, fx.invitee, conflictNow.Add(time.Hour))
		return err
	}},
	"CreateShare": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		sh := fx.share
		sh.ID, sh.GuestID, sh.GuestName, sh.GuestEmail, sh.ViewID = fx.newShare, fx.guest2.UserID, fx.guest2.Name, fx.guest2.Email, ""
		return s.CreateShare(ctx, sh)
	}},
	"RemoveShare": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.RemoveShare(ctx, fx.share)
	}},
	"CreateShareFrom": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		sh := fx.clientShare
		sh.ID, sh.GuestID, sh.GuestName, sh.GuestEmail, sh.ClientID = fx.newShare, fx.guest.UserID, fx.guest.Name, fx.guest.Email, fx.c2.ID
		return s.CreateShareFrom(ctx, sh, fx.k3.ID)
	}},
	"MarkReminded": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.MarkReminded(ctx, fx.clientShare)
	}},
	"UnmarkReminded": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.UnmarkReminded(ctx, fx.share)
	}},
	"ApplyShareChange": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		plan, err := access.PlanShareChange(access.PlanInput{Share: fx.share, GuestName: fx.guest.Name, ClientName: fx.c1.Name,
			ClientCases: []casescribe.Case{fx.k1, fx.k2}, GuestCaseShares: []casescribe.Share{fx.share}, Target: &fx.k2},
			access.ShareChange{Scope: casescribe.ScopeCase, CaseID: fx.k2.ID})
		if err != nil {
			return err
		}
		plan.Result.UpdatedAt = conflictNow.Add(time.Hour)
		return s.ApplyShareChange(ctx, fx.share, plan)
	}},
	"MigrateLegacyShares": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		m, err := s.GetMembership(ctx, fx.org.ID, fx.legacy.UserID)
		if err != nil {
			return err
		}
		_, err = s.MigrateLegacyShares(ctx, m, func() string { return fx.newLegacy }, conflictNow)
		return err
	}},
	"MigrateMembership": {ownIDs: true, op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		m, err := s.GetMembership(ctx, fx.org.ID, fx.legacy.UserID)
		if err != nil {
			return err
		}
		return s.MigrateMembership(ctx, m)
	}},
	"CreateChat": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		c := fx.chat
		c.ID, c.CaseID = fx.newChat, fx.k2.ID
		return s.CreateChat(ctx, c)
	}},
	"RecordExchange": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		f := fx.fact
		f.ID, f.Text = fx.newFact, "Created by Ask AI."
		e := casescribe.Exchange{OrgID: fx.org.ID, CaseID: fx.k1.ID, ChatID: fx.chat.ID, ID: fx.newExchange, Question: "Add a fact",
			AuthorID: fx.founder.ID, AuthorName: fx.founder.Name, Answer: "Done.", CreatedAt: conflictNow}
		return s.RecordExchange(ctx, e, fx.c1.ID, []casescribe.Fact{f},
			[]FactEdit{{ID: fx.fact.ID, Version: fx.fact.Version, Add: []string{"ai"}}}, conflictNow)
	}},
	"ApplyFactEdits": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		_, err := s.ApplyFactEdits(ctx, fx.org.ID, fx.k1.ID, []FactEdit{{ID: fx.fact.ID, Version: fx.fact.Version, Add: []string{"knee"}}}, conflictNow)
		return err
	}},
	"BulkEditFacts": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		key := true
		return s.BulkEditFacts(ctx, fx.org.ID, fx.k1.ID, BulkEdit{KeyFact: &key,
			Facts: []FactEdit{{ID: fx.fact.ID, Version: fx.fact.Version, Remove: []string{"imaging"}}}}, conflictNow)
	}},
	"CreateFact": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		f := fx.fact
		f.ID, f.CaseID = fx.newFact, fx.k2.ID
		return s.CreateFact(ctx, f)
	}},
	"ReplaceFact": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		after := fx.fact
		after.Text, after.DocumentID, after.Version = "MRI shows a partial tear.", fx.doc.ID, fx.fact.Version+1
		return s.ReplaceFact(ctx, fx.fact, after)
	}},
	"DeleteFact": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.DeleteFact(ctx, fx.fact)
	}},
	"SetFactTag": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		_, err := s.SetFactTag(ctx, fx.org.ID, fx.k1.ID, fx.fact.ID, "knee", true, conflictNow)
		return err
	}},
	"CreateView": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		v := fx.view
		v.ID, v.CaseID = fx.newView, fx.k2.ID
		return s.CreateView(ctx, v)
	}},
	"UpdateView": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		v := fx.view
		v.Name, v.UpdatedAt = "Key facts only", conflictNow.Add(time.Hour)
		_, err := s.UpdateView(ctx, v)
		return err
	}},
	"DeleteView": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.DeleteView(ctx, fx.spareView)
	}},
	"CreateComment": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.CreateComment(ctx, casescribe.Comment{OrgID: fx.org.ID, CaseID: fx.k1.ID, FactID: fx.fact.ID, ID: fx.newExchange,
			Text: "Agreed.", AuthorID: fx.guest.UserID, AuthorName: fx.guest.Name, CreatedAt: conflictNow}, fx.fact.Version)
	}},
	"CreateDocument": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		d := fx.doc
		d.ID, d.CaseID = fx.newDoc, fx.k2.ID
		return s.CreateDocument(ctx, d)
	}},
	"DeleteDocument": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.DeleteDocument(ctx, fx.doc)
	}},
	"PutSummary": {op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		return s.PutSummary(ctx, casescribe.CaseSummary{OrgID: fx.org.ID, CaseID: fx.k1.ID, Text: "A knee case.",
			UpdatedByID: fx.founder.ID, UpdatedByName: fx.founder.Name, UpdatedAt: conflictNow, Version: 1}, fx.c1.ID, 0)
	}},
	"PurgeCase": {cleanup: true, op: func(ctx context.Context, s *Store, fx *conflictFixture) error {
		_, err := s.PurgeCase(ctx, fx.org.ID, fx.k1.ID)
		return err
	}},
}

// conflictMode is one way of failing the write calls of a scenario.
type conflictMode struct {
	name  string
	fault fault
	times int
	// ok: the method must succeed, retrying; else it must answer ECONFLICT.
	ok bool
}

// always is more failures than any method tries.
const always = 1000

var conflictModes = []conflictMode{
	{"transaction conflict until the last try", faultCancelled, writeAttempts - 1, true},
	{"transaction conflict on every try", faultCancelled, always, false},
	{"conflict exception once", faultConflict, 1, true},
	{"conflict exception on every try", faultConflict, always, false},
	{"throttled transaction twice", faultThrottled, 2, true},
}

// Every write method of the store, met by DynamoDB's conflicts, either succeeds by retrying,
// leaving exactly what a run without conflicts leaves, or answers ECONFLICT (409) having
// written nothing; never an internal error. Each scenario runs without faults in a reference
// table, then once per conflict mode in that mode's table, on the same fixture.
func TestConflictOnEveryWrite(t *testing.T) {
	var unlisted []string
	store := reflect.TypeFor[*Store]()
	for i := range store.NumMethod() {
		name := store.Method(i).Name
		_, write := writeScenarios[name]
		if read := slices.Contains(readMethods, name); read == write {
			unlisted = append(unlisted, name)
		}
	}
	if len(unlisted) > 0 {
		t.Fatalf("Store methods %v must be listed once: in readMethods, or in writeScenarios with a scenario", unlisted)
	}

	stack := localstack.ForTest(t)
	db := stack.DynamoDB()
	refTable := localstack.NewTestTable(t)
	tables := make([]string, len(conflictModes))
	for i := range tables {
		tables[i] = localstack.NewTestTable(t)
	}
	for _, name := range slices.Sorted(maps.Keys(writeScenarios)) {
		sc := writeScenarios[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			fx := newConflictFixture()

			ref := &faultyDB{DB: db}
			s := New(ref, refTable)
			fx.build(t, s)
			ref.takeWriters()
			if err := sc.op(ctx, s, fx); err != nil {
				t.Fatalf("without conflicts: %v", err)
			}
			if w := ref.takeWriters(); len(w) != 1 || w[name] == 0 {
				t.Fatalf("write calls by method = %v, want calls by %s only", w, name)
			}
			want := fx.snapshot(t, db, refTable)

			for i, mode := range conflictModes {
				if sc.cleanup && !mode.ok {
					continue
				}
				live := &faultyDB{DB: db}
				s := New(live, tables[i])
				fx.build(t, s)
				before := fx.snapshot(t, db, tables[i])
				live.arm(mode.fault, mode.times)
				err := sc.op(ctx, s, fx)
				injected := live.disarm()
				after := fx.snapshot(t, db, tables[i])
				switch {
				case mode.ok && err != nil:
					t.Errorf("%s (%d injected): err = %v (code %s), want success after retries", mode.name, injected, err, casescribe.ErrorCode(err))
				case mode.ok:
					want := want
					if sc.ownIDs {
						want, after = fx.masked(want), fx.masked(after)
					}
					if d := lineDiff(want, after); d != "" {
						t.Errorf("%s: the stored state differs from a run without conflicts:\n%s", mode.name, d)
					}
					if mode.fault == faultCancelled && injected != mode.times {
						t.Errorf("%s: %d calls failed, want %d", mode.name, injected, mode.times)
					}
				default:
					if code := casescribe.ErrorCode(err); code != casescribe.ECONFLICT {
						t.Errorf("%s: err = %v (code %q), want %s", mode.name, err, code, casescribe.ECONFLICT)
					}
					if injected != writeAttempts {
						t.Errorf("%s: %d tries, want %d", mode.name, injected, writeAttempts)
					}
					if d := lineDiff(before, after); d != "" {
						t.Errorf("%s: a refused write changed the stored state:\n%s", mode.name, d)
					}
				}
			}
		})
	}
}

// lineDiff lists the lines only in want (-) and only in got (+); "" when they are equal.
func lineDiff(want, got []string) string {
	var b strings.Builder
	for _, l := range want {
		if !slices.Contains(got, l) {
			fmt.Fprintf(&b, "  - %s\n", l)
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			fmt.Fprintf(&b, "  + %s\n", l)
		}
	}
	return b.String()
}

// A failed condition is an answer and is never retried; a lost race is retried, and only
// writeAttempts times in all.
func TestConflictRetryIsBounded(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		tries int
	}{
		{"condition failed", &types.ConditionalCheckFailedException{}, 1},
		{"condition failed beside a conflict", cancelled("ConditionalCheckFailed", "TransactionConflict"), 1},
		{"validation", cancelled("ValidationError"), 1},
		{"no reasons", &types.TransactionCanceledException{}, 1},
		{"other error", fmt.Errorf("network down"), 1},
		{"conflict", cancelled("None", "TransactionConflict"), writeAttempts},
		{"throttled", cancelled("ThrottlingError", "None"), writeAttempts},
		{"conflict exception", sdkError("PutItem", conflictException()), writeAttempts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tries := 0
			_, err := retryWrite(context.Background(), func() (struct{}, error) {
				tries++
				return struct{}{}, tt.err
			})
			if tries != tt.tries || err != tt.err {
				t.Errorf("tries = %d, err = %v; want %d tries and the last error", tries, err, tt.tries)
			}
		})
	}
	// A cancelled context ends the waiting, with the last answer.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tries := 0
	start := time.Now()
	_, err := retryWrite(ctx, func() (struct{}, error) {
		tries++
		return struct{}{}, cancelled("TransactionConflict")
	})
	if tries != 1 || casescribe.ErrorCode(convert("op", err)) != casescribe.ECONFLICT || time.Since(start) > retryCap {
		t.Errorf("cancelled context: %d tries, err %v", tries, err)
	}
}

// tokenDB answers TransactWriteItems as the SDK does with the input it is given: it fills in
// an idempotency token when there is none, and records it; the first conflicts calls lose a
// race.
type tokenDB struct {
	DB
	conflicts int
	tokens    []string
}

func (d *tokenDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if in.ClientRequestToken == nil {
		in.ClientRequestToken = aws.String(ulid.Make().String())
	}
	d.tokens = append(d.tokens, *in.ClientRequestToken)
	if len(d.tokens) <= d.conflicts {
		return nil, sdkError("TransactWriteItems", cancelled("TransactionConflict"))
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

// A transaction retried after losing a race is a new transaction, with an idempotency token of
// its own; the caller's input is left as it was.
func TestConflictRetryIsANewTransaction(t *testing.T) {
	db := &tokenDB{conflicts: 2}
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{}}}
	if _, err := (retryingDB{db}).TransactWriteItems(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if len(db.tokens) != 3 || db.tokens[0] == db.tokens[1] || db.tokens[1] == db.tokens[2] || db.tokens[0] == db.tokens[2] {
		t.Errorf("tokens of the tries = %v, want three different ones", db.tokens)
	}
	if in.ClientRequestToken != nil {
		t.Errorf("the caller's input got token %q", *in.ClientRequestToken)
	}
}

// A change planned on reads that disagree (the share as read, then its client's index after
// the share was replaced by another share of the same case) is refused as a conflict, never
// sent as a transaction DynamoDB rejects, and changes nothing.
func TestConflictStalePlan(t *testing.T) {
	ctx := context.Background()
	db := localstack.ForTest(t).DynamoDB()
	table := localstack.NewTestTable(t)
	s := New(db, table)
	fx := newConflictFixture()
	fx.build(t, s)
	// Meanwhile the guest's share of k1 is removed and another one of k1 made.
	if err := s.RemoveShare(ctx, fx.share); err != nil {
		t.Fatal(err)
	}
	again := fx.share
	again.ID, again.ViewID, again.ChatIDs = fx.newShare, "", nil
	if err := s.CreateShare(ctx, again); err != nil {
		t.Fatal(err)
	}
	before := fx.snapshot(t, db, table)
	// The expansion of the share as first read, planned with the index as it is now.
	plan, err := access.PlanShareChange(access.PlanInput{Share: fx.share, GuestName: fx.guest.Name, ClientName: fx.c1.Name,
		ClientCases: []casescribe.Case{fx.k1, fx.k2}, GuestCaseShares: []casescribe.Share{again}},
		access.ShareChange{Scope: casescribe.ScopeClient})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyShareChange(ctx, fx.share, plan); casescribe.ErrorCode(err) != casescribe.ECONFLICT {
		t.Errorf("apply a stale expansion: err = %v, want %s", err, casescribe.ECONFLICT)
	}
	if d := lineDiff(before, fx.snapshot(t, db, table)); d != "" {
		t.Errorf("a refused change changed the stored state:\n%s", d)
	}
}

// A change planned before one of the cases it takes shares from was deleted (its saved views
// purged with it) is refused as a conflict to retry, not as a bad view id, and changes nothing.
func TestConflictPlanMeetsDeletedCase(t *testing.T) {
	ctx := context.Background()
	db := localstack.ForTest(t).DynamoDB()
	table := localstack.NewTestTable(t)
	s := New(db, table)
	fx := newConflictFixture()
	fx.build(t, s)
	// The guest also holds k2; the expansion of that share replaces the share of k1, whose
	// view it uncounts.
	k2 := fx.share
	k2.ID, k2.CaseID, k2.ViewID, k2.ChatIDs = fx.newShare, fx.k2.ID, "", nil
	if err := s.CreateShare(ctx, k2); err != nil {
		t.Fatal(err)
	}
	plan, err := access.PlanShareChange(access.PlanInput{Share: k2, GuestName: fx.guest.Name, ClientName: fx.c1.Name,
		ClientCases: []casescribe.Case{fx.k1, fx.k2}, GuestCaseShares: []casescribe.Share{fx.share, k2}},
		access.ShareChange{Scope: casescribe.ScopeClient})
	if err != nil {
		t.Fatal(err)
	}
	// Meanwhile k1 is deleted, with its share, and its content purged.
	if err := s.DeleteCase(ctx, fx.org.ID, fx.c1.ID, fx.k1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PurgeCase(ctx, fx.org.ID, fx.k1.ID); err != nil {
		t.Fatal(err)
	}
	before := fx.snapshot(t, db, table)
	if err := s.ApplyShareChange(ctx, k2, plan); casescribe.ErrorCode(err) != casescribe.ECONFLICT {
		t.Errorf("apply an expansion planned before a case was deleted: err = %v, want %s", err, casescribe.ECONFLICT)
	}
	if d := lineDiff(before, fx.snapshot(t, db, table)); d != "" {
		t.Errorf("a refused change changed the stored state:\n%s", d)
	}
}
