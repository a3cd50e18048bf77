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
	sibling := casescribe.Case{OrgID: org, ID: "k2", ClientID: "c1"}
	other := "01JORG0000000000000000000B"
	guest := caller(casescribe.RoleGuest)
	caseShare := GrantsOf(casescribe.Grant{ClientID: "c1", Cases: map[string]casescribe.CaseGrant{"k1": {ShareID: "s1", ViewID: "v1"}}})
	clientShare := GrantsOf(casescribe.Grant{ClientID: "c1", ClientShareID: "s2"})
	elsewhere := GrantsOf(casescribe.Grant{ClientID: "c9", ClientShareID: "s3"})
	tests := []struct {
		name                  string
		c                     casescribe.Caller
		g                     Grants
		client, kase, sibling bool
	}{
		{"admin", caller(casescribe.RoleAdmin), nil, true, true, true},
		{"member", caller(casescribe.RoleMember), nil, true, true, true},
		{"guest with nothing shared", guest, nil, false, false, false},
		{"guest with a case share", guest, caseShare, true, true, false},
		{"guest with the client's share", guest, clientShare, true, true, true},
		{"guest with another client's share", guest, elsewhere, false, false, false},
		{"guest of another organization", casescribe.Caller{UserID: "x", OrgID: other, Role: casescribe.RoleGuest}, clientShare, false, false, false},
		{"admin of another organization", casescribe.Caller{UserID: "x", OrgID: other, Role: casescribe.RoleAdmin}, nil, false, false, false},
		{"no organization", casescribe.Caller{UserID: "x", Role: casescribe.RoleAdmin}, nil, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SeesClient(tt.c, client, tt.g); got != tt.client {
				t.Errorf("SeesClient = %v, want %v", got, tt.client)
			}
			if got := SeesCase(tt.c, kase, tt.g); got != tt.kase {
				t.Errorf("SeesCase = %v, want %v", got, tt.kase)
			}
			if got := SeesCase(tt.c, sibling, tt.g); got != tt.sibling {
				t.Errorf("SeesCase(sibling) = %v, want %v", got, tt.sibling)
			}
		})
	}
	if scope, view, ok := CaseAccess(kase, caseShare); !ok || scope != casescribe.ScopeCase || view != "v1" {
		t.Errorf("CaseAccess(case share) = %v %q %v", scope, view, ok)
	}
	if scope, view, ok := CaseAccess(sibling, clientShare); !ok || scope != casescribe.ScopeClient || view != "" {
		t.Errorf("CaseAccess(client share) = %v %q %v", scope, view, ok)
	}
	if _, _, ok := CaseAccess(sibling, caseShare); ok {
		t.Error("CaseAccess grants a sibling of a shared case")
	}
}

func TestCheckNewShare(t *testing.T) {
	active := casescribe.Membership{Role: casescribe.RoleGuest, Status: casescribe.StatusActive}
	pending := casescribe.Membership{Role: casescribe.RoleGuest, Status: casescribe.StatusInvited}
	member := casescribe.Membership{Role: casescribe.RoleMember, Status: casescribe.StatusActive}
	tests := []struct {
		name   string
		scope  casescribe.ShareScope
		view   string
		chats  []string
		target casescribe.Membership
		want   string
	}{
		{"case", casescribe.ScopeCase, "", nil, active, ""},
		{"case with view and chats", casescribe.ScopeCase, "v", []string{"c"}, active, ""},
		{"client", casescribe.ScopeClient, "", nil, active, ""},
		{"client with a view", casescribe.ScopeClient, "v", nil, active, casescribe.EINVALID},
		{"client with chats", casescribe.ScopeClient, "", []string{"c"}, active, casescribe.EINVALID},
		{"unknown scope", "org", "", nil, active, casescribe.EINVALID},
		{"member target", casescribe.ScopeCase, "", nil, member, casescribe.EINVALID},
		{"pending guest", casescribe.ScopeCase, "", nil, pending, casescribe.EINVITATIONPENDING},
	}
	for _, tt := range tests {
		if got := casescribe.ErrorCode(CheckNewShare(tt.scope, tt.view, tt.chats, tt.target)); got != tt.want {
			t.Errorf("%s: CheckNewShare = %q, want %q", tt.name, got, tt.want)
		}
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
		{ListShares, "", "", casescribe.EGUESTRESTRICTED},
		{CreateShare, "", "", casescribe.EGUESTRESTRICTED},
		{ReadShare, "", "", casescribe.EGUESTRESTRICTED},
		{RemoveShare, "", "", casescribe.EGUESTRESTRICTED},
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
