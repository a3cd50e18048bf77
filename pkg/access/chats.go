package access

import (
	"slices"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// SeesChat reports whether c, who sees chat's case with scope sc, may open the chat: staff
// every chat of the case; a guest the chats its share lists and the chats it started itself.
// A guest holding a whole client (no chats can be listed on a client share) sees only its own.
func SeesChat(c casescribe.Caller, sc Scope, chat casescribe.Chat, g Grants) bool {
	if !sameOrg(c, chat.OrgID) {
		return false
	}
	if !sc.Guest {
		return c.Role.Staff()
	}
	if chat.CreatedBy == c.UserID {
		return true
	}
	cg, ok := g[chat.ClientID].Cases[chat.CaseID]
	return ok && slices.Contains(cg.ChatIDs, chat.ID)
}

// AnsweredIn names the scope an answer is drawn from, stored with it: "case", or
// "view:<id>" for one saved view.
func (sc Scope) AnsweredIn() string {
	if sc.View != nil {
		return "view:" + sc.View.ID
	}
	return "case"
}

// Redacted is the notice that replaces an answer a caller may not read.
const Redacted = "This answer drew on case information outside what is shared with you, so it is hidden."

// ShowExchange returns an exchange of a chat as the caller may read it. Staff and guests
// holding the whole case read it all (everything an answer can draw on is theirs to see); a
// guest limited to a view reads an answer only if it was drawn from that same view and cites
// only facts it sees now. Otherwise the answer, its citations and its actions are hidden
// (redacted is true); the question, which whoever shared the chat chose to share, stays.
func (sc Scope) ShowExchange(e casescribe.Exchange, visible map[string]bool) (out casescribe.Exchange, redacted bool) {
	out = e
	out.Citations = nil
	for _, id := range e.Citations {
		if visible[id] {
			out.Citations = append(out.Citations, id)
		}
	}
	if sc.View == nil {
		return out, false
	}
	cited := len(out.Citations) == len(e.Citations)
	for _, a := range e.Actions {
		for _, id := range a.FactIDs {
			cited = cited && visible[id]
		}
	}
	if e.AnsweredIn == sc.AnsweredIn() && cited {
		return out, false
	}
	out.Answer, out.Citations, out.Actions = Redacted, nil, nil
	return out, true
}
