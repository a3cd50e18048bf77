package auth

import (
	"context"
	"fmt"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/oklog/ulid/v2"
)

// Memberships is what the authorizer needs from storage: one read of one membership, and
// the one-time migration of a membership still in the shape of the retired client sharing.
type Memberships interface {
	// GetMembership returns ENOTFOUND if the user does not belong to the organization.
	GetMembership(ctx context.Context, orgID, userID string) (casescribe.Membership, error)
	// HasPendingInvitation reports whether email was invited and has not accepted yet.
	HasPendingInvitation(ctx context.Context, orgID, email string) (bool, error)
	// MigrateMembership turns m's retired client list (LegacyVisibleClients) into client
	// shares and removes it. Returns ECONFLICT if m changed since it was read, e.g. because
	// a concurrent request migrated it.
	MigrateMembership(ctx context.Context, m casescribe.Membership) error
}

// TokenVerifier verifies a sign-in token; *Verifier implements it.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (Identity, error)
}

// Authorizer decides who a request comes from and with which role in its organization. The
// authorizer Lambda and the local server's middleware both run it.
type Authorizer struct {
	tokens      TokenVerifier
	memberships Memberships
}

// NewAuthorizer returns an Authorizer.
func NewAuthorizer(tokens TokenVerifier, memberships Memberships) *Authorizer {
	return &Authorizer{tokens: tokens, memberships: memberships}
}

// Authenticate verifies the Authorization header and, when the route needs an organization,
// reads the caller's membership in orgID (the X-Org-Id header) with one GetItem. There is no
// cache: a removed member or a changed role is seen on the very next request.
//
// Returns EUNAUTHENTICATED for a missing or bad token; EORGREQUIRED when the route needs an
// organization and none was sent; ENOTMEMBER when the caller has no membership there, or the
// id is not one we could have issued; EINVITATIONPENDING when the membership is not accepted
// yet. Routes that need no organization ignore X-Org-Id.
//
// A membership still carrying the retired client list is migrated into client shares first,
// once, so that what it shared keeps working from the very request that finds it.
func (a *Authorizer) Authenticate(ctx context.Context, authorization, orgID string, need access.Need) (casescribe.Caller, error) {
	if need == access.NeedNothing {
		return casescribe.Caller{}, nil
	}
	token, err := BearerToken(authorization)
	if err != nil {
		return casescribe.Caller{}, err
	}
	id, err := a.tokens.Verify(ctx, token)
	if err != nil {
		return casescribe.Caller{}, err
	}
	caller := casescribe.Caller{UserID: id.UserID, Email: id.Email, EmailVerified: id.EmailVerified}
	if need == access.NeedSignIn {
		return caller, nil
	}
	if orgID == "" {
		return casescribe.Caller{}, casescribe.Errorf(casescribe.EORGREQUIRED, "Choose an organization: send its id in the X-Org-Id header.")
	}
	if _, err := ulid.ParseStrict(orgID); err != nil {
		return casescribe.Caller{}, notMember()
	}
	m, err := a.memberships.GetMembership(ctx, orgID, id.UserID)
	if casescribe.ErrorCode(err) == casescribe.ENOTFOUND {
		// Only a refusal costs a second read: it says why, to someone who has the invitation.
		if pending, err := a.memberships.HasPendingInvitation(ctx, orgID, id.Email); err == nil && pending {
			return casescribe.Caller{}, pendingInvitation()
		}
		return casescribe.Caller{}, notMember()
	}
	if err != nil {
		return casescribe.Caller{}, fmt.Errorf("authorize: %w", err)
	}
	switch {
	case m.Status == casescribe.StatusInvited:
		return casescribe.Caller{}, pendingInvitation()
	case m.Status != casescribe.StatusActive || !m.Role.Valid():
		return casescribe.Caller{}, notMember()
	}
	if len(m.LegacyVisibleClients) > 0 {
		// A conflict means the membership, a client or a grant changed since the read, most
		// often because a concurrent request (or the migration command) migrated it first. The
		// request proceeds on what is stored; anything left is migrated on the next one.
		if err := a.memberships.MigrateMembership(ctx, m); err != nil && casescribe.ErrorCode(err) != casescribe.ECONFLICT {
			return casescribe.Caller{}, fmt.Errorf("authorize: migrate legacy sharing: %w", err)
		}
	}
	caller.OrgID, caller.Role, caller.Name = orgID, m.Role, m.Name
	return caller, nil
}

// notMember is the same answer for an unknown organization and for one the caller is not in,
// so that it tells nothing about which organizations exist.
func notMember() error {
	return casescribe.Errorf(casescribe.ENOTMEMBER, "You are not a member of this organization.")
}

func pendingInvitation() error {
	return casescribe.Errorf(casescribe.EINVITATIONPENDING, "Accept the invitation to this organization first; it was sent by email.")
}
