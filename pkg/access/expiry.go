package access

import (
	"time"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// A share may end at a set instant. From that instant it opens nothing, in every check, whether
// or not the scheduled sweep has removed it yet: the sweep (and DynamoDB's TTL, which can lag
// by days) only tidies up after the fact.

// MaxShareLifetime bounds how far ahead a share's end may be set.
const MaxShareLifetime = 5 * 366 * 24 * time.Hour

// ReminderLead is how long before a share ends the guest and the person who shared are warned.
const ReminderLead = 3 * 24 * time.Hour

// CheckExpiry applies the rules of a share's end to a requested one: none (zero), or an
// instant after now and at most MaxShareLifetime ahead. Returns EINVALID otherwise.
func CheckExpiry(expiresAt, now time.Time) error {
	switch {
	case expiresAt.IsZero():
		return nil
	case !expiresAt.After(now):
		return casescribe.Errorf(casescribe.EINVALID, `Field "expiresAt" must be in the future.`)
	case expiresAt.Sub(now) > MaxShareLifetime:
		return casescribe.Errorf(casescribe.EINVALID, `Field "expiresAt" may be at most five years ahead.`)
	}
	return nil
}

// Current returns what g still opens at now: the entries of shares that have ended are gone.
func Current(g casescribe.Grant, now time.Time) casescribe.Grant {
	out := casescribe.Grant{ClientID: g.ClientID, Cases: make(map[string]casescribe.CaseGrant, len(g.Cases))}
	if g.ClientShareID != "" && !casescribe.Ended(g.ClientShareExpiresAt, now) {
		out.ClientShareID, out.ClientShareExpiresAt = g.ClientShareID, g.ClientShareExpiresAt
	}
	for id, cg := range g.Cases {
		if !casescribe.Ended(cg.ExpiresAt, now) {
			out.Cases[id] = cg
		}
	}
	return out
}

// CurrentGrants returns what gs still open at now, leaving out grants that open nothing.
func CurrentGrants(gs []casescribe.Grant, now time.Time) []casescribe.Grant {
	out := make([]casescribe.Grant, 0, len(gs))
	for _, g := range gs {
		if cur := Current(g, now); cur.ClientShareID != "" || len(cur.Cases) > 0 {
			out = append(out, cur)
		}
	}
	return out
}

// CurrentShares returns the shares that have not ended at now: what lists and counts show.
func CurrentShares(shares []casescribe.Share, now time.Time) []casescribe.Share {
	out := make([]casescribe.Share, 0, len(shares))
	for _, sh := range shares {
		if !sh.Expired(now) {
			out = append(out, sh)
		}
	}
	return out
}

// ReminderDue reports whether the advance warning of sh's end is due at now: the share ends
// within ReminderLead, has not ended, and this end has not been announced yet.
func ReminderDue(sh casescribe.Share, now time.Time) bool {
	return !sh.ExpiresAt.IsZero() && !sh.Expired(now) && sh.ExpiresAt.Sub(now) <= ReminderLead &&
		!sh.RemindedFor.Equal(sh.ExpiresAt)
}
