package audit

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// The states below are what an entry's before and after hold: what decides access, never a
// secret (no invitation token or its hash) and no content of a case.

type shareState struct {
	ShareID   string   `json:"shareId"`
	GuestID   string   `json:"guestId"`
	Scope     string   `json:"scope"`
	ClientID  string   `json:"clientId"`
	CaseID    string   `json:"caseId,omitempty"`
	ViewID    string   `json:"viewId,omitempty"`
	ChatIDs   []string `json:"chatIds"`
	ExpiresAt string   `json:"expiresAt,omitempty"`
	Version   int      `json:"version"`
}

func newShareState(sh casescribe.Share) shareState {
	st := shareState{ShareID: sh.ID, GuestID: sh.GuestID, Scope: string(sh.Scope), ClientID: sh.ClientID,
		CaseID: sh.CaseID, ViewID: sh.ViewID, ChatIDs: append([]string{}, sh.ChatIDs...), Version: sh.Version}
	if !sh.ExpiresAt.IsZero() {
		st.ExpiresAt = FormatTime(sh.ExpiresAt)
	}
	return st
}

// ShareState is a share's state in an entry.
func ShareState(sh casescribe.Share) json.RawMessage { return marshal(newShareState(sh)) }

// ShareChangeBefore is the state a change of sh replaces: the share itself, and the guest's
// other shares of the client that the change ends (an expansion to the whole client).
func ShareChangeBefore(sh casescribe.Share, replaced []casescribe.Share) json.RawMessage {
	out := struct {
		Share    shareState   `json:"share"`
		Replaced []shareState `json:"replaced"`
	}{Share: newShareState(sh), Replaced: []shareState{}}
	for _, r := range replaced {
		out.Replaced = append(out.Replaced, newShareState(r))
	}
	return marshal(out)
}

// MembershipState is a person's role and status in an entry.
func MembershipState(m casescribe.Membership) json.RawMessage {
	return marshal(struct {
		Role   string `json:"role"`
		Status string `json:"status"`
	}{string(m.Role), string(m.Status)})
}

// InvitationState is an invitation's email and role in an entry (never its token).
func InvitationState(inv casescribe.Invitation) json.RawMessage {
	return marshal(struct {
		Email     string `json:"email"`
		Role      string `json:"role"`
		ExpiresAt string `json:"expiresAt"`
	}{inv.Email, string(inv.Role), FormatTime(inv.ExpiresAt)})
}

// ShareRecord is the record of action on sh by actor at a time: its target is the share, it
// concerns the share's case (and any of caseIDs) and its guest and the actor.
func ShareRecord(action string, actor Actor, at time.Time, sh casescribe.Share, caseIDs []string, before, after json.RawMessage) Record {
	return Record{OrgID: sh.OrgID, Actor: actor, At: at, Action: action,
		Target: Target{Kind: TargetShare, ID: sh.ID}, CaseIDs: IDs(append([]string{sh.CaseID}, caseIDs...)...),
		UserIDs: IDs(sh.GuestID, actor.UserID), Before: before, After: after}
}

// Expired is the record of the scheduled sweep removing sh, which ended at its ExpiresAt; at
// is when the sweep removes it. The sweep passes it with store.WithAudit to the removal.
func Expired(sh casescribe.Share, at time.Time) Record {
	return ShareRecord(ShareExpire, System, at, sh, nil, ShareState(sh), nil)
}

// IDs returns ids without empty and repeated ones, in their first order.
func IDs(ids ...string) []string {
	out := []string{}
	for _, id := range ids {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// marshal encodes a state. The states hold only strings, ints and lists of strings, whose
// encoding cannot fail.
func marshal(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
