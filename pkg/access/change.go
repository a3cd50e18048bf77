package access

import (
	"fmt"
	"slices"
	"time"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// ShareChange is a proposed new state of a share: its scope, and for case scope the case, the
// view and the chats.
type ShareChange struct {
	Scope   casescribe.ShareScope
	CaseID  string
	ViewID  string
	ChatIDs []string
	// ExpiresAt is when the share will end; zero for no end.
	ExpiresAt time.Time
}

// Kinds of change, as the Share dialog names them.
const (
	ChangeNarrow    = "narrow"    // all cases of a client -> one of its cases
	ChangeExpand    = "expand"    // one case -> all cases of its client
	ChangeMove      = "move"      // one case -> another case
	ChangeConfigure = "configure" // the same case, another view or other chats
	ChangeExpiry    = "expiry"    // the same access, ending at another time (or never)
)

// PlanInput is what planning a change needs to know, read before planning.
type PlanInput struct {
	Share casescribe.Share
	// GuestName and ClientName name the people and things in the summary.
	GuestName  string
	ClientName string
	// ClientCases are every case of the share's client.
	ClientCases []casescribe.Case
	// GuestCaseShares are the guest's case shares of the share's client, the share included.
	GuestCaseShares []casescribe.Share
	// Target is the proposed case (case scope), nil for client scope. It is in the caller's
	// organization; it may belong to another client.
	Target *casescribe.Case
}

// Plan is exactly what a change does: the share after it, the shares it replaces, the cases the
// guest gains and loses, the views and chats no longer shared, and a sentence saying so.
type Plan struct {
	Kind         string
	Result       casescribe.Share
	Replaced     []casescribe.Share
	Gained       []casescribe.Case
	Lost         []casescribe.Case
	DroppedViews []string
	DroppedChats []string
	Summary      string
}

// PlanShareChange works out what applying change to in.Share does, without doing it. Returns
// EINVALID for a change the rules refuse: a client scope with a view or chats, a case scope
// without a case, narrowing to a case of another client, or no change at all.
func PlanShareChange(in PlanInput, change ShareChange) (Plan, error) {
	sh := in.Share
	if !change.Scope.Valid() {
		return Plan{}, casescribe.Errorf(casescribe.EINVALID, `Field "scope" must be "case" or "client".`)
	}
	if change.Scope == casescribe.ScopeClient && (change.CaseID != "" || change.ViewID != "" || len(change.ChatIDs) > 0) {
		return Plan{}, casescribe.Errorf(casescribe.EINVALID, "A share of all cases for a client names no case, view or chats.")
	}
	if change.Scope == casescribe.ScopeCase && in.Target == nil {
		return Plan{}, casescribe.Errorf(casescribe.EINVALID, `Field "caseId" is required for a share of one case.`)
	}
	p := Plan{Result: sh}
	p.Result.Version = sh.Version + 1
	p.Result.ExpiresAt = change.ExpiresAt
	newEnd := !change.ExpiresAt.Equal(sh.ExpiresAt)
	switch {
	case sh.Scope == casescribe.ScopeClient && change.Scope == casescribe.ScopeClient && newEnd:
		p.Kind = ChangeExpiry
		p.Summary = fmt.Sprintf("%s keeps access to every case of %s.", in.GuestName, in.ClientName)

	case sh.Scope == casescribe.ScopeClient && change.Scope == casescribe.ScopeClient:
		return Plan{}, casescribe.Errorf(casescribe.EINVALID, "This share already opens every case of the client: nothing to change.")

	case sh.Scope == casescribe.ScopeClient: // narrow
		if in.Target.ClientID != sh.ClientID {
			return Plan{}, casescribe.Errorf(casescribe.EINVALID, "A client share can be narrowed only to one of that client's cases.")
		}
		p.Kind = ChangeNarrow
		p.Result.Scope, p.Result.CaseID, p.Result.ViewID, p.Result.ChatIDs = casescribe.ScopeCase, in.Target.ID, change.ViewID, change.ChatIDs
		for _, k := range in.ClientCases {
			if k.ID != in.Target.ID {
				p.Lost = append(p.Lost, k)
			}
		}
		p.Summary = fmt.Sprintf("%s will lose access to %s of %s and keep %s.", in.GuestName, cases(len(p.Lost)), in.ClientName, in.Target.Name)
		if len(p.Lost) == 0 {
			p.Summary = fmt.Sprintf("%s will keep %s, now as a share of that case only: cases added to %s later will not be shared.", in.GuestName, in.Target.Name, in.ClientName)
		}

	case change.Scope == casescribe.ScopeClient: // expand
		p.Kind = ChangeExpand
		p.Result.Scope, p.Result.CaseID, p.Result.ViewID, p.Result.ChatIDs = casescribe.ScopeClient, "", "", nil
		held := map[string]bool{}
		for _, other := range in.GuestCaseShares {
			held[other.CaseID] = true
			p.DroppedViews = appendNonEmpty(p.DroppedViews, other.ViewID)
			p.DroppedChats = append(p.DroppedChats, other.ChatIDs...)
			if other.ID != sh.ID {
				p.Replaced = append(p.Replaced, other)
			}
		}
		for _, k := range in.ClientCases {
			if !held[k.ID] {
				p.Gained = append(p.Gained, k)
			}
		}
		p.Summary = fmt.Sprintf("%s will have access to every case of %s, including cases added later: %s more now.", in.GuestName, in.ClientName, cases(len(p.Gained)))

	case in.Target.ID != sh.CaseID: // move
		p.Kind = ChangeMove
		p.Result.ClientID, p.Result.CaseID, p.Result.ViewID, p.Result.ChatIDs = in.Target.ClientID, in.Target.ID, change.ViewID, change.ChatIDs
		for _, k := range in.ClientCases {
			if k.ID == sh.CaseID {
				p.Lost = append(p.Lost, k)
			}
		}
		p.Gained = []casescribe.Case{*in.Target}
		p.DroppedViews = appendNonEmpty(nil, sh.ViewID)
		p.DroppedChats = append(p.DroppedChats, sh.ChatIDs...)
		lost := "its current case"
		if len(p.Lost) == 1 {
			lost = p.Lost[0].Name
		}
		p.Summary = fmt.Sprintf("%s will lose access to %s and gain access to %s.", in.GuestName, lost, in.Target.Name)

	case change.ViewID == sh.ViewID && sameSet(change.ChatIDs, sh.ChatIDs) && newEnd:
		p.Kind = ChangeExpiry
		p.Summary = fmt.Sprintf("%s keeps access to %s as it is.", in.GuestName, in.Target.Name)

	default: // configure the same case
		if change.ViewID == sh.ViewID && sameSet(change.ChatIDs, sh.ChatIDs) {
			return Plan{}, casescribe.Errorf(casescribe.EINVALID, "This share already has this view, these chats and this end: nothing to change.")
		}
		p.Kind = ChangeConfigure
		p.Result.ViewID, p.Result.ChatIDs = change.ViewID, change.ChatIDs
		if sh.ViewID != "" && sh.ViewID != change.ViewID {
			p.DroppedViews = []string{sh.ViewID}
		}
		for _, id := range sh.ChatIDs {
			if !slices.Contains(change.ChatIDs, id) {
				p.DroppedChats = append(p.DroppedChats, id)
			}
		}
		p.Summary = fmt.Sprintf("%s keeps access to %s", in.GuestName, in.Target.Name)
		switch {
		case change.ViewID != "":
			p.Summary += ", limited to one saved view"
		case sh.ViewID != "":
			p.Summary += ", now the whole case"
		}
		p.Summary += fmt.Sprintf(", with %s shared.", chats(len(change.ChatIDs)))
	}
	if end := endSentence(sh.ExpiresAt, change.ExpiresAt); end != "" {
		p.Summary += " " + end
	}
	return p, nil
}

// endSentence says when access ends after a change, and whether that moved; "" when the share
// has no end before or after.
func endSentence(before, after time.Time) string {
	switch {
	case after.IsZero() && before.IsZero():
		return ""
	case after.IsZero():
		return fmt.Sprintf("Access will no longer end on %s.", When(before))
	case before.IsZero():
		return fmt.Sprintf("Access will end on %s.", When(after))
	case after.Equal(before):
		return fmt.Sprintf("Access still ends on %s.", When(after))
	}
	return fmt.Sprintf("Access will end on %s instead of %s.", When(after), When(before))
}

// When writes an instant as people read it in summaries and emails, in UTC.
func When(t time.Time) string {
	return t.UTC().Format("2 January 2006 at 15:04 UTC")
}

// sameSet reports whether a and b hold the same ids, in any order.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func appendNonEmpty(xs []string, x string) []string {
	if x == "" {
		return xs
	}
	return append(xs, x)
}

func cases(n int) string {
	if n == 1 {
		return "1 case"
	}
	return fmt.Sprintf("%d cases", n)
}

func chats(n int) string {
	switch n {
	case 0:
		return "no chats"
	case 1:
		return "1 chat"
	}
	return fmt.Sprintf("%d chats", n)
}
