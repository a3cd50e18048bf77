package store

import (
	"encoding/json"
	"time"

	"github.com/casescribe/sharing/pkg/audit"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// Item structs mirror what is stored, with their keys; domain types never carry keys. The
// conversions below are the only place the two meet.

// orgItem counts its admins so that removing or demoting the last one is refused by a
// condition, race-free.
type orgItem struct {
	PK         string    `dynamodbav:"PK"`
	SK         string    `dynamodbav:"SK"`
	Type       string    `dynamodbav:"type"`
	ID         string    `dynamodbav:"id"`
	Name       string    `dynamodbav:"name"`
	AdminCount int       `dynamodbav:"adminCount"`
	CreatedAt  time.Time `dynamodbav:"createdAt"`
	CreatedBy  string    `dynamodbav:"createdBy"`
}

func newOrgItem(o casescribe.Organization) orgItem {
	return orgItem{PK: orgPK(o.ID), SK: orgSortKey, Type: typeOrg, ID: o.ID, Name: o.Name,
		AdminCount: 1, CreatedAt: o.CreatedAt, CreatedBy: o.CreatedBy}
}

func (i orgItem) domain() casescribe.Organization {
	return casescribe.Organization{ID: i.ID, Name: i.Name, CreatedAt: i.CreatedAt, CreatedBy: i.CreatedBy}
}

// membershipItem is stored in the organization's partition (the authorizer's one GetItem) and
// indexed by user in GSI1 (the organization picker). OrgName is copied in so that the picker
// is one query; no route renames an organization yet.
type membershipItem struct {
	PK        string    `dynamodbav:"PK"`
	SK        string    `dynamodbav:"SK"`
	GSI1PK    string    `dynamodbav:"GSI1PK"`
	GSI1SK    string    `dynamodbav:"GSI1SK"`
	Type      string    `dynamodbav:"type"`
	OrgID     string    `dynamodbav:"orgId"`
	OrgName   string    `dynamodbav:"orgName"`
	UserID    string    `dynamodbav:"userId"`
	Email     string    `dynamodbav:"email"`
	Name      string    `dynamodbav:"name"`
	Role      string    `dynamodbav:"role"`
	Status    string    `dynamodbav:"status"`
	CreatedAt time.Time `dynamodbav:"createdAt"`
	// ShareCount counts the person's shares here, so that removing them can be conditioned on
	// deleting every one.
	ShareCount int `dynamodbav:"shareCount"`
	// VisibleClients is the retired client-level sharing, still on memberships written before
	// case sharing; it is migrated into client-scope shares.
	VisibleClients []string `dynamodbav:"visibleClients,omitempty"`
}

func newMembershipItem(m casescribe.Membership) membershipItem {
	return membershipItem{PK: orgPK(m.OrgID), SK: memberSK(m.UserID),
		GSI1PK: userPK(m.UserID), GSI1SK: membershipIndexSK(m.OrgID), Type: typeMember,
		OrgID: m.OrgID, OrgName: m.OrgName, UserID: m.UserID, Email: m.Email, Name: m.Name,
		Role: string(m.Role), Status: string(m.Status), CreatedAt: m.CreatedAt}
}

func (i membershipItem) domain() casescribe.Membership {
	return casescribe.Membership{OrgID: i.OrgID, OrgName: i.OrgName, UserID: i.UserID,
		Email: i.Email, Name: i.Name, Role: casescribe.Role(i.Role),
		Status: casescribe.MembershipStatus(i.Status), CreatedAt: i.CreatedAt,
		LegacyVisibleClients: i.VisibleClients}
}

// profileItem is the product's record of a login: the name it gave, which a Cognito ID token
// does not carry. It sits in GSI1 beside the memberships so that GET /me is one query.
type profileItem struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	GSI1PK string `dynamodbav:"GSI1PK"`
	GSI1SK string `dynamodbav:"GSI1SK"`
	Type   string `dynamodbav:"type"`
	ID     string `dynamodbav:"id"`
	Email  string `dynamodbav:"email"`
	Name   string `dynamodbav:"name"`
}

func (i profileItem) domain() casescribe.User {
	return casescribe.User{ID: i.ID, Email: i.Email, Name: i.Name}
}

// clientItem counts its cases so that deleting a client with cases can be refused by a
// condition, race-free, instead of by a query that a concurrent create could outrun.
type clientItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Type      string `dynamodbav:"type"`
	OrgID     string `dynamodbav:"orgId"`
	ID        string `dynamodbav:"id"`
	Name      string `dynamodbav:"name"`
	CaseCount int    `dynamodbav:"caseCount"`
	// ShareCount counts the client-scope shares of the client.
	ShareCount int       `dynamodbav:"shareCount"`
	CreatedAt  time.Time `dynamodbav:"createdAt"`
	UpdatedAt  time.Time `dynamodbav:"updatedAt"`
}

func newClientItem(c casescribe.Client) clientItem {
	return clientItem{PK: orgPK(c.OrgID), SK: clientSK(c.ID), Type: typeClient, OrgID: c.OrgID,
		ID: c.ID, Name: c.Name, CaseCount: c.CaseCount, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func (i clientItem) domain() casescribe.Client {
	return casescribe.Client{OrgID: i.OrgID, ID: i.ID, Name: i.Name, CaseCount: i.CaseCount,
		ShareCount: i.ShareCount, CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt}
}

// caseItem lives in the organization's partition (one GetItem by id) and in its client's GSI1
// partition (the client's case list).
type caseItem struct {
	PK       string `dynamodbav:"PK"`
	SK       string `dynamodbav:"SK"`
	GSI1PK   string `dynamodbav:"GSI1PK"`
	GSI1SK   string `dynamodbav:"GSI1SK"`
	Type     string `dynamodbav:"type"`
	OrgID    string `dynamodbav:"orgId"`
	ID       string `dynamodbav:"id"`
	ClientID string `dynamodbav:"clientId"`
	Name     string `dynamodbav:"name"`
	// ShareCount counts the case-scope shares of the case (the "Share · 2" badge counts its
	// client's client shares too).
	ShareCount int       `dynamodbav:"shareCount"`
	CreatedAt  time.Time `dynamodbav:"createdAt"`
	UpdatedAt  time.Time `dynamodbav:"updatedAt"`
}

func newCaseItem(c casescribe.Case) caseItem {
	return caseItem{PK: orgPK(c.OrgID), SK: caseSK(c.ID), GSI1PK: clientCasesKey(c.OrgID, c.ClientID),
		GSI1SK: caseSK(c.ID), Type: typeCase, OrgID: c.OrgID, ID: c.ID, ClientID: c.ClientID,
		Name: c.Name, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func (i caseItem) domain() casescribe.Case {
	return casescribe.Case{OrgID: i.OrgID, ID: i.ID, ClientID: i.ClientID, Name: i.Name,
		ShareCount: i.ShareCount, CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt}
}

// inviteItem is a pending invitation. TTL only cleans it up a while after it expired; expiry
// itself is checked on every read.
type inviteItem struct {
	PK          string    `dynamodbav:"PK"`
	SK          string    `dynamodbav:"SK"`
	Type        string    `dynamodbav:"type"`
	OrgID       string    `dynamodbav:"orgId"`
	OrgName     string    `dynamodbav:"orgName"`
	ID          string    `dynamodbav:"id"`
	Email       string    `dynamodbav:"email"`
	Name        string    `dynamodbav:"name"`
	Role        string    `dynamodbav:"role"`
	InvitedBy   string    `dynamodbav:"invitedBy"`
	InviterName string    `dynamodbav:"inviterName"`
	TokenHash   string    `dynamodbav:"tokenHash"`
	Issue       int       `dynamodbav:"issue"`
	IssuedAt    time.Time `dynamodbav:"issuedAt"`
	ExpiresAt   time.Time `dynamodbav:"expiresAt"`
	MailStatus  string    `dynamodbav:"mailStatus"`
	RequestKey  string    `dynamodbav:"requestKey,omitempty"`
	CreatedAt   time.Time `dynamodbav:"createdAt"`
	TTL         int64     `dynamodbav:"ttl"`
}

// cleanupAfter is how long an expired invitation stays (listed as expired, so that it can be
// resent) before TTL removes it.
const cleanupAfter = 30 * 24 * time.Hour

func newInviteItem(i casescribe.Invitation) inviteItem {
	return inviteItem{PK: orgPK(i.OrgID), SK: inviteSK(i.ID), Type: typeInvite, OrgID: i.OrgID,
		OrgName: i.OrgName, ID: i.ID, Email: i.Email, Name: i.Name, Role: string(i.Role),
		InvitedBy: i.InvitedBy, InviterName: i.InviterName, TokenHash: i.TokenHash, Issue: i.Issue,
		IssuedAt: i.IssuedAt, ExpiresAt: i.ExpiresAt, MailStatus: i.MailStatus, RequestKey: i.RequestKey,
		CreatedAt: i.CreatedAt, TTL: i.ExpiresAt.Add(cleanupAfter).Unix()}
}

func (i inviteItem) domain() casescribe.Invitation {
	return casescribe.Invitation{OrgID: i.OrgID, OrgName: i.OrgName, ID: i.ID, Email: i.Email,
		Name: i.Name, Role: casescribe.Role(i.Role), InvitedBy: i.InvitedBy, InviterName: i.InviterName,
		TokenHash: i.TokenHash, Issue: i.Issue, IssuedAt: i.IssuedAt, ExpiresAt: i.ExpiresAt,
		MailStatus: i.MailStatus, RequestKey: i.RequestKey, CreatedAt: i.CreatedAt}
}

// emailItem reserves one email address in one organization, for a member (UserID) or a
// pending invitation (InvitationID).
type emailItem struct {
	PK           string `dynamodbav:"PK"`
	SK           string `dynamodbav:"SK"`
	Type         string `dynamodbav:"type"`
	Email        string `dynamodbav:"email"`
	UserID       string `dynamodbav:"userId,omitempty"`
	InvitationID string `dynamodbav:"invitationId,omitempty"`
	TTL          int64  `dynamodbav:"ttl,omitempty"`
}

func memberEmailItem(orgID, email, userID string) emailItem {
	return emailItem{PK: orgPK(orgID), SK: emailSK(email), Type: typeEmail, Email: email, UserID: userID}
}

func inviteEmailItem(i casescribe.Invitation) emailItem {
	return emailItem{PK: orgPK(i.OrgID), SK: emailSK(i.Email), Type: typeEmail, Email: i.Email,
		InvitationID: i.ID, TTL: i.ExpiresAt.Add(cleanupAfter).Unix()}
}

// shareItem is a share as managed: who, what, by whom, which version. It is indexed in its
// client's GSI1 partition beside the client's cases, for the people-with-access lists.
type shareItem struct {
	PK         string    `dynamodbav:"PK"`
	SK         string    `dynamodbav:"SK"`
	GSI1PK     string    `dynamodbav:"GSI1PK"`
	GSI1SK     string    `dynamodbav:"GSI1SK"`
	Type       string    `dynamodbav:"type"`
	OrgID      string    `dynamodbav:"orgId"`
	ID         string    `dynamodbav:"id"`
	GuestID    string    `dynamodbav:"guestId"`
	GuestName  string    `dynamodbav:"guestName"`
	GuestEmail string    `dynamodbav:"guestEmail"`
	Scope      string    `dynamodbav:"scope"`
	ClientID   string    `dynamodbav:"clientId"`
	CaseID     string    `dynamodbav:"caseId,omitempty"`
	ViewID     string    `dynamodbav:"viewId,omitempty"`
	ChatIDs    []string  `dynamodbav:"chatIds,omitempty"`
	Version    int       `dynamodbav:"version"`
	CreatedBy  string    `dynamodbav:"createdBy"`
	CreatedAt  time.Time `dynamodbav:"createdAt"`
	UpdatedAt  time.Time `dynamodbav:"updatedAt"`
	// ExpiresAt, RemindedFor and Since are absent when zero.
	ExpiresAt   *time.Time `dynamodbav:"expiresAt,omitempty"`
	RemindedFor *time.Time `dynamodbav:"remindedFor,omitempty"`
	Since       *time.Time `dynamodbav:"since,omitempty"`
	// GSI2PK and GSI2SK index a share with an end in the expiry index (see expiryKey).
	GSI2PK string `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK string `dynamodbav:"GSI2SK,omitempty"`
}

func newShareItem(sh casescribe.Share) shareItem {
	it := shareItem{PK: orgPK(sh.OrgID), SK: shareSK(sh.ID), GSI1PK: clientCasesKey(sh.OrgID, sh.ClientID),
		GSI1SK: shareSK(sh.ID), Type: typeShare, OrgID: sh.OrgID, ID: sh.ID, GuestID: sh.GuestID,
		GuestName: sh.GuestName, GuestEmail: sh.GuestEmail, Scope: string(sh.Scope), ClientID: sh.ClientID,
		CaseID: sh.CaseID, ViewID: sh.ViewID, ChatIDs: sh.ChatIDs, Version: sh.Version,
		CreatedBy: sh.CreatedBy, CreatedAt: sh.CreatedAt, UpdatedAt: sh.UpdatedAt,
		ExpiresAt: optionalTime(sh.ExpiresAt), RemindedFor: optionalTime(sh.RemindedFor), Since: optionalTime(sh.Since)}
	if !sh.ExpiresAt.IsZero() {
		it.GSI2PK, it.GSI2SK = expiryKey(sh.OrgID, sh.ID, sh.ExpiresAt)
	}
	return it
}

func (i shareItem) domain() casescribe.Share {
	return casescribe.Share{OrgID: i.OrgID, ID: i.ID, GuestID: i.GuestID, GuestName: i.GuestName,
		GuestEmail: i.GuestEmail, Scope: casescribe.ShareScope(i.Scope), ClientID: i.ClientID,
		CaseID: i.CaseID, ViewID: i.ViewID, ChatIDs: i.ChatIDs, Version: i.Version,
		CreatedBy: i.CreatedBy, CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt,
		ExpiresAt: timeOf(i.ExpiresAt), RemindedFor: timeOf(i.RemindedFor), Since: timeOf(i.Since)}
}

// optionalTime stores a zero time as no attribute at all.
func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// caseGrantValue is a grant's entry for one shared case.
type caseGrantValue struct {
	ShareID   string     `dynamodbav:"shareId"`
	ViewID    string     `dynamodbav:"viewId,omitempty"`
	ChatIDs   []string   `dynamodbav:"chatIds,omitempty"`
	ExpiresAt *time.Time `dynamodbav:"expiresAt,omitempty"`
}

// newCaseGrantValue is the grant entry of a case share: what an access check needs of it,
// its end included, so that the check enforces the end without reading the share.
func newCaseGrantValue(sh casescribe.Share) caseGrantValue {
	return caseGrantValue{ShareID: sh.ID, ViewID: sh.ViewID, ChatIDs: sh.ChatIDs, ExpiresAt: optionalTime(sh.ExpiresAt)}
}

// auditItem is one entry of an organization's audit chain. Its time is kept in a fixed-width
// UTC text that sorts as it reads (for the time filter), and before and after as the very JSON
// text that was hashed.
type auditItem struct {
	PK         string   `dynamodbav:"PK"`
	SK         string   `dynamodbav:"SK"`
	Type       string   `dynamodbav:"type"`
	OrgID      string   `dynamodbav:"orgId"`
	Seq        int64    `dynamodbav:"seq"`
	At         string   `dynamodbav:"at"`
	ActorID    string   `dynamodbav:"actorId"`
	ActorName  string   `dynamodbav:"actorName"`
	ActorRole  string   `dynamodbav:"actorRole"`
	Action     string   `dynamodbav:"action"`
	TargetKind string   `dynamodbav:"targetKind"`
	TargetID   string   `dynamodbav:"targetId"`
	CaseIDs    []string `dynamodbav:"caseIds"`
	UserIDs    []string `dynamodbav:"userIds"`
	Before     *string  `dynamodbav:"before,omitempty"`
	After      *string  `dynamodbav:"after,omitempty"`
	PrevHash   string   `dynamodbav:"prevHash"`
	Hash       string   `dynamodbav:"hash"`
}

func newAuditItem(e audit.Entry) auditItem {
	return auditItem{PK: orgPK(e.OrgID), SK: auditSK(e.Seq), Type: typeAudit, OrgID: e.OrgID,
		Seq: e.Seq, At: auditTime(e.At), ActorID: e.Actor.UserID, ActorName: e.Actor.Name,
		ActorRole: e.Actor.Role, Action: e.Action, TargetKind: e.Target.Kind, TargetID: e.Target.ID,
		CaseIDs: audit.IDs(e.CaseIDs...), UserIDs: audit.IDs(e.UserIDs...),
		Before: rawText(e.Before), After: rawText(e.After), PrevHash: e.PrevHash, Hash: e.Hash}
}

// domain returns the entry as stored. A time that does not parse is left zero: the entry's hash
// then no longer matches, and verify reports it.
func (i auditItem) domain() audit.Entry {
	at, _ := time.Parse(expirySortLayout, i.At)
	return audit.Entry{Seq: i.Seq, PrevHash: i.PrevHash, Hash: i.Hash, Record: audit.Record{
		OrgID: i.OrgID, At: at, Action: i.Action,
		Actor:   audit.Actor{UserID: i.ActorID, Name: i.ActorName, Role: i.ActorRole},
		Target:  audit.Target{Kind: i.TargetKind, ID: i.TargetID},
		CaseIDs: i.CaseIDs, UserIDs: i.UserIDs, Before: rawOf(i.Before), After: rawOf(i.After)}}
}

// auditTime is an entry's time as stored: UTC, fixed width, nanoseconds.
func auditTime(t time.Time) string { return t.UTC().Format(expirySortLayout) }

func rawText(raw json.RawMessage) *string {
	if len(raw) == 0 {
		return nil
	}
	s := string(raw)
	return &s
}

func rawOf(s *string) json.RawMessage {
	if s == nil {
		return nil
	}
	return json.RawMessage(*s)
}

// auditHeadItem is the last entry of an organization's audit chain: every append is
// conditioned on it, so that of concurrent appends exactly one takes each seq.
type auditHeadItem struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Type string `dynamodbav:"type"`
	Seq  int64  `dynamodbav:"seq"`
	Hash string `dynamodbav:"hash"`
}
