package access

import (
	"testing"

	"github.com/casescribe/sharing/pkg/casescribe"
)

const org = "01JORG0000000000000000000A"

func caller(role casescribe.Role) casescribe.Caller {
	return casescribe.Caller{UserID: "u-" + string(role), OrgID: org, Role: role}
}

func TestPermit(t *testing.T) {
	var (
		admin    = caller(casescribe.RoleAdmin)
		member   = caller(casescribe.RoleMember)
		guest    = caller(casescribe.RoleGuest)
		noOrg    = casescribe.Caller{UserID: "u1"}
		nobody   = casescribe.Caller{}
		badRole  = casescribe.Caller{UserID: "u1", OrgID: org, Role: "owner"}
		writes   = []Action{CreateClient, UpdateClient, DeleteClient, CreateCase, UpdateCase, DeleteCase}
		reads    = []Action{ListClients, ReadClient, ListCases, ReadCase}
		orgFree  = []Action{ReadProfile, CreateOrganization}
		allOrgAc = append(append([]Action{}, writes...), reads...)
	)
	type check struct {
		c      casescribe.Caller
		a      Action
		wantOK string // "" when allowed, else the error code
	}
	var tests []check
	for _, a := range writes {
		tests = append(tests,
			check{admin, a, ""}, check{member, a, ""},
			check{guest, a, casescribe.EGUESTRESTRICTED}, check{badRole, a, casescribe.EFORBIDDEN})
	}
	for _, a := range reads {
		tests = append(tests, check{admin, a, ""}, check{member, a, ""}, check{guest, a, ""},
			check{badRole, a, casescribe.EFORBIDDEN})
	}
	for _, a := range allOrgAc {
		tests = append(tests, check{noOrg, a, casescribe.EORGREQUIRED}, check{nobody, a, casescribe.EUNAUTHENTICATED})
	}
	for _, a := range orgFree {
		tests = append(tests, check{noOrg, a, ""}, check{guest, a, ""}, check{nobody, a, casescribe.EUNAUTHENTICATED})
	}
	tests = append(tests, check{admin, Action("case.teleport"), casescribe.EFORBIDDEN})
	for _, tt := range tests {
		got := casescribe.ErrorCode(Permit(tt.c, tt.a))
		if got != tt.wantOK {
			t.Errorf("Permit(%s/%s, %s) = %q, want %q", tt.c.Role, tt.c.OrgID, tt.a, got, tt.wantOK)
		}
	}
}

func TestEveryActionHasARuleAndNeed(t *testing.T) {
	for _, a := range Actions() {
		if !a.Known() {
			t.Errorf("%s: not known", a)
		}
	}
	tests := []struct {
		a    Action
		want Need
	}{
		{ReadProfile, NeedSignIn},
		{CreateOrganization, NeedSignIn},
		{ReadCase, NeedOrganization},
		{Action("unknown"), NeedOrganization},
	}
	for _, tt := range tests {
		if got := tt.a.Needs(); got != tt.want {
			t.Errorf("%s.Needs() = %v, want %v", tt.a, got, tt.want)
		}
	}
}

func TestVisibility(t *testing.T) {
	client := casescribe.Client{OrgID: org, ID: "c1"}
	kase := casescribe.Case{OrgID: org, ID: "k1", ClientID: "c1"}
	other := "01JORG0000000000000000000B"
	tests := []struct {
		name string
		c    casescribe.Caller
		want bool
	}{
		{"admin", caller(casescribe.RoleAdmin), true},
		{"member", caller(casescribe.RoleMember), true},
		// No share can exist yet, so a guest sees nothing.
		{"guest", caller(casescribe.RoleGuest), false},
		{"admin of another organization", casescribe.Caller{UserID: "x", OrgID: other, Role: casescribe.RoleAdmin}, false},
		{"no organization", casescribe.Caller{UserID: "x", Role: casescribe.RoleAdmin}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SeesClient(tt.c, client); got != tt.want {
				t.Errorf("SeesClient = %v, want %v", got, tt.want)
			}
			if got := SeesCase(tt.c, kase); got != tt.want {
				t.Errorf("SeesCase = %v, want %v", got, tt.want)
			}
			if got := ListsEverything(tt.c); got != (tt.want || tt.name == "admin of another organization") {
				t.Errorf("ListsEverything = %v", got)
			}
		})
	}
}

func TestInvitationFor(t *testing.T) {
	verified := casescribe.Caller{UserID: "u", Email: "erin@example.com", EmailVerified: true}
	unverified := verified
	unverified.EmailVerified = false
	tests := []struct {
		name    string
		invited string
		c       casescribe.Caller
		want    bool
	}{
		{"same address", "erin@example.com", verified, true},
		{"case differs", "Erin@Example.com", verified, true},
		{"another address", "frank@example.com", verified, false},
		{"address not verified", "erin@example.com", unverified, false},
		{"no address", "", casescribe.Caller{UserID: "u", EmailVerified: true}, false},
	}
	for _, tt := range tests {
		if got := InvitationFor(tt.invited, tt.c); got != tt.want {
			t.Errorf("%s: InvitationFor = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestUserAndInvitationRules(t *testing.T) {
	admin, member, guest := caller(casescribe.RoleAdmin), caller(casescribe.RoleMember), caller(casescribe.RoleGuest)
	tests := []struct {
		a                    Action
		admin, member, guest string
	}{
		{ListUsers, "", "", casescribe.EGUESTRESTRICTED},
		{ReadUser, "", "", casescribe.EGUESTRESTRICTED},
		{UpdateUser, "", casescribe.EFORBIDDEN, casescribe.EGUESTRESTRICTED},
		{RemoveUser, "", casescribe.EFORBIDDEN, casescribe.EGUESTRESTRICTED},
		{CreateInvitation, "", casescribe.EFORBIDDEN, casescribe.EGUESTRESTRICTED},
		{ListInvitations, "", casescribe.EFORBIDDEN, casescribe.EGUESTRESTRICTED},
		{ResendInvitation, "", casescribe.EFORBIDDEN, casescribe.EGUESTRESTRICTED},
		{RevokeInvitation, "", casescribe.EFORBIDDEN, casescribe.EGUESTRESTRICTED},
		{AcceptInvitation, "", "", ""},
		{LookupInvitation, "", "", ""},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			who  casescribe.Caller
			want string
		}{{admin, tt.admin}, {member, tt.member}, {guest, tt.guest}} {
			if got := casescribe.ErrorCode(Permit(c.who, tt.a)); got != c.want {
				t.Errorf("Permit(%s, %s) = %q, want %q", c.who.Role, tt.a, got, c.want)
			}
		}
	}
	if err := Permit(casescribe.Caller{}, LookupInvitation); err != nil {
		t.Errorf("lookup without sign-in: %v", err)
	}
	if code := casescribe.ErrorCode(Permit(casescribe.Caller{}, AcceptInvitation)); code != casescribe.EUNAUTHENTICATED {
		t.Errorf("accept without sign-in: %q", code)
	}
}
