package store_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
)

// rawTable is a store with direct access to its table, to write items in shapes the store no
// longer writes and to read what it stored attribute by attribute.
type rawTable struct {
	s     *store.Store
	db    *dynamodb.Client
	table string
}

func newRawTable(t *testing.T) rawTable {
	t.Helper()
	db := localstack.ForTest(t).DynamoDB()
	table := localstack.NewTestTable(t)
	return rawTable{s: store.New(db, table), db: db, table: table}
}

// putLegacyMembership writes a membership as it was stored before case sharing: with a
// visibleClients list (when list is not nil) and no shareCount, beside its email reservation.
func (r rawTable) putLegacyMembership(t *testing.T, org casescribe.Organization, role casescribe.Role, list []string) casescribe.Membership {
	t.Helper()
	userID := "user-" + id()
	email := strings.ToLower(id()) + "@expertmed.example"
	member := map[string]any{
		"PK": "ORG#" + org.ID, "SK": "MEMBER#" + userID, "GSI1PK": "USER#" + userID, "GSI1SK": "ORG#" + org.ID,
		"type": "membership", "orgId": org.ID, "orgName": org.Name, "userId": userID, "email": email,
		"name": "Dan Expert", "role": string(role), "status": "active", "createdAt": now,
	}
	if list != nil {
		member["visibleClients"] = list
	}
	marker := map[string]any{"PK": "ORG#" + org.ID, "SK": "EMAIL#" + email, "type": "email", "email": email, "userId": userID}
	for _, item := range []map[string]any{member, marker} {
		av, err := attributevalue.MarshalMap(item)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &r.table, Item: av}); err != nil {
			t.Fatalf("put legacy item: %v", err)
		}
	}
	m, err := r.s.GetMembership(context.Background(), org.ID, userID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// rawMembership returns the stored membership item as is.
func (r rawTable) rawMembership(t *testing.T, orgID, userID string) map[string]types.AttributeValue {
	t.Helper()
	res, err := r.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &r.table,
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "ORG#" + orgID},
			"SK": &types.AttributeValueMemberS{Value: "MEMBER#" + userID},
		}, ConsistentRead: aws.Bool(true)})
	if err != nil || res.Item == nil {
		t.Fatalf("raw membership: %v (found %v)", err, res != nil && res.Item != nil)
	}
	return res.Item
}

// shareCount reads the stored share counter of a membership; an absent one counts 0.
func shareCount(t *testing.T, item map[string]types.AttributeValue) int {
	t.Helper()
	v, ok := item["shareCount"].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(v.Value)
	if err != nil {
		t.Fatalf("shareCount %q: %v", v.Value, err)
	}
	return n
}

func (r rawTable) newClient(t *testing.T, orgID string) string {
	t.Helper()
	c := casescribe.Client{OrgID: orgID, ID: id(), Name: "Client", CreatedAt: now, UpdatedAt: now}
	if err := r.s.CreateClient(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// shareNow shares the first case of client (case scope) or the client itself with m's guest,
// the current way.
func (r rawTable) shareNow(t *testing.T, m casescribe.Membership, clientID string, scope casescribe.ShareScope) casescribe.Share {
	t.Helper()
	ctx := context.Background()
	sh := casescribe.Share{OrgID: m.OrgID, ID: id(), GuestID: m.UserID, GuestName: m.Name, GuestEmail: m.Email,
		Scope: scope, ClientID: clientID, Version: 1, CreatedBy: "user-admin", CreatedAt: now, UpdatedAt: now}
	if scope == casescribe.ScopeCase {
		k := casescribe.Case{OrgID: m.OrgID, ID: id(), ClientID: clientID, Name: "Knee MRI", CreatedAt: now, UpdatedAt: now}
		if err := r.s.CreateCase(ctx, k); err != nil {
			t.Fatal(err)
		}
		sh.CaseID = k.ID
	}
	if err := r.s.CreateShare(ctx, sh); err != nil {
		t.Fatalf("CreateShare: %v", err)
	}
	return sh
}

func TestMigrateLegacyShares(t *testing.T) {
	ctx := context.Background()
	r := newRawTable(t)
	org, _ := newOrg(t, r.s, "Harbor & Vale LLP")

	tests := []struct {
		name string
		role casescribe.Role
		live int // clients created and listed
		// deleted lists a client that was deleted since, duplicate lists the first one twice.
		deleted, duplicate bool
		// before shares the first client with the guest the current way, in this scope.
		before         casescribe.ShareScope
		noList         bool
		wantCreated    int
		wantShareCount int
	}{
		{name: "guest: two clients and a deleted one", role: casescribe.RoleGuest, live: 2, deleted: true,
			wantCreated: 2, wantShareCount: 2},
		{name: "guest: a case of the first client already shared", role: casescribe.RoleGuest, live: 2,
			before: casescribe.ScopeCase, wantCreated: 1, wantShareCount: 2},
		{name: "guest: the first client already shared", role: casescribe.RoleGuest, live: 2,
			before: casescribe.ScopeClient, wantCreated: 1, wantShareCount: 2},
		{name: "guest: a client listed twice", role: casescribe.RoleGuest, live: 2, duplicate: true,
			wantCreated: 2, wantShareCount: 2},
		{name: "guest: more clients than one transaction holds", role: casescribe.RoleGuest, live: 40,
			wantCreated: 40, wantShareCount: 40},
		{name: "member: the list only goes", role: casescribe.RoleMember, live: 2},
		{name: "admin: the list only goes", role: casescribe.RoleAdmin, live: 1, deleted: true},
		{name: "guest without a list", role: casescribe.RoleGuest, noList: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var clients, list []string
			for range tt.live {
				clients = append(clients, r.newClient(t, org.ID))
			}
			list = append(list, clients...)
			if tt.duplicate {
				list = append(list, clients[0])
			}
			if tt.deleted {
				gone := r.newClient(t, org.ID)
				if err := r.s.DeleteClient(ctx, org.ID, gone); err != nil {
					t.Fatal(err)
				}
				list = append(list, gone)
			}
			if tt.noList {
				list = nil
			}
			m := r.putLegacyMembership(t, org, tt.role, list)
			var before casescribe.Share
			if tt.before != "" {
				before = r.shareNow(t, m, clients[0], tt.before)
			}

			created, err := r.s.MigrateLegacyShares(ctx, m, id, now)
			if err != nil || created != tt.wantCreated {
				t.Fatalf("MigrateLegacyShares = %d, %v; want %d", created, err, tt.wantCreated)
			}
			raw := r.rawMembership(t, org.ID, m.UserID)
			if _, ok := raw["visibleClients"]; ok {
				t.Errorf("the legacy list is still stored: %v", raw["visibleClients"])
			}
			if got := shareCount(t, raw); got != tt.wantShareCount {
				t.Errorf("membership shareCount = %d, want %d", got, tt.wantShareCount)
			}
			again, err := r.s.GetMembership(ctx, org.ID, m.UserID)
			if err != nil || len(again.LegacyVisibleClients) != 0 {
				t.Fatalf("membership after migration = %+v, %v; want no legacy list", again, err)
			}
			if created, err := r.s.MigrateLegacyShares(ctx, again, id, now); err != nil || created != 0 {
				t.Errorf("second migration = %d, %v; want 0, nil", created, err)
			}

			for i, clientID := range clients {
				g, err := r.s.GetGrant(ctx, org.ID, m.UserID, clientID)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case tt.role != casescribe.RoleGuest || tt.noList:
					if g.ClientShareID != "" || len(g.Cases) != 0 {
						t.Errorf("client %d: grant %+v, want none", i, g)
					}
				case i == 0 && tt.before == casescribe.ScopeCase:
					if g.ClientShareID != "" || g.Cases[before.CaseID].ShareID != before.ID {
						t.Errorf("client %d: grant %+v, want only the earlier case share", i, g)
					}
				case i == 0 && tt.before == casescribe.ScopeClient:
					if g.ClientShareID != before.ID {
						t.Errorf("client %d: grant %+v, want the earlier client share %s", i, g, before.ID)
					}
				default:
					sh, err := r.s.GetShare(ctx, org.ID, g.ClientShareID)
					want := casescribe.Share{OrgID: org.ID, ID: g.ClientShareID, GuestID: m.UserID, GuestName: m.Name,
						GuestEmail: m.Email, Scope: casescribe.ScopeClient, ClientID: clientID, Version: 1,
						CreatedBy: "migration", CreatedAt: now, UpdatedAt: now}
					if err != nil || g.ClientShareID == "" || sh.ID != want.ID || sh.GuestID != want.GuestID ||
						sh.GuestName != want.GuestName || sh.GuestEmail != want.GuestEmail || sh.Scope != want.Scope ||
						sh.ClientID != want.ClientID || sh.Version != want.Version || sh.CreatedBy != want.CreatedBy ||
						!sh.CreatedAt.Equal(now) {
						t.Errorf("client %d: share %+v, %v; want %+v", i, sh, err, want)
					}
					c, err := r.s.GetClient(ctx, org.ID, clientID)
					if err != nil || c.ShareCount != 1 {
						t.Errorf("client %d: shareCount %d, %v; want 1", i, c.ShareCount, err)
					}
				}
			}
		})
	}
}

// Concurrent migrations of one membership (the authorizer on parallel first requests, the
// command) make each share once: the losers are refused by the list's condition.
func TestMigrateLegacySharesRace(t *testing.T) {
	ctx := context.Background()
	r := newRawTable(t)
	org, _ := newOrg(t, r.s, "Harbor & Vale LLP")
	var list []string
	for range 3 {
		list = append(list, r.newClient(t, org.ID))
	}
	m := r.putLegacyMembership(t, org, casescribe.RoleGuest, list)

	var (
		mu    sync.Mutex
		total int
		wg    sync.WaitGroup
	)
	for range 6 {
		wg.Go(func() {
			created, err := r.s.MigrateLegacyShares(ctx, m, id, now)
			if err != nil && code(err) != casescribe.ECONFLICT {
				t.Errorf("concurrent migration: %v, want nil or conflict", err)
			}
			mu.Lock()
			total += created
			mu.Unlock()
		})
	}
	wg.Wait()
	// Every racer may have lost to another's transaction: a rerun on a fresh read finishes.
	fresh, err := r.s.GetMembership(ctx, org.ID, m.UserID)
	if err != nil {
		t.Fatal(err)
	}
	created, err := r.s.MigrateLegacyShares(ctx, fresh, id, now)
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if total += created; total != len(list) {
		t.Errorf("shares made = %d, want %d", total, len(list))
	}
	if got := shareCount(t, r.rawMembership(t, org.ID, m.UserID)); got != len(list) {
		t.Errorf("membership shareCount = %d, want %d", got, len(list))
	}
	// The read taken before the migration is stale now: using it again is a conflict.
	if _, err := r.s.MigrateLegacyShares(ctx, m, id, now); code(err) != casescribe.ECONFLICT {
		t.Errorf("migration from a stale read: err = %v, want conflict", err)
	}
}
