// Package access holds every access rule of the product in one place: which role may take
// which action, and which records a caller may see. It is pure (no AWS, no HTTP, no I/O), so
// each rule reads in one place and is tested in microseconds. Handlers ask it; they never
// re-implement a check.
package access

import (
	"strings"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// Action is one thing a caller asks to do. Every route declares exactly one.
type Action string

// The actions of the routes built so far.
const (
	ReadProfile        Action = "profile.read"        // GET /me
	CreateOrganization Action = "organization.create" // POST /orgs

	ListClients  Action = "client.list"
	ReadClient   Action = "client.read"
	CreateClient Action = "client.create"
	UpdateClient Action = "client.update"
	DeleteClient Action = "client.delete"

	ListCases  Action = "case.list"
	ReadCase   Action = "case.read"
	CreateCase Action = "case.create"
	UpdateCase Action = "case.update"
	DeleteCase Action = "case.delete"

	ListUsers  Action = "user.list"
	ReadUser   Action = "user.read"
	UpdateUser Action = "user.update"
	RemoveUser Action = "user.remove"

	CreateInvitation Action = "invitation.create"
	ListInvitations  Action = "invitation.list"
	ResendInvitation Action = "invitation.resend"
	RevokeInvitation Action = "invitation.revoke"
	LookupInvitation Action = "invitation.lookup" // anyone holding the token
	AcceptInvitation Action = "invitation.accept" // any signed-in user; the email must match

	ListShares  Action = "share.list"
	CreateShare Action = "share.create"
	ReadShare   Action = "share.read"
	RemoveShare Action = "share.remove"
	ChangeShare Action = "share.change" // preview and apply a change of scope, case, view or chats

	ListFacts     Action = "fact.list"
	ReadFact      Action = "fact.read"
	ExportFacts   Action = "fact.export"
	CreateFact    Action = "fact.create"
	UpdateFact    Action = "fact.update"
	DeleteFact    Action = "fact.delete"
	TagFact       Action = "fact.tag"
	BulkEditFacts Action = "fact.bulkEdit"

	ListComments  Action = "comment.list"
	CreateComment Action = "comment.create"

	ListViews  Action = "view.list"
	CreateView Action = "view.create"
	UpdateView Action = "view.update"
	DeleteView Action = "view.delete"

	ListDocuments  Action = "document.list"
	ReadDocument   Action = "document.read" // metadata and a download URL
	UploadDocument Action = "document.upload"
	DeleteDocument Action = "document.delete"

	ReadSummary Action = "summary.read"
	EditSummary Action = "summary.edit"

	ListChats  Action = "chat.list"
	ReadChat   Action = "chat.read"
	CreateChat Action = "chat.create"
	AskAI      Action = "chat.ask"
	RetagFacts Action = "ai.retag"
	Regroup    Action = "ai.regroup"

	ReadAudit            Action = "audit.read"   // GET /audit
	VerifyAudit          Action = "audit.verify" // GET /audit/verify
	ReadCaseAccessReport Action = "report.case"  // who can see a case, through what, since when
	ReadUserAccessReport Action = "report.user"  // everything one person can see
)

// Need is what a request must carry before its action is even considered.
type Need int

// Needs, from least to most.
const (
	NeedNothing      Need = iota // anyone, no token (e.g. an invitation lookup)
	NeedSignIn                   // a verified token; no organization (GET /me, POST /orgs)
	NeedOrganization             // a verified token and an active membership in X-Org-Id
)

// rule says who may take an action: the need, then the roles allowed inside the organization.
type rule struct {
	need  Need
	roles []casescribe.Role
	// what names the thing refused, for messages a person can act on.
	what string
}

var (
	admins = []casescribe.Role{casescribe.RoleAdmin}
	staff  = []casescribe.Role{casescribe.RoleAdmin, casescribe.RoleMember}
	all    = []casescribe.Role{casescribe.RoleAdmin, casescribe.RoleMember, casescribe.RoleGuest}
)

var rules = map[Action]rule{
	ReadProfile:        {need: NeedSignIn, what: "read your profile"},
	CreateOrganization: {need: NeedSignIn, what: "create an organization"},

	ListClients:  {NeedOrganization, all, "list clients"},
	ReadClient:   {NeedOrganization, all, "read clients"},
	CreateClient: {NeedOrganization, staff, "create clients"},
	UpdateClient: {NeedOrganization, staff, "edit clients"},
	DeleteClient: {NeedOrganization, staff, "delete clients"},

	ListCases:  {NeedOrganization, all, "list cases"},
	ReadCase:   {NeedOrganization, all, "read cases"},
	CreateCase: {NeedOrganization, staff, "create cases"},
	UpdateCase: {NeedOrganization, staff, "edit cases"},
	DeleteCase: {NeedOrganization, staff, "delete cases"},

	ListUsers:  {NeedOrganization, staff, "see the users directory"},
	ReadUser:   {NeedOrganization, staff, "see the users directory"},
	UpdateUser: {NeedOrganization, admins, "change roles"},
	RemoveUser: {NeedOrganization, admins, "remove people from the organization"},

	CreateInvitation: {NeedOrganization, admins, "invite people"},
	ListInvitations:  {NeedOrganization, admins, "manage invitations"},
	ResendInvitation: {NeedOrganization, admins, "manage invitations"},
	RevokeInvitation: {NeedOrganization, admins, "manage invitations"},
	LookupInvitation: {need: NeedNothing, what: "look up an invitation"},
	AcceptInvitation: {need: NeedSignIn, what: "accept an invitation"},

	ListShares:  {NeedOrganization, staff, "see or manage sharing"},
	CreateShare: {NeedOrganization, staff, "share cases"},
	ReadShare:   {NeedOrganization, staff, "see or manage sharing"},
	RemoveShare: {NeedOrganization, staff, "remove access"},
	ChangeShare: {NeedOrganization, staff, "change sharing"},

	// Guests review facts and documents, comment and export within their scope; the scope
	// itself is decided per record by ContentScope.
	ListFacts:     {NeedOrganization, all, "list facts"},
	ReadFact:      {NeedOrganization, all, "read facts"},
	ExportFacts:   {NeedOrganization, all, "export facts"},
	CreateFact:    {NeedOrganization, staff, "create facts"},
	UpdateFact:    {NeedOrganization, staff, "edit facts"},
	DeleteFact:    {NeedOrganization, staff, "delete facts"},
	TagFact:       {NeedOrganization, staff, "add or remove tags"},
	BulkEditFacts: {NeedOrganization, staff, "use bulk edit"},

	ListComments:  {NeedOrganization, all, "read comments"},
	CreateComment: {NeedOrganization, all, "comment on facts"},

	ListViews:  {NeedOrganization, all, "list saved views"},
	CreateView: {NeedOrganization, staff, "create saved views"},
	UpdateView: {NeedOrganization, staff, "edit saved views"},
	DeleteView: {NeedOrganization, staff, "delete saved views"},

	ListDocuments:  {NeedOrganization, all, "list documents"},
	ReadDocument:   {NeedOrganization, all, "read documents"},
	UploadDocument: {NeedOrganization, staff, "upload documents"},
	DeleteDocument: {NeedOrganization, staff, "delete documents"},

	ReadSummary: {NeedOrganization, all, "read the case summary"},
	EditSummary: {NeedOrganization, staff, "edit the case summary"},

	// Guests use Ask AI on what is shared with them (which chats, SeesChat decides); what an
	// answer proposes to change is decided again by the rules of that change.
	ListChats:  {NeedOrganization, all, "list chats"},
	ReadChat:   {NeedOrganization, all, "read chats"},
	CreateChat: {NeedOrganization, all, "start chats"},
	AskAI:      {NeedOrganization, all, "use Ask AI"},
	RetagFacts: {NeedOrganization, staff, "re-run AI tagging"},
	Regroup:    {NeedOrganization, staff, "re-run fact grouping"},

	ReadAudit:   {NeedOrganization, admins, "read the audit trail"},
	VerifyAudit: {NeedOrganization, admins, "verify the audit trail"},
	// Access reports name every guest and share: they are part of managing sharing.
	ReadCaseAccessReport: {NeedOrganization, staff, "see access reports"},
	ReadUserAccessReport: {NeedOrganization, staff, "see access reports"},
}

// Actions returns every action that has a rule, so that tests can check each route declares
// a known one.
func Actions() []Action {
	out := make([]Action, 0, len(rules))
	for a := range rules {
		out = append(out, a)
	}
	return out
}

// Known reports whether a has a declared rule.
func (a Action) Known() bool {
	_, ok := rules[a]
	return ok
}

// Needs returns what a request for a must carry. An unknown action needs the most.
func (a Action) Needs() Need {
	r, ok := rules[a]
	if !ok {
		return NeedOrganization
	}
	return r.need
}

// Permit decides whether c may take action a, before any record is looked at, so that the
// answer never depends on whether a target exists. Returns EUNAUTHENTICATED without a caller,
// EORGREQUIRED when the action needs an organization and none was chosen,
// EGUESTRESTRICTED when a guest asks for what guests never do, EFORBIDDEN for any other
// refused role, and nil when allowed. An action without a rule is refused.
func Permit(c casescribe.Caller, a Action) error {
	r, ok := rules[a]
	if !ok {
		return casescribe.Errorf(casescribe.EFORBIDDEN, "This action is not allowed.")
	}
	if r.need == NeedNothing {
		return nil
	}
	if c.UserID == "" {
		return casescribe.Errorf(casescribe.EUNAUTHENTICATED, "Sign in first.")
	}
	if r.need == NeedSignIn {
		return nil
	}
	if c.OrgID == "" {
		return casescribe.Errorf(casescribe.EORGREQUIRED, "Choose an organization: send its id in the X-Org-Id header.")
	}
	for _, role := range r.roles {
		if c.Role == role {
			return nil
		}
	}
	if c.Role == casescribe.RoleGuest {
		return casescribe.Errorf(casescribe.EGUESTRESTRICTED, "Guests cannot %s.", r.what)
	}
	return casescribe.Errorf(casescribe.EFORBIDDEN, "Your role cannot %s.", r.what)
}

// Grants is what one guest was given in the caller's organization, by client id. Staff need
// none: they see every client and case of their organization.
type Grants map[string]casescribe.Grant

// GrantsOf indexes grants by client.
func GrantsOf(gs ...casescribe.Grant) Grants {
	out := make(Grants, len(gs))
	for _, g := range gs {
		out[g.ClientID] = g
	}
	return out
}

// SeesClient reports whether c may see the client. Staff see every client of their
// organization; a guest sees a client only as the container of something shared with them: a
// client share, or a share of one of its cases. Callers answer ENOTFOUND when this is false,
// exactly as for an unknown id.
func SeesClient(c casescribe.Caller, client casescribe.Client, g Grants) bool {
	if !sameOrg(c, client.OrgID) {
		return false
	}
	if c.Role.Staff() {
		return true
	}
	gr := g[client.ID]
	return c.Role == casescribe.RoleGuest && (gr.ClientShareID != "" || len(gr.Cases) > 0)
}

// SeesCase reports whether c may see the case: staff always (in their organization); a guest
// through a share of the case, or of its whole client, which includes cases created later.
func SeesCase(c casescribe.Caller, k casescribe.Case, g Grants) bool {
	if !sameOrg(c, k.OrgID) {
		return false
	}
	if c.Role.Staff() {
		return true
	}
	gr := g[k.ClientID]
	_, shared := gr.Cases[k.ID]
	return c.Role == casescribe.RoleGuest && (gr.ClientShareID != "" || shared)
}

// CaseAccess is how a guest holds a case: its scope and the view it is limited to ("" for the
// whole case). ok is false when the guest does not hold it.
func CaseAccess(k casescribe.Case, g Grants) (scope casescribe.ShareScope, viewID string, ok bool) {
	gr := g[k.ClientID]
	if cg, shared := gr.Cases[k.ID]; shared {
		return casescribe.ScopeCase, cg.ViewID, true
	}
	if gr.ClientShareID != "" {
		return casescribe.ScopeClient, "", true
	}
	return "", "", false
}

// CheckNewShare applies the rules of adding a share to what the request asks and to the
// target's membership: a client share carries no view and no chats; the target must be a
// guest whose invitation is accepted. Returns EINVALID or EINVITATIONPENDING.
func CheckNewShare(scope casescribe.ShareScope, viewID string, chatIDs []string, target casescribe.Membership) error {
	switch {
	case !scope.Valid():
		return casescribe.Errorf(casescribe.EINVALID, `Field "scope" must be "case" (just this case) or "client" (all cases for the client).`)
	case scope == casescribe.ScopeClient && (viewID != "" || len(chatIDs) > 0):
		return casescribe.Errorf(casescribe.EINVALID, "A share of all cases for a client cannot be limited to a view or carry chats; share just this case to do that.")
	case target.Role != casescribe.RoleGuest:
		return casescribe.Errorf(casescribe.EINVALID, "Only guests receive shares: admins and members already see every case.")
	case target.Status == casescribe.StatusInvited:
		return casescribe.Errorf(casescribe.EINVITATIONPENDING, "This guest has not accepted the invitation yet; share once they have.")
	case target.Status != casescribe.StatusActive:
		return casescribe.Errorf(casescribe.EINVALID, "This guest cannot receive shares.")
	}
	return nil
}

// InvitationFor reports whether an invitation sent to invitedEmail may be accepted by c: only
// by the very address it was sent to, compared without regard to case, and only once the
// identity provider has verified that c owns that address, so that a forwarded link, or an
// account made with someone else's address, is worthless.
func InvitationFor(invitedEmail string, c casescribe.Caller) bool {
	return invitedEmail != "" && c.EmailVerified &&
		strings.EqualFold(strings.TrimSpace(invitedEmail), strings.TrimSpace(c.Email))
}

// ListsEverything reports whether a list for c may read the organization's items unfiltered
// (staff), rather than starting from what was shared with c (guests, see Grants).
func ListsEverything(c casescribe.Caller) bool {
	return c.OrgID != "" && c.Role.Staff()
}

// sameOrg is the last line of defence: keys are already built from the caller's organization,
// so a record of another organization should never reach a rule; if one does, it is invisible.
func sameOrg(c casescribe.Caller, orgID string) bool {
	return c.OrgID != "" && c.OrgID == orgID
}

// Refs are the ids a guest's grants name, for reading what they open in one wave.
type Refs struct {
	ShareIDs, ClientIDs, CaseIDs []string
	// Views maps each view a case share is limited to, to its case.
	Views map[string]string
}

// RefsOf collects the ids grants name: their shares, clients, shared cases and views.
func RefsOf(grants []casescribe.Grant) Refs {
	r := Refs{Views: map[string]string{}}
	for _, g := range grants {
		r.ClientIDs = append(r.ClientIDs, g.ClientID)
		if g.ClientShareID != "" {
			r.ShareIDs = append(r.ShareIDs, g.ClientShareID)
		}
		for caseID, cg := range g.Cases {
			r.ShareIDs, r.CaseIDs = append(r.ShareIDs, cg.ShareID), append(r.CaseIDs, caseID)
			if cg.ViewID != "" {
				r.Views[cg.ViewID] = caseID
			}
		}
	}
	return r
}
