package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
	"github.com/oklog/ulid/v2"
)

func TestMain(m *testing.M) {
	code := m.Run()
	localstack.StopTestStack()
	os.Exit(code)
}

func id() string { return ulid.Make().String() }

var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// fixture is a table with one organization, its clients, and memberships in the old shape.
type fixture struct {
	db      *dynamodb.Client
	table   string
	s       *store.Store
	org     casescribe.Organization
	clients []string
	// guests are the guests with a legacy list, and the shares each should end up with.
	guests map[string]int
}

// newFixture writes three guests with legacy lists (one naming a deleted client), a member
// with one, and a guest in the current shape: 4 memberships to migrate into 6 shares.
func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	stack := localstack.ForTest(t)
	f := fixture{db: stack.DynamoDB(), table: localstack.NewTestTable(t), guests: map[string]int{}}
	f.s = store.New(f.db, f.table)
	founder := casescribe.User{ID: "user-" + id(), Email: "alice@harborvale.example", Name: "Alice"}
	f.org = casescribe.Organization{ID: id(), Name: "Harbor & Vale LLP", CreatedAt: now, CreatedBy: founder.ID}
	if err := f.s.CreateOrganization(ctx, f.org, founder); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		c := casescribe.Client{OrgID: f.org.ID, ID: id(), Name: "Client", CreatedAt: now, UpdatedAt: now}
		if err := f.s.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		f.clients = append(f.clients, c.ID)
	}
	a, b, c, gone := f.clients[0], f.clients[1], f.clients[2], f.clients[3]
	if err := f.s.DeleteClient(ctx, f.org.ID, gone); err != nil {
		t.Fatal(err)
	}
	f.guests[f.putMembership(t, casescribe.RoleGuest, []string{a, b})] = 2
	f.guests[f.putMembership(t, casescribe.RoleGuest, []string{b, gone})] = 1
	f.guests[f.putMembership(t, casescribe.RoleGuest, []string{a, b, c})] = 3
	f.putMembership(t, casescribe.RoleMember, []string{a})
	f.putMembership(t, casescribe.RoleGuest, nil)
	return f
}

// putMembership writes a membership as stored before case sharing, with its email
// reservation, and returns the user's id.
func (f fixture) putMembership(t *testing.T, role casescribe.Role, list []string) string {
	t.Helper()
	userID := "user-" + id()
	email := strings.ToLower(id()) + "@expertmed.example"
	member := map[string]any{
		"PK": "ORG#" + f.org.ID, "SK": "MEMBER#" + userID, "GSI1PK": "USER#" + userID, "GSI1SK": "ORG#" + f.org.ID,
		"type": "membership", "orgId": f.org.ID, "orgName": f.org.Name, "userId": userID, "email": email,
		"name": "Guest", "role": string(role), "status": "active", "createdAt": now,
	}
	if list != nil {
		member["visibleClients"] = list
	}
	marker := map[string]any{"PK": "ORG#" + f.org.ID, "SK": "EMAIL#" + email, "type": "email", "email": email, "userId": userID}
	for _, item := range []map[string]any{member, marker} {
		av, err := attributevalue.MarshalMap(item)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &f.table, Item: av}); err != nil {
			t.Fatal(err)
		}
	}
	return userID
}

// add sums the counts of two runs.
func add(a, b Totals) Totals {
	return Totals{Pages: a.Pages + b.Pages, Scanned: a.Scanned + b.Scanned, Migrated: a.Migrated + b.Migrated,
		Created: a.Created + b.Created, Conflicts: a.Conflicts + b.Conflicts, Next: b.Next, Done: b.Done}
}

// A run stopped after its first page and resumed with its token migrates everything once;
// a second full run finds nothing left.
func TestRunStopsAndResumes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)

	var out bytes.Buffer
	first, err := run(ctx, f.db, Options{Table: f.table, PageSize: 1, MaxPages: 1}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if first.Pages != 1 || first.Done || first.Next == "" {
		t.Fatalf("first run = %+v; want one page and a resume token", first)
	}
	if !strings.Contains(out.String(), "-from "+first.Next) {
		t.Errorf("output %q does not print the resume token", out.String())
	}
	total := first
	// Resume repeatedly, a few pages at a time, as an operator stopping and starting would.
	for rounds := 0; !total.Done; rounds++ {
		if rounds > 100 {
			t.Fatalf("no end of table after %d pages", total.Pages)
		}
		next, err := run(ctx, f.db, Options{Table: f.table, From: total.Next, PageSize: 1, MaxPages: 3}, &out)
		if err != nil {
			t.Fatal(err)
		}
		total = add(total, next)
	}
	want := Totals{Scanned: 4, Migrated: 4, Created: 6}
	if total.Scanned != want.Scanned || total.Migrated != want.Migrated || total.Created != want.Created || total.Conflicts != 0 {
		t.Errorf("totals = %+v, want %+v", total, want)
	}
	for guest, n := range f.guests {
		m, err := f.s.GetMembership(ctx, f.org.ID, guest)
		if err != nil || len(m.LegacyVisibleClients) != 0 {
			t.Errorf("guest %s: %+v, %v; want no legacy list", guest, m, err)
		}
		grants, err := f.s.GuestGrants(ctx, f.org.ID, guest)
		if err != nil || len(grants) != n {
			t.Errorf("guest %s: %d grants (%v), want %d", guest, len(grants), err, n)
		}
		for _, g := range grants {
			if g.ClientShareID == "" {
				t.Errorf("guest %s: grant %+v is not a client share", guest, g)
			}
		}
	}

	again, err := run(ctx, f.db, Options{Table: f.table, PageSize: 100}, &out)
	if err != nil || !again.Done || again.Scanned != 0 || again.Created != 0 {
		t.Errorf("second full run = %+v, %v; want nothing found, nothing created", again, err)
	}
}

// The command itself, flags to report, against DynamoDB Local.
func TestMigrateCommand(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	endpoint := localstack.ForTest(t).DynamoDBEndpoint
	tests := []struct {
		name    string
		args    []string
		wantErr string
		wantOut string
	}{
		{name: "no table", args: []string{"-endpoint", endpoint}, wantErr: "-table is required"},
		{name: "bad page size", args: []string{"-table", f.table, "-endpoint", endpoint, "-page-size", "0"}, wantErr: "-page-size"},
		{name: "bad token", args: []string{"-table", f.table, "-endpoint", endpoint, "-from", "bm90IGEgdG9rZW4"}, wantErr: "bad resume token"},
		{name: "one page", args: []string{"-table", f.table, "-endpoint", endpoint, "-page-size", "1", "-max-pages", "1"},
			wantOut: "continue with -from "},
		{name: "the rest", args: []string{"-table", f.table, "-endpoint", endpoint},
			wantOut: "memberships scanned"},
		{name: "nothing left", args: []string{"-table", f.table, "-endpoint", endpoint},
			wantOut: "total: 1 pages, 0 memberships scanned, 0 migrated, 0 shares created, 0 conflicts to retry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := migrate(ctx, tt.args, &out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("migrate = %v, output %q; want %q", err, out.String(), tt.wantOut)
			}
		})
	}
	for guest, n := range f.guests {
		grants, err := f.s.GuestGrants(ctx, f.org.ID, guest)
		if err != nil || len(grants) != n {
			t.Errorf("guest %s: %d grants (%v), want %d", guest, len(grants), err, n)
		}
	}
}

func TestResumeToken(t *testing.T) {
	lek := map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "ORG#01J"},
		"SK": &types.AttributeValueMemberS{Value: "MEMBER#user-1"},
	}
	token, err := encodeToken(lek)
	if err != nil || token == "" {
		t.Fatalf("encodeToken = %q, %v", token, err)
	}
	tests := []struct {
		name    string
		token   string
		wantErr bool
	}{
		{name: "as printed", token: token},
		{name: "none", token: ""},
		{name: "not base64", token: "%%%", wantErr: true},
		{name: "not JSON", token: "bm90IGpzb24", wantErr: true},                             // "not json"
		{name: "no sort key", token: "eyJQSyI6Ik9SRyMwMUoifQ", wantErr: true},               // {"PK":"ORG#01J"}
		{name: "another key", token: "eyJQSyI6IngiLCJTSyI6InkiLCJaIjoieiJ9", wantErr: true}, // {"PK":"x","SK":"y","Z":"z"}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeToken(tt.token)
			if tt.wantErr != (err != nil) {
				t.Fatalf("decodeToken = %v, %v; want error %v", got, err, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, errBadToken) {
				t.Errorf("err = %v, want errBadToken", err)
			}
			if tt.token == token && attributeS(got["SK"]) != "MEMBER#user-1" {
				t.Errorf("round trip = %v, want the key encoded", got)
			}
		})
	}
}

func attributeS(av types.AttributeValue) string {
	s, _ := av.(*types.AttributeValueMemberS)
	if s == nil {
		return ""
	}
	return s.Value
}

// A resume token never carries an email address, and its key lies after the email items of its
// partition and before its grants, invitations and memberships.
func TestTokenCarriesNoEmail(t *testing.T) {
	lek := map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "ORG#01JD5X8Z3K9G7W2M4N6P8Q0R1S"},
		"SK": &types.AttributeValueMemberS{Value: "EMAIL#erin@example.com"},
	}
	token, err := encodeToken(lek)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(token)
	if strings.Contains(string(raw), "erin") || strings.Contains(string(raw), "@") {
		t.Errorf("token %s carries the address", raw)
	}
	key, err := decodeToken(token)
	if err != nil {
		t.Fatal(err)
	}
	sk := key["SK"].(*types.AttributeValueMemberS).Value
	if sk <= "EMAIL#erin@example.com" || sk <= "EMAIL#zoë@exämple.com" || sk >= "GRANT#" {
		t.Errorf("resume key %q does not sort between the email items and the grants", sk)
	}
}
