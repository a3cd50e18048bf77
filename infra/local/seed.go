package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
	"github.com/oklog/ulid/v2"
)

// demoPassword is the password of every seeded account. These accounts exist only in the
// local cognito-local pool.
const demoPassword = "CaseScribe-demo-2026"

// account is a seeded login, as written to .local/stack.json.
type account struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
	UserID   string `json:"userId"`
	// Roles maps organization names to this login's role there.
	Roles map[string]casescribe.Role `json:"roles"`
}

// demoOrg is a seeded organization.
type demoOrg struct {
	ID      string              `json:"id"`
	Name    string              `json:"name"`
	Clients map[string][]string `json:"-"`
}

type demo struct {
	Accounts      []*account `json:"accounts"`
	Organizations []*demoOrg `json:"organizations"`
}

// pendingInvitee is invited by the seed through the API itself, so that its email waits in
// aws-ses-v2-local's inbox; the person has no login yet.
const pendingInvitee = "erin@cocounsel.example"

// invitePending sends the demo's pending invitation as the first firm's admin, through the
// same handler and authorizer a client reaches.
func invitePending(ctx context.Context, h http.Handler, cog *cip.Client, clientID string, d *demo) error {
	admin, org := d.Accounts[0], d.Organizations[0]
	token, _, err := localstack.SignIn(ctx, cog, clientID, admin.Email, admin.Password)
	if err != nil {
		return fmt.Errorf("seed invitation: %w", err)
	}
	body := `{"email":"` + pendingInvitee + `","name":"Erin Cole","role":"guest"}`
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/invitations", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Org-Id", org.ID)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		return fmt.Errorf("seed invitation: %d %s", rec.Code, rec.Body.String())
	}
	return nil
}

// seed creates the demo logins in Cognito and the demo firms in the table: a firm with an
// admin and a member, and a second firm where the same admin login is a guest.
func seed(ctx context.Context, st *store.Store, cog *cip.Client, poolID string) (*demo, error) {
	alice := &account{Email: "alice@harborvale.example", Name: "Alice Harbor"}
	bob := &account{Email: "bob@harborvale.example", Name: "Bob Vale"}
	carol := &account{Email: "carol@northside.example", Name: "Carol North"}
	dan := &account{Email: "dan@expertmed.example", Name: "Dan Expert"}
	d := &demo{Accounts: []*account{alice, bob, carol, dan}}
	for _, a := range d.Accounts {
		sub, err := localstack.CreateUser(ctx, cog, poolID, a.Email, demoPassword)
		if err != nil {
			return nil, fmt.Errorf("seed user %s: %w", a.Email, err)
		}
		a.UserID, a.Password, a.Roles = sub, demoPassword, map[string]casescribe.Role{}
	}

	firms := []struct {
		org     *demoOrg
		founder *account
		others  map[*account]casescribe.Role
		clients []struct {
			name  string
			cases []string
		}
	}{
		{
			org: &demoOrg{Name: "Harbor & Vale LLP"}, founder: alice,
			others: map[*account]casescribe.Role{bob: casescribe.RoleMember, dan: casescribe.RoleGuest},
			clients: []struct {
				name  string
				cases []string
			}{
				{"Smith, John", []string{"Knee MRI", "Back injury"}},
				{"Doe, Jane", []string{"Car accident"}},
			},
		},
		{
			org: &demoOrg{Name: "Northside Medical Law"}, founder: carol,
			others: map[*account]casescribe.Role{alice: casescribe.RoleGuest},
			clients: []struct {
				name  string
				cases []string
			}{
				{"Garcia, Maria", []string{"Hip replacement"}},
			},
		},
	}
	now := time.Now().UTC()
	for _, f := range firms {
		f.org.ID = ulid.Make().String()
		org := casescribe.Organization{ID: f.org.ID, Name: f.org.Name, CreatedAt: now, CreatedBy: f.founder.UserID}
		if err := st.CreateOrganization(ctx, org, casescribe.User{ID: f.founder.UserID, Email: f.founder.Email, Name: f.founder.Name}); err != nil {
			return nil, fmt.Errorf("seed %s: %w", f.org.Name, err)
		}
		f.founder.Roles[f.org.Name] = casescribe.RoleAdmin
		for a, role := range f.others {
			m := casescribe.Membership{OrgID: org.ID, OrgName: org.Name, UserID: a.UserID, Email: a.Email,
				Name: a.Name, Role: role, Status: casescribe.StatusActive, CreatedAt: now}
			if err := st.PutMembership(ctx, m); err != nil {
				return nil, fmt.Errorf("seed membership in %s: %w", f.org.Name, err)
			}
			a.Roles[f.org.Name] = role
		}
		for _, c := range f.clients {
			client := casescribe.Client{OrgID: org.ID, ID: ulid.Make().String(), Name: c.name, CreatedAt: now, UpdatedAt: now}
			if err := st.CreateClient(ctx, client); err != nil {
				return nil, fmt.Errorf("seed client: %w", err)
			}
			for _, name := range c.cases {
				k := casescribe.Case{OrgID: org.ID, ID: ulid.Make().String(), ClientID: client.ID, Name: name, CreatedAt: now, UpdatedAt: now}
				if err := st.CreateCase(ctx, k); err != nil {
					return nil, fmt.Errorf("seed case: %w", err)
				}
			}
		}
		d.Organizations = append(d.Organizations, f.org)
	}
	return d, nil
}
