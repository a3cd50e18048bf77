package casescribe

import "time"

// Role is what a person may do in one organization. The same login can hold a different role
// in each organization it belongs to.
type Role string

// The roles of DESIGN §2.
const (
	RoleAdmin  Role = "admin"  // manages the organization's users and everything else
	RoleMember Role = "member" // an end user of the firm: works on clients and cases
	RoleGuest  Role = "guest"  // an outside reviewer: sees only what is shared
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	return r == RoleAdmin || r == RoleMember || r == RoleGuest
}

// Staff reports whether r belongs to the firm itself (admin or member), as opposed to a guest.
func (r Role) Staff() bool {
	return r == RoleAdmin || r == RoleMember
}

// MembershipStatus tells whether a person has accepted their invitation.
type MembershipStatus string

// Membership states: invited until the invitation is accepted, then active.
const (
	StatusInvited MembershipStatus = "invited"
	StatusActive  MembershipStatus = "active"
)

// Caller is who makes a request, in which organization and with which role. It is built only
// from the authorizer's verdict, never from a path or a body. OrgID and Role are empty on the
// few routes that run outside any organization (GET /me, POST /orgs, accepting an invitation).
type Caller struct {
	UserID string
	Email  string
	// EmailVerified says the identity provider checked that the caller owns Email.
	EmailVerified bool
	OrgID         string
	Role          Role
	// Name is how the organization knows the caller (from the membership), shown beside what
	// they write: comments, documents, the case summary, exports.
	Name string
}

// User is one login (one Cognito user) as the product knows it.
type User struct {
	ID    string
	Email string
	Name  string
}

// Organization is a firm.
type Organization struct {
	ID        string
	Name      string
	CreatedAt time.Time
	CreatedBy string
}

// Membership ties a user to one organization with a role.
type Membership struct {
	OrgID     string
	OrgName   string
	UserID    string
	Email     string
	Name      string
	Role      Role
	Status    MembershipStatus
	CreatedAt time.Time
	// LegacyVisibleClients are clients shared the retired way (a list on the membership), not
	// yet migrated into client-scope shares.
	LegacyVisibleClients []string
}

// Client is a client of a firm; cases belong to it.
type Client struct {
	OrgID     string
	ID        string
	Name      string
	CaseCount int
	// ShareCount counts the client-scope shares of the client.
	ShareCount int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Case is one legal matter of a client.
type Case struct {
	OrgID    string
	ID       string
	ClientID string
	Name     string
	// ShareCount counts the case-scope shares of the case.
	ShareCount int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Page is one page of a list and the opaque cursor of the next one ("" on the last page).
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// Invitation asks a person, by email, to join an organization with a role. It is pending until
// accepted (then it is gone and a Membership exists) or revoked. Each issue of it has its own
// token; reissuing makes the previous token worthless.
type Invitation struct {
	OrgID       string
	OrgName     string
	ID          string
	Email       string
	Name        string
	Role        Role
	InvitedBy   string
	InviterName string
	// TokenHash is the SHA-256 of the current token; the token itself is never stored.
	TokenHash string
	// Issue counts the tokens issued so far; each issue is emailed at most once.
	Issue     int
	IssuedAt  time.Time
	ExpiresAt time.Time
	// MailStatus says whether the current issue's email went out: sent or failed.
	MailStatus string
	// RequestKey is the SHA-256 of the Idempotency-Key of the request that made the current
	// issue, so that a retry of that request is answered without a new token or email.
	RequestKey string
	CreatedAt  time.Time
}

// Mail states of an invitation's current issue.
const (
	MailSent   = "sent"
	MailFailed = "failed"
)

// Expired reports whether the invitation can no longer be accepted at now.
func (i Invitation) Expired(now time.Time) bool {
	return !now.Before(i.ExpiresAt)
}

// ShareScope is how much a share opens to a guest.
type ShareScope string

// The two scopes of a share.
const (
	ScopeCase   ShareScope = "case"   // "Just this case": one case
	ScopeClient ShareScope = "client" // "All cases for client": every case of the client, now and later
)

// Valid reports whether s is a known scope.
func (s ShareScope) Valid() bool { return s == ScopeCase || s == ScopeClient }

// Share gives one guest access to one case, or to every case of one client.
type Share struct {
	OrgID      string
	ID         string
	GuestID    string
	GuestName  string
	GuestEmail string
	Scope      ShareScope
	ClientID   string
	// CaseID is set for case scope only.
	CaseID string
	// ViewID limits a case share to one saved view of the case; "" for the whole case.
	ViewID string
	// ChatIDs are chats of the case shared with the guest (case scope only).
	ChatIDs []string
	// Version counts changes, for optimistic concurrency.
	Version   int
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	// ExpiresAt ends the share's access at that instant; zero for a share without an end. It
	// is enforced by every access check at the moment of the request; the scheduled sweep
	// removes the share afterwards.
	ExpiresAt time.Time
	// RemindedFor is the expiry whose advance warning went out (zero: none yet), so that each
	// expiry is announced once, and again if the expiry is moved.
	RemindedFor time.Time
	// Since is when the share began opening what it opens now: when it was added, moved to
	// another case or expanded to the whole client.
	Since time.Time
}

// Expired reports whether the share no longer opens anything at now: its end is now or past.
func (s Share) Expired(now time.Time) bool {
	return Ended(s.ExpiresAt, now)
}

// Ended reports whether access ending at expiresAt (zero: never) has ended at now: from the
// very instant of its end.
func Ended(expiresAt, now time.Time) bool {
	return !expiresAt.IsZero() && !now.Before(expiresAt)
}

// Opened is when the share began opening what it opens now: Since, or CreatedAt for a share
// stored before Since was kept.
func (s Share) Opened() time.Time {
	if s.Since.IsZero() {
		return s.CreatedAt
	}
	return s.Since
}

// Grant is what one guest may open in one client, derived from their shares and stored with
// them, so that one read answers an access check.
type Grant struct {
	ClientID string
	// ClientShareID is the guest's client-scope share of the client, "" if none.
	ClientShareID string
	// ClientShareExpiresAt is when the client share ends; zero if it does not.
	ClientShareExpiresAt time.Time
	// Cases maps a case id to the guest's case-scope share of it.
	Cases map[string]CaseGrant
}

// CaseGrant is a guest's case-scope share of one case.
type CaseGrant struct {
	ShareID string
	ViewID  string
	// ChatIDs are the chats of the case the share lists.
	ChatIDs []string
	// ExpiresAt is when the share ends; zero if it does not.
	ExpiresAt time.Time
}
