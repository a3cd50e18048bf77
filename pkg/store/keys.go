package store

import (
	"fmt"
	"strings"
	"time"
)

// All key builders live here. Every partition key of organization data starts with the
// organization, so no key built from a caller's organization can reach another one. The only
// keys led by something else belong to a login itself: its profile and the index of its
// memberships (the organization picker), which hold no organization's records; and the expiry
// index, which only the scheduled sweep reads (no route does): a share with an end is listed
// there under the day it ends, and the sweep acts on each through its organization's keys.
const (
	orgPrefix     = "ORG#"
	userPrefix    = "USER#"
	memberPrefix  = "MEMBER#"
	clientPrefix  = "CLIENT#"
	casePrefix    = "CASE#"
	invitePrefix  = "INVITE#"
	emailPrefix   = "EMAIL#"
	sharePrefix   = "SHARE#"
	grantPrefix   = "GRANT#"
	grantCaseAttr = "case_" // a grant's attribute per shared case: case_<caseId>
	refPrefix     = "REF#"
	factPrefix    = "FACT#"
	viewPrefix    = "VIEW#"
	docPrefix     = "DOC#"
	commentPrefix = "COMMENT#"
	summarySK     = "SUMMARY"
	chatPrefix    = "CHAT#"
	msgPrefix     = "MSG#"
	typeChat      = "chat"
	typeExchange  = "exchange"
	typeRef       = "ref"
	typeFact      = "fact"
	typeView      = "view"
	typeDocument  = "document"
	typeComment   = "comment"
	typeSummary   = "summary"
	orgSortKey    = "ORG"
	profileSK     = "PROFILE"
	indexGSI1     = "GSI1"
	indexGSI2     = "GSI2"
	expiryPrefix  = "EXPIRY#"
	typeOrg       = "organization"
	typeMember    = "membership"
	typeClient    = "client"
	typeCase      = "case"
	typeProfile   = "profile"
	typeInvite    = "invitation"
	typeEmail     = "email"
	typeShare     = "share"
	typeGrant     = "grant"
	keySeparator  = "#"
	auditPrefix   = "AUDIT#"
	auditHeadSK   = "AUDITHEAD"
	typeAudit     = "audit"
	typeAuditHead = "auditHead"
	clientCasesPK = "#" + clientPrefix // ORG#<org>#CLIENT#<client>
)

func orgPK(orgID string) string { return orgPrefix + orgID }

func userPK(userID string) string { return userPrefix + userID }

func memberSK(userID string) string { return memberPrefix + userID }

func clientSK(clientID string) string { return clientPrefix + clientID }

func caseSK(caseID string) string { return casePrefix + caseID }

func inviteSK(invitationID string) string { return invitePrefix + invitationID }

// emailSK is the one item per organization and email address: it says whether that address
// belongs to a member or has a pending invitation, so that neither can be made twice.
func emailSK(email string) string { return emailPrefix + strings.ToLower(email) }

// clientCasesKey is the GSI1 partition of a client's cases.
func clientCasesKey(orgID, clientID string) string {
	return orgPK(orgID) + clientCasesPK + clientID
}

// membershipIndexSK sorts a user's memberships in GSI1 by organization.
func membershipIndexSK(orgID string) string { return orgPK(orgID) }

// idFromKey returns what follows prefix in key, or "" when key does not start with it.
func idFromKey(key, prefix string) string {
	id, ok := strings.CutPrefix(key, prefix)
	if !ok || strings.Contains(id, keySeparator) {
		return ""
	}
	return id
}

func shareSK(shareID string) string { return sharePrefix + shareID }

// grantSK is the one item per guest and client that says what the guest may open in the
// client; an access check reads it alone, strongly consistent.
func grantSK(guestID, clientID string) string { return grantPrefix + guestID + keySeparator + clientID }

// guestGrantsPrefix begins the sort keys of every grant of one guest.
func guestGrantsPrefix(guestID string) string { return grantPrefix + guestID + keySeparator }

// casePK is the partition of one case's content: facts, views, documents, comments and the
// summary. It starts with the organization like every other.
func casePK(orgID, caseID string) string { return orgPK(orgID) + keySeparator + casePrefix + caseID }

// refSK is the item that says which case a fact, view or document id belongs to.
func refSK(id string) string { return refPrefix + id }

func factSK(factID string) string { return factPrefix + factID }

func viewSK(viewID string) string { return viewPrefix + viewID }

func documentSK(documentID string) string { return docPrefix + documentID }

// commentSK sorts a fact's comments together, oldest first.
func commentSK(factID, commentID string) string {
	return commentPrefix + factID + keySeparator + commentID
}

func factCommentsPrefix(factID string) string { return commentPrefix + factID + keySeparator }

func chatSK(chatID string) string { return chatPrefix + chatID }

// exchangeSK sorts a chat's exchanges together, oldest first.
func exchangeSK(chatID, exchangeID string) string {
	return msgPrefix + chatID + keySeparator + exchangeID
}

func chatExchangesPrefix(chatID string) string { return msgPrefix + chatID + keySeparator }

// expiryKey is where a share with an end is listed in the expiry index (GSI2): under the UTC
// day of its end, sorted by the instant, so that the sweep finds what ends on each day with one
// query, whatever the organization.
func expiryKey(orgID, shareID string, expiresAt time.Time) (pk, sk string) {
	at := expiresAt.UTC()
	return expiryDayKey(at), at.Format(expirySortLayout) + keySeparator + orgPK(orgID) + keySeparator + shareSK(shareID)
}

// expiryDayKey is the expiry index's partition of one UTC day.
func expiryDayKey(day time.Time) string { return expiryPrefix + day.UTC().Format(time.DateOnly) }

// expirySortLayout sorts as it reads: fixed width, UTC.
const expirySortLayout = "2006-01-02T15:04:05.000000000Z"

// auditSK is an audit entry's place in its organization's chain: the seq zero-padded so that
// the sort key order is the chain's order.
func auditSK(seq int64) string { return fmt.Sprintf("%s%0*d", auditPrefix, auditSeqDigits, seq) }

// auditSeqDigits is the width of a seq in a key.
const auditSeqDigits = 12
