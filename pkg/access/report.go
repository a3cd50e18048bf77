package access

import (
	"time"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// The access reports answer "who can see this case?" and "what can this person see?" from
// memberships and shares. They must agree with the per-case checks, so the reasons a person
// holds a case are decided here, beside SeesCase, and nowhere else.

// SeesEveryCase reports whether the person of m sees every case of m's organization through
// the membership alone: staff whose invitation is accepted.
func SeesEveryCase(m casescribe.Membership) bool {
	return m.Status == casescribe.StatusActive && m.Role.Staff()
}

// ThroughMembership reports whether the person of m sees case k through the membership alone,
// exactly as SeesCase decides for them as a caller.
func ThroughMembership(m casescribe.Membership, k casescribe.Case) bool {
	return SeesEveryCase(m) && SeesCase(memberCaller(m), k, nil)
}

// ShareOpens reports whether share sh, held by the person of m, opens case k at now, and since
// when: a share that has ended opens nothing from its end on; only a guest whose invitation is
// accepted holds shares; a case share opens its case, a client share every case of its client,
// each from when it was created or when the share began opening the client, whichever is
// later.
func ShareOpens(m casescribe.Membership, sh casescribe.Share, k casescribe.Case, now time.Time) (since time.Time, ok bool) {
	if sh.Expired(now) || sh.GuestID != m.UserID || sh.OrgID != m.OrgID || sh.OrgID != k.OrgID ||
		m.Role != casescribe.RoleGuest || m.Status != casescribe.StatusActive || sh.ClientID != k.ClientID {
		return time.Time{}, false
	}
	switch sh.Scope {
	case casescribe.ScopeCase:
		if sh.CaseID != k.ID {
			return time.Time{}, false
		}
		return sh.Opened(), true
	case casescribe.ScopeClient:
		since = sh.Opened()
		if k.CreatedAt.After(since) {
			since = k.CreatedAt
		}
		return since, true
	}
	return time.Time{}, false
}

// OpensCase reports whether sh, a share of k's client, opens k: a client share opens every
// case of its client, a case share its own case.
func OpensCase(sh casescribe.Share, k casescribe.Case) bool {
	return sh.ClientID == k.ClientID && (sh.Scope == casescribe.ScopeClient || (sh.Scope == casescribe.ScopeCase && sh.CaseID == k.ID))
}

// memberCaller is the person of m as a caller in m's organization.
func memberCaller(m casescribe.Membership) casescribe.Caller {
	return casescribe.Caller{UserID: m.UserID, OrgID: m.OrgID, Role: m.Role, Email: m.Email, Name: m.Name}
}
