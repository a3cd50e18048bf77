package auth

import (
	"context"
	"errors"
	"testing"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/oklog/ulid/v2"
)

// fixedTokens accepts any token as one identity.
type fixedTokens struct{ id Identity }

func (f fixedTokens) Verify(context.Context, string) (Identity, error) { return f.id, nil }

// oneMembership holds one membership and records migrations asked of it.
type oneMembership struct {
	m          casescribe.Membership
	migrateErr error
	migrated   []casescribe.Membership
}

func (o *oneMembership) GetMembership(_ context.Context, orgID, userID string) (casescribe.Membership, error) {
	if orgID != o.m.OrgID || userID != o.m.UserID {
		return casescribe.Membership{}, casescribe.Errorf(casescribe.ENOTFOUND, "Membership not found.")
	}
	return o.m, nil
}

func (o *oneMembership) HasPendingInvitation(context.Context, string, string) (bool, error) {
	return false, nil
}

func (o *oneMembership) MigrateMembership(_ context.Context, m casescribe.Membership) error {
	o.migrated = append(o.migrated, m)
	return o.migrateErr
}

// The retired client list is migrated on the membership's first use; a lost race with another
// migration does not fail the request, any other failure does.
func TestAuthenticateMigratesLegacySharing(t *testing.T) {
	orgID := ulid.Make().String()
	tests := []struct {
		name        string
		role        casescribe.Role
		status      casescribe.MembershipStatus
		list        []string
		migrateErr  error
		wantMigrate bool
		wantCode    string
	}{
		{name: "no list", role: casescribe.RoleGuest, status: casescribe.StatusActive},
		{name: "guest with a list", role: casescribe.RoleGuest, status: casescribe.StatusActive,
			list: []string{"c1"}, wantMigrate: true},
		{name: "member with a list", role: casescribe.RoleMember, status: casescribe.StatusActive,
			list: []string{"c1"}, wantMigrate: true},
		{name: "migration raced", role: casescribe.RoleGuest, status: casescribe.StatusActive,
			list: []string{"c1"}, migrateErr: casescribe.Errorf(casescribe.ECONFLICT, "raced"), wantMigrate: true},
		{name: "migration failed", role: casescribe.RoleGuest, status: casescribe.StatusActive,
			list: []string{"c1"}, migrateErr: errors.New("dynamodb down"), wantMigrate: true,
			wantCode: casescribe.EINTERNAL},
		{name: "refused membership is not migrated", role: casescribe.RoleGuest, status: casescribe.StatusInvited,
			list: []string{"c1"}, wantCode: casescribe.EINVITATIONPENDING},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &oneMembership{migrateErr: tt.migrateErr, m: casescribe.Membership{OrgID: orgID,
				UserID: "u1", Role: tt.role, Status: tt.status, LegacyVisibleClients: tt.list}}
			a := NewAuthorizer(fixedTokens{Identity{UserID: "u1"}}, store)
			caller, err := a.Authenticate(context.Background(), "Bearer x", orgID, access.NeedOrganization)
			if got := casescribe.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("error code = %q (%v), want %q", got, err, tt.wantCode)
			}
			if got := len(store.migrated) > 0; got != tt.wantMigrate {
				t.Errorf("migrated = %v, want %v", got, tt.wantMigrate)
			}
			if tt.wantCode == "" && (caller.OrgID != orgID || caller.Role != tt.role) {
				t.Errorf("caller = %+v, want role %s in %s", caller, tt.role, orgID)
			}
		})
	}
}
