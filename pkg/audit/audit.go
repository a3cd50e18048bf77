// Package audit is the organization's tamper-evident audit trail, pure: what an entry records,
// how it is hashed into its organization's chain, and how a chain is verified. It does no I/O;
// the store appends entries in the same transaction as the change they record.
//
// Each organization has one chain. Entry n (1-based, contiguous) stores the hash of entry n-1
// (empty for the first) and its own hash, SHA-256 over an unambiguous encoding of its content
// and that previous hash. The chain's head (the last sequence number and hash) is kept beside
// it, so that deleting the newest entries is caught too. Altering, removing or reordering any
// entry breaks the chain at that entry, unless every later hash and the head are rewritten
// as well; the chain makes tampering evident, it does not make it impossible.
package audit

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// The actions an entry records: every change of access, and what a guest takes out of a case.
const (
	ShareCreate      = "share.create"
	ShareChange      = "share.change"
	ShareRemove      = "share.remove"
	ShareExpire      = "share.expire"
	InvitationCreate = "invitation.create"
	InvitationResend = "invitation.resend"
	InvitationRevoke = "invitation.revoke"
	InvitationAccept = "invitation.accept"
	MemberRemove     = "member.remove"
	MemberRole       = "member.role"
	FactsExport      = "facts.export"
	AIAnswer         = "ai.answer"
)

var actions = []string{ShareCreate, ShareChange, ShareRemove, ShareExpire, InvitationCreate,
	InvitationResend, InvitationRevoke, InvitationAccept, MemberRemove, MemberRole, FactsExport, AIAnswer}

// KnownAction reports whether a is one of the actions above.
func KnownAction(a string) bool { return slices.Contains(actions, a) }

// The kinds of thing an entry's target is.
const (
	TargetShare      = "share"
	TargetInvitation = "invitation"
	TargetMember     = "member"
	TargetCase       = "case"
	TargetChat       = "chat"
)

// Actor is who did what an entry records.
type Actor struct {
	UserID string
	Name   string
	// Role is the actor's role in the organization at the time, or RoleSystem.
	Role string
}

// RoleSystem is the role of the product itself acting on a schedule.
const RoleSystem = "system"

// System is the actor of what the product does by itself, such as ending expired shares.
var System = Actor{UserID: "", Name: "CaseScribe", Role: RoleSystem}

// ActorOf is the actor of a request made by c.
func ActorOf(c casescribe.Caller) Actor {
	return Actor{UserID: c.UserID, Name: c.Name, Role: string(c.Role)}
}

// Target is what an entry is about.
type Target struct {
	Kind string
	ID   string
}

// Record is what a caller asks to be recorded.
type Record struct {
	OrgID  string
	Actor  Actor
	At     time.Time
	Action string
	Target Target
	// CaseIDs and UserIDs are what the entry concerns, for filtering: the cases touched, and
	// the subject (guest, member) and the actor.
	CaseIDs []string
	UserIDs []string
	// Before and After are the relevant state as JSON text, nil when there is none. They are
	// hashed byte for byte, so they must be stored as they are given.
	Before json.RawMessage
	After  json.RawMessage
}

// Check returns EINVALID if r cannot be recorded: no organization, time or known action, or
// before or after that is not JSON.
func (r Record) Check() error {
	switch {
	case r.OrgID == "":
		return casescribe.Errorf(casescribe.EINVALID, "An audit record needs an organization.")
	case r.At.IsZero():
		return casescribe.Errorf(casescribe.EINVALID, "An audit record needs a time.")
	case !KnownAction(r.Action):
		return casescribe.Errorf(casescribe.EINVALID, "Unknown audit action %q.", r.Action)
	case len(r.Before) > 0 && !json.Valid(r.Before), len(r.After) > 0 && !json.Valid(r.After):
		return casescribe.Errorf(casescribe.EINVALID, "An audit record's before and after must be JSON.")
	}
	return nil
}

// Entry is a Record as it sits in its organization's chain.
type Entry struct {
	Record
	// Seq is the entry's place in the chain, from 1, with no gaps.
	Seq int64
	// PrevHash is the previous entry's Hash, "" for the first entry.
	PrevHash string
	// Hash is the hex SHA-256 of the entry (see ComputeHash).
	Hash string
}

// Head is the chain's last entry as its organization records it: Seq 0 for an empty chain.
type Head struct {
	Seq  int64
	Hash string
}

// Next returns r as the entry that follows head, its ids without empty or repeated ones.
func Next(r Record, head Head) Entry {
	r.CaseIDs, r.UserIDs = IDs(r.CaseIDs...), IDs(r.UserIDs...)
	e := Entry{Record: r, Seq: head.Seq + 1, PrevHash: head.Hash}
	e.Hash = ComputeHash(e)
	return e
}

// hashed is the fixed shape that is hashed. JSON of a struct has a fixed field order and
// quotes every string, so no two different contents encode alike; before and after are
// carried as strings so that their exact bytes count, and nil is told apart from any text.
type hashed struct {
	V        int      `json:"v"`
	PrevHash string   `json:"prevHash"`
	Seq      int64    `json:"seq"`
	OrgID    string   `json:"orgId"`
	At       string   `json:"at"`
	ActorID  string   `json:"actorId"`
	Name     string   `json:"actorName"`
	Role     string   `json:"actorRole"`
	Action   string   `json:"action"`
	Kind     string   `json:"targetKind"`
	TargetID string   `json:"targetId"`
	CaseIDs  []string `json:"caseIds"`
	UserIDs  []string `json:"userIds"`
	Before   *string  `json:"before"`
	After    *string  `json:"after"`
}

// ComputeHash returns the hex SHA-256 of e's content and PrevHash (e.Hash itself is left out).
// An empty and an absent list, or an empty and an absent before or after, hash alike.
func ComputeHash(e Entry) string {
	h := hashed{V: 1, PrevHash: e.PrevHash, Seq: e.Seq, OrgID: e.OrgID, At: FormatTime(e.At),
		ActorID: e.Actor.UserID, Name: e.Actor.Name, Role: e.Actor.Role, Action: e.Action,
		Kind: e.Target.Kind, TargetID: e.Target.ID,
		CaseIDs: append([]string{}, e.CaseIDs...), UserIDs: append([]string{}, e.UserIDs...),
		Before: text(e.Before), After: text(e.After)}
	// Marshalling strings, ints and string slices cannot fail.
	b, _ := json.Marshal(h)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func text(raw json.RawMessage) *string {
	if len(raw) == 0 {
		return nil
	}
	s := string(raw)
	return &s
}

// FormatTime is how an entry's time is hashed: RFC 3339 with nanoseconds, in UTC.
func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Why a chain breaks.
const (
	// BreakHash: the entry's hash does not match its content (it was altered).
	BreakHash = "hash_mismatch"
	// BreakPrevHash: the entry's previous hash is not the previous entry's hash.
	BreakPrevHash = "prev_hash_mismatch"
	// BreakGap: the entry with this seq is missing.
	BreakGap = "seq_gap"
	// BreakHead: the head disagrees with the last entry (entries at the end are missing, or the
	// head was altered).
	BreakHead = "head_mismatch"
)

// Break is the first place a chain fails verification.
type Break struct {
	Seq    int64
	Reason string
}

// Error describes the break.
func (b Break) Error() string {
	return fmt.Sprintf("audit chain breaks at entry %d: %s", b.Seq, b.Reason)
}

// Verify walks entries in seq order from the first and returns the first break, or nil when
// every entry hashes to its Hash, links to the one before, no seq is missing, and head names
// the last entry.
func Verify(entries []Entry, head Head) *Break {
	sorted := slices.SortedFunc(slices.Values(entries), func(a, b Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	var prev Head
	for _, e := range sorted {
		switch {
		case e.Seq != prev.Seq+1:
			// A gap names the first missing entry; a repeated or non-positive seq names itself.
			if e.Seq > prev.Seq+1 {
				return &Break{Seq: prev.Seq + 1, Reason: BreakGap}
			}
			return &Break{Seq: e.Seq, Reason: BreakGap}
		case ComputeHash(e) != e.Hash:
			return &Break{Seq: e.Seq, Reason: BreakHash}
		case e.PrevHash != prev.Hash:
			return &Break{Seq: e.Seq, Reason: BreakPrevHash}
		}
		prev = Head{Seq: e.Seq, Hash: e.Hash}
	}
	switch {
	case head.Seq > prev.Seq:
		return &Break{Seq: prev.Seq + 1, Reason: BreakHead}
	case head.Seq < prev.Seq:
		return &Break{Seq: head.Seq + 1, Reason: BreakHead}
	case head.Hash != prev.Hash:
		return &Break{Seq: head.Seq, Reason: BreakHead}
	}
	return nil
}
