package store_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

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

// newStore returns a store on a fresh table of DynamoDB Local.
func newStore(t *testing.T) *store.Store {
	t.Helper()
	stack := localstack.ForTest(t)
	return store.New(stack.DynamoDB(), localstack.NewTestTable(t))
}

func id() string { return ulid.Make().String() }

var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// newOrg creates an organization founded by a new user and returns both.
func newOrg(t *testing.T, s *store.Store, name string) (casescribe.Organization, casescribe.User) {
	t.Helper()
	uid := id()
	founder := casescribe.User{ID: "user-" + uid, Email: strings.ToLower(uid) + "@example.com", Name: "Founder"}
	org := casescribe.Organization{ID: id(), Name: name, CreatedAt: now, CreatedBy: founder.ID}
	if err := s.CreateOrganization(context.Background(), org, founder); err != nil {
		t.Fatalf("CreateOrganization: %v", err)
	}
	return org, founder
}

func code(err error) string { return casescribe.ErrorCode(err) }

func TestOrganizationsAndMemberships(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	firmA, alice := newOrg(t, s, "Harbor & Vale LLP")
	firmB, _ := newOrg(t, s, "Northside Medical Law")

	m, err := s.GetMembership(ctx, firmA.ID, alice.ID)
	if err != nil || m.Role != casescribe.RoleAdmin || m.Status != casescribe.StatusActive || m.OrgName != firmA.Name {
		t.Fatalf("founder membership = %+v, %v; want active admin of %s", m, err, firmA.Name)
	}
	if _, err := s.GetMembership(ctx, firmB.ID, alice.ID); code(err) != casescribe.ENOTFOUND {
		t.Fatalf("membership in another firm: err = %v, want not found", err)
	}

	// The same login joins firm B as a guest: one login, two roles.
	guest := casescribe.Membership{OrgID: firmB.ID, OrgName: firmB.Name, UserID: alice.ID, Email: alice.Email,
		Name: "Another name", Role: casescribe.RoleGuest, Status: casescribe.StatusActive, CreatedAt: now}
	if err := s.PutMembership(ctx, guest); err != nil {
		t.Fatalf("PutMembership: %v", err)
	}
	if err := s.PutMembership(ctx, guest); code(err) != casescribe.ECONFLICT {
		t.Errorf("second PutMembership: err = %v, want conflict", err)
	}
	unknownOrg := guest
	unknownOrg.OrgID = id()
	if err := s.PutMembership(ctx, unknownOrg); code(err) != casescribe.ENOTFOUND {
		t.Errorf("PutMembership in unknown org: err = %v, want not found", err)
	}

	user, ms, err := s.UserMemberships(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if user.Name != "Founder" {
		t.Errorf("profile name = %q, want the first name given (Founder)", user.Name)
	}
	roles := map[string]casescribe.Role{}
	for _, m := range ms {
		roles[m.OrgID] = m.Role
	}
	want := map[string]casescribe.Role{firmA.ID: casescribe.RoleAdmin, firmB.ID: casescribe.RoleGuest}
	if len(roles) != len(want) || roles[firmA.ID] != want[firmA.ID] || roles[firmB.ID] != want[firmB.ID] {
		t.Errorf("roles = %v, want %v", roles, want)
	}

	// An organization id cannot be taken twice.
	if err := s.CreateOrganization(ctx, firmA, alice); code(err) != casescribe.ECONFLICT {
		t.Errorf("CreateOrganization with a taken id: err = %v, want conflict", err)
	}
}

func TestClientsAndCases(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	org, _ := newOrg(t, s, "Harbor & Vale LLP")
	other, _ := newOrg(t, s, "Other firm")

	smith := casescribe.Client{OrgID: org.ID, ID: id(), Name: "Smith, John", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateClient(ctx, smith); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateClient(ctx, smith); code(err) != casescribe.ECONFLICT {
		t.Errorf("duplicate client id: err = %v, want conflict", err)
	}
	knee := casescribe.Case{OrgID: org.ID, ID: id(), ClientID: smith.ID, Name: "Knee MRI", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateCase(ctx, knee); err != nil {
		t.Fatal(err)
	}
	orphan := casescribe.Case{OrgID: org.ID, ID: id(), ClientID: id(), Name: "Orphan"}
	if err := s.CreateCase(ctx, orphan); code(err) != casescribe.ENOTFOUND {
		t.Errorf("case of an unknown client: err = %v, want not found", err)
	}
	if _, err := s.GetCase(ctx, org.ID, orphan.ID); code(err) != casescribe.ENOTFOUND {
		t.Errorf("refused case was written: %v", err)
	}

	// Keys are scoped by organization: the same ids under another organization are unknown.
	if _, err := s.GetClient(ctx, other.ID, smith.ID); code(err) != casescribe.ENOTFOUND {
		t.Errorf("client through another org: err = %v, want not found", err)
	}
	if _, err := s.GetCase(ctx, other.ID, knee.ID); code(err) != casescribe.ENOTFOUND {
		t.Errorf("case through another org: err = %v, want not found", err)
	}
	if _, err := s.UpdateCase(ctx, other.ID, knee.ID, "x", now); code(err) != casescribe.ENOTFOUND {
		t.Errorf("update through another org: err = %v, want not found", err)
	}
	if err := s.DeleteCase(ctx, other.ID, smith.ID, knee.ID); code(err) != casescribe.ENOTFOUND {
		t.Errorf("delete through another org: err = %v, want not found", err)
	}

	got, err := s.GetClient(ctx, org.ID, smith.ID)
	if err != nil || got.CaseCount != 1 {
		t.Fatalf("client = %+v, %v; want caseCount 1", got, err)
	}
	if err := s.DeleteClient(ctx, org.ID, smith.ID); code(err) != casescribe.ECONFLICT {
		t.Errorf("delete client with cases: err = %v, want conflict", err)
	}
	renamed, err := s.UpdateCase(ctx, org.ID, knee.ID, "Knee MRI (left)", now.Add(time.Hour))
	if err != nil || renamed.Name != "Knee MRI (left)" || renamed.ClientID != smith.ID || !renamed.UpdatedAt.Equal(now.Add(time.Hour)) {
		t.Errorf("UpdateCase = %+v, %v", renamed, err)
	}
	if err := s.DeleteCase(ctx, org.ID, id(), knee.ID); code(err) != casescribe.ENOTFOUND {
		t.Errorf("delete with the wrong client: err = %v, want not found", err)
	}
	if err := s.DeleteCase(ctx, org.ID, smith.ID, knee.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCase(ctx, org.ID, smith.ID, knee.ID); code(err) != casescribe.ENOTFOUND {
		t.Errorf("second delete: err = %v, want not found", err)
	}
	if err := s.DeleteClient(ctx, org.ID, smith.ID); err != nil {
		t.Errorf("delete empty client: %v", err)
	}
	if err := s.DeleteClient(ctx, org.ID, smith.ID); code(err) != casescribe.ENOTFOUND {
		t.Errorf("delete unknown client: err = %v, want not found", err)
	}
	if _, err := s.UpdateClient(ctx, org.ID, smith.ID, "x", now); code(err) != casescribe.ENOTFOUND {
		t.Errorf("update unknown client: err = %v, want not found", err)
	}
}

func TestPagination(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	org, _ := newOrg(t, s, "Firm")
	other, _ := newOrg(t, s, "Other firm")
	client := casescribe.Client{OrgID: org.ID, ID: id(), Name: "Smith, John"}
	if err := s.CreateClient(ctx, client); err != nil {
		t.Fatal(err)
	}
	// A case in another organization must never show up in this one's lists.
	otherClient := casescribe.Client{OrgID: other.ID, ID: id(), Name: "Elsewhere"}
	if err := s.CreateClient(ctx, otherClient); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCase(ctx, casescribe.Case{OrgID: other.ID, ID: id(), ClientID: otherClient.ID, Name: "Not yours"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for range 7 {
		k := casescribe.Case{OrgID: org.ID, ID: id(), ClientID: client.ID, Name: "Case"}
		if err := s.CreateCase(ctx, k); err != nil {
			t.Fatal(err)
		}
		want[k.ID] = true
	}
	lists := map[string]func(cursor string) (casescribe.Page[casescribe.Case], error){
		"org cases": func(c string) (casescribe.Page[casescribe.Case], error) { return s.ListCases(ctx, org.ID, c, 3) },
		"client cases": func(c string) (casescribe.Page[casescribe.Case], error) {
			return s.ListClientCases(ctx, org.ID, client.ID, c, 3)
		},
	}
	for name, list := range lists {
		t.Run(name, func(t *testing.T) {
			seen := map[string]bool{}
			cursor, pages := "", 0
			for {
				page, err := list(cursor)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, k := range page.Items {
					if !want[k.ID] || seen[k.ID] {
						t.Errorf("unexpected or repeated case %s", k.ID)
					}
					seen[k.ID] = true
				}
				if page.NextCursor == "" || pages > 10 {
					break
				}
				cursor = page.NextCursor
			}
			if len(seen) != len(want) {
				t.Errorf("saw %d cases, want %d", len(seen), len(want))
			}
		})
	}
	// A cursor of one list is refused by another.
	page, err := s.ListCases(ctx, org.ID, "", 3)
	if err != nil || page.NextCursor == "" {
		t.Fatalf("ListCases: %v", err)
	}
	if _, err := s.ListClients(ctx, org.ID, page.NextCursor, 3); code(err) != casescribe.EINVALID {
		t.Errorf("cases cursor on clients: err = %v, want invalid", err)
	}
	clients, err := s.GetClients(ctx, org.ID, []string{client.ID, client.ID, otherClient.ID, id()})
	if err != nil || len(clients) != 1 || clients[client.ID].Name != client.Name {
		t.Errorf("GetClients = %v, %v; want only this org's client", clients, err)
	}
}

// Concurrent case creation and client deletion: the client's case count and its condition
// must leave either a deleted client with no case, or a client holding every created case.
func TestDeleteClientRacesCreateCase(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	org, _ := newOrg(t, s, "Firm")
	for round := range 5 {
		client := casescribe.Client{OrgID: org.ID, ID: id(), Name: "Client"}
		if err := s.CreateClient(ctx, client); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		created := make(chan string, 4)
		for range 4 {
			wg.Go(func() {
				k := casescribe.Case{OrgID: org.ID, ID: id(), ClientID: client.ID, Name: "Case"}
				if s.CreateCase(ctx, k) == nil {
					created <- k.ID
				}
			})
		}
		var deleteErr error
		wg.Go(func() { deleteErr = s.DeleteClient(ctx, org.ID, client.ID) })
		wg.Wait()
		close(created)
		n := len(created)
		page, err := s.ListClientCases(ctx, org.ID, client.ID, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		if deleteErr == nil {
			if n != 0 || len(page.Items) != 0 {
				t.Errorf("round %d: client deleted but %d cases were created", round, n)
			}
			continue
		}
		got, err := s.GetClient(ctx, org.ID, client.ID)
		if err != nil || got.CaseCount != n || len(page.Items) != n {
			t.Errorf("round %d: caseCount %d, listed %d, created %d (%v)", round, got.CaseCount, len(page.Items), n, err)
		}
	}
}
