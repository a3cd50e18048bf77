package access

import (
	"testing"
	"time"

	"github.com/casescribe/sharing/pkg/casescribe"
)

func TestThroughMembership(t *testing.T) {
	k := casescribe.Case{OrgID: org, ID: "k1", ClientID: "c1"}
	tests := []struct {
		name string
		m    casescribe.Membership
		want bool
	}{
		{"admin", casescribe.Membership{OrgID: org, UserID: "a", Role: casescribe.RoleAdmin, Status: casescribe.StatusActive}, true},
		{"member", casescribe.Membership{OrgID: org, UserID: "m", Role: casescribe.RoleMember, Status: casescribe.StatusActive}, true},
		{"invited member", casescribe.Membership{OrgID: org, UserID: "m", Role: casescribe.RoleMember, Status: casescribe.StatusInvited}, false},
		{"guest", casescribe.Membership{OrgID: org, UserID: "g", Role: casescribe.RoleGuest, Status: casescribe.StatusActive}, false},
		{"admin of another organization", casescribe.Membership{OrgID: "other", UserID: "a", Role: casescribe.RoleAdmin, Status: casescribe.StatusActive}, false},
	}
	for _, tt := range tests {
		if got := ThroughMembership(tt.m, k); got != tt.want {
			t.Errorf("%s: ThroughMembership = %v, want %v", tt.name, got, tt.want)
		}
		// Every case of the membership's own organization, whichever that is.
		if got, want := SeesEveryCase(tt.m), tt.m.Role.Staff() && tt.m.Status == casescribe.StatusActive; got != want {
			t.Errorf("%s: SeesEveryCase = %v, want %v", tt.name, got, want)
		}
	}
}

func TestShareOpens(t *testing.T) {
	guest := casescribe.Membership{OrgID: org, UserID: "g", Role: casescribe.RoleGuest, Status: casescribe.StatusActive}
	invited := guest
	invited.Status = casescribe.StatusInvited
	member := guest
	member.Role = casescribe.RoleMember
	early, late := noon.Add(-48*time.Hour), noon.Add(-time.Hour)
	k1 := casescribe.Case{OrgID: org, ID: "k1", ClientID: "c1", CreatedAt: early.Add(-time.Hour)}
	kLater := casescribe.Case{OrgID: org, ID: "k2", ClientID: "c1", CreatedAt: late}
	kOther := casescribe.Case{OrgID: org, ID: "k3", ClientID: "c2", CreatedAt: early}
	caseShare := casescribe.Share{OrgID: org, ID: "s1", GuestID: "g", Scope: casescribe.ScopeCase, ClientID: "c1", CaseID: "k1", CreatedAt: early.Add(-time.Minute), Since: early}
	clientShare := casescribe.Share{OrgID: org, ID: "s2", GuestID: "g", Scope: casescribe.ScopeClient, ClientID: "c1", CreatedAt: early}
	ending := caseShare
	ending.ExpiresAt = noon
	tests := []struct {
		name      string
		m         casescribe.Membership
		sh        casescribe.Share
		k         casescribe.Case
		now       time.Time
		wantOK    bool
		wantSince time.Time
	}{
		{"case share, its case", guest, caseShare, k1, noon, true, early},
		{"case share, another case of the client", guest, caseShare, kLater, noon, false, time.Time{}},
		{"client share, older case", guest, clientShare, k1, noon, true, early},
		{"client share, case created after the share", guest, clientShare, kLater, noon, true, late},
		{"client share, another client", guest, clientShare, kOther, noon, false, time.Time{}},
		{"before the end", guest, ending, k1, noon.Add(-time.Nanosecond), true, early},
		{"exactly at the end", guest, ending, k1, noon, false, time.Time{}},
		{"after the end", guest, ending, k1, noon.Add(time.Second), false, time.Time{}},
		{"someone else's share", casescribe.Membership{OrgID: org, UserID: "h", Role: casescribe.RoleGuest, Status: casescribe.StatusActive}, caseShare, k1, noon, false, time.Time{}},
		{"invitation not accepted", invited, caseShare, k1, noon, false, time.Time{}},
		{"not a guest", member, caseShare, k1, noon, false, time.Time{}},
		{"case of another organization", guest, caseShare, casescribe.Case{OrgID: "other", ID: "k1", ClientID: "c1"}, noon, false, time.Time{}},
	}
	for _, tt := range tests {
		since, ok := ShareOpens(tt.m, tt.sh, tt.k, tt.now)
		if ok != tt.wantOK || !since.Equal(tt.wantSince) {
			t.Errorf("%s: ShareOpens = %v, %v; want %v, %v", tt.name, since, ok, tt.wantSince, tt.wantOK)
		}
	}
}

func TestOpensCase(t *testing.T) {
	knee := casescribe.Case{ID: "knee", ClientID: "smith"}
	for _, tt := range []struct {
		name string
		sh   casescribe.Share
		want bool
	}{
		{"its case", casescribe.Share{Scope: casescribe.ScopeCase, ClientID: "smith", CaseID: "knee"}, true},
		{"another case", casescribe.Share{Scope: casescribe.ScopeCase, ClientID: "smith", CaseID: "back"}, false},
		{"its client", casescribe.Share{Scope: casescribe.ScopeClient, ClientID: "smith"}, true},
		{"another client", casescribe.Share{Scope: casescribe.ScopeClient, ClientID: "doe"}, false},
	} {
		if got := OpensCase(tt.sh, knee); got != tt.want {
			t.Errorf("%s: OpensCase = %v, want %v", tt.name, got, tt.want)
		}
	}
}
