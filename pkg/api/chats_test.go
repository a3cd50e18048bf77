package api_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// ask puts a question in a chat and returns the exchange.
func (w *caseWorld) ask(t *testing.T, who, chatID, question string) response {
	t.Helper()
	r := w.as(t, who, "POST", "/chats/"+chatID+"/messages", `{"text":`+quote(question)+`}`)
	want(t, who+" asks "+question, r, 201, "")
	return r
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestAskAIStaysInScope(t *testing.T) {
	w := newCaseWorld(t)
	// Bob, a member, asks in a chat of his: the answer may draw on the whole case.
	strategy := w.as(t, "bob", "POST", "/cases/"+w.knee+"/chats", `{"title":"Strategy"}`).str("id")
	first := w.ask(t, "bob", strategy, "What did the MRI show and what did it cost?")
	if c := strs(first.body["citations"]); !slices.Contains(c, w.mri) || !slices.Contains(c, w.bill) {
		t.Fatalf("bob's answer cites %v, want the MRI and the invoice", c)
	}
	private := w.as(t, "bob", "POST", "/cases/"+w.knee+"/chats", `{"title":"Private"}`).str("id")

	// The strategy chat is shared with Dave, who is limited to the Imaging view.
	want(t, "share the chat", w.as(t, "alice", "PATCH", "/shares/"+w.daveShare,
		`{"scope":"case","caseId":"`+w.knee+`","viewId":"`+w.view+`","chatIds":["`+strategy+`"],"version":1}`), 200, "")
	want(t, "share a chat of another case", w.as(t, "alice", "PATCH", "/shares/"+w.carolShare,
		`{"scope":"case","caseId":"`+w.knee+`","chatIds":["`+ulidString()+`"],"version":1}`), 400, casescribe.EINVALID)

	// Lists: Dave sees the shared chat; Carol, whose share lists none, sees none; staff all.
	if got := ids(w.as(t, "dave", "GET", "/cases/"+w.knee+"/chats", "")); !slices.Equal(got, []string{strategy}) {
		t.Errorf("dave's chats = %v, want the shared one", got)
	}
	if got := ids(w.as(t, "carol", "GET", "/cases/"+w.knee+"/chats", "")); len(got) != 0 {
		t.Errorf("carol's chats = %v, want none", got)
	}
	staffList := w.as(t, "alice", "GET", "/cases/"+w.knee+"/chats", "")
	if got := ids(staffList); !slices.Equal(got, []string{strategy, private}) {
		t.Errorf("alice's chats = %v", got)
	}
	// Staff see which chats guests read.
	if it := staffList.items(); it[0].(map[string]any)["sharedWith"] != 1.0 || it[1].(map[string]any)["shared"] != false {
		t.Errorf("alice's chats = %v, want the strategy chat shared with one guest", it)
	}
	hidden, unknown := w.as(t, "dave", "GET", "/chats/"+private, ""), w.as(t, "dave", "GET", "/chats/"+ulidString(), "")
	want(t, "dave opens an unshared chat", hidden, 404, casescribe.ENOTFOUND)
	if hidden.raw != unknown.raw {
		t.Errorf("unshared chat %q, unknown chat %q", hidden.raw, unknown.raw)
	}

	// In the shared chat, Bob's answer drew on the whole case: Dave reads the question, not
	// the answer, nor any trace of the invoice.
	chat := w.as(t, "dave", "GET", "/chats/"+strategy, "")
	ex := chat.body["exchanges"].([]any)[0].(map[string]any)
	if ex["redacted"] != true || ex["answer"] != access.Redacted || len(ex["citations"].([]any)) != 0 {
		t.Errorf("dave reads bob's exchange as %v", ex)
	}
	if strings.Contains(chat.raw, "1200") || strings.Contains(chat.raw, w.bill) {
		t.Errorf("the shared chat leaks the invoice to dave: %s", chat.raw)
	}
	if w.as(t, "bob", "GET", "/chats/"+strategy, "").body["exchanges"].([]any)[0].(map[string]any)["redacted"] != false {
		t.Error("bob's own answer is hidden from bob")
	}

	// Dave asks about the invoice: no trace of it, in text or citations.
	answer := w.ask(t, "dave", strategy, "What was the invoice for the MRI, and how much?")
	if strings.Contains(answer.raw, "1200") || strings.Contains(answer.raw, "Invoice") || slices.Contains(strs(answer.body["citations"]), w.bill) {
		t.Errorf("dave's answer leaks the invoice: %s", answer.raw)
	}
	for _, id := range strs(answer.body["citations"]) {
		if id != w.mri && id != w.surg {
			t.Errorf("dave's answer cites %s, outside his view", id)
		}
	}
	// His own answer, drawn from his view, he reads back whole.
	again := w.as(t, "dave", "GET", "/chats/"+strategy, "").body["exchanges"].([]any)
	if len(again) != 2 || again[1].(map[string]any)["redacted"] != false {
		t.Errorf("dave's exchanges = %v", again)
	}

	// Dave's own chat: his, listed, and closed to Carol.
	mine := w.as(t, "dave", "POST", "/cases/"+w.knee+"/chats", `{}`)
	want(t, "dave starts a chat", mine, 201, "")
	if got := ids(w.as(t, "dave", "GET", "/cases/"+w.knee+"/chats", "")); !slices.Equal(got, []string{strategy, mine.str("id")}) {
		t.Errorf("dave's chats = %v", got)
	}
	want(t, "carol opens dave's chat", w.as(t, "carol", "GET", "/chats/"+mine.str("id"), ""), 404, casescribe.ENOTFOUND)

	// Unsharing the chat takes it away on the next request.
	want(t, "unshare the chat", w.as(t, "alice", "PATCH", "/shares/"+w.daveShare,
		`{"scope":"case","caseId":"`+w.knee+`","viewId":"`+w.view+`","version":2}`), 200, "")
	want(t, "dave opens the unshared chat", w.as(t, "dave", "GET", "/chats/"+strategy, ""), 404, casescribe.ENOTFOUND)
	want(t, "dave asks in the unshared chat", w.as(t, "dave", "POST", "/chats/"+strategy+"/messages", `{"text":"Anything new?"}`), 404, casescribe.ENOTFOUND)
}

func TestAskAIActions(t *testing.T) {
	w := newCaseWorld(t)
	facts := func() int { return int(w.as(t, "alice", "GET", "/cases/"+w.knee+"/facts", "").body["total"].(float64)) }
	before := facts()
	mine := w.as(t, "carol", "POST", "/cases/"+w.knee+"/chats", `{"title":"Questions"}`).str("id")

	// A guest asking to create a fact or tag facts is told no, and nothing changes.
	for _, q := range []string{"Create a fact: Patient fell again on 2024-05-01", "Tag the MRI facts as urgent"} {
		r := w.ask(t, "carol", mine, q)
		if !strings.Contains(r.str("answer"), "can't") || len(r.body["actions"].([]any)) != 0 {
			t.Errorf("carol asks %q: %s", q, r.raw)
		}
	}
	if got := facts(); got != before {
		t.Errorf("facts after a guest's requests: %d, want %d", got, before)
	}
	if tags := w.as(t, "alice", "GET", "/facts/"+w.mri, "").body["tags"].([]any); slices.Contains(tags, any("urgent")) {
		t.Error("a guest's request tagged a fact")
	}

	// A member's same requests are carried out and recorded in the chat.
	chat := w.as(t, "bob", "POST", "/cases/"+w.knee+"/chats", `{"title":"Work"}`).str("id")
	r := w.ask(t, "bob", chat, "Create a fact: Patient fell again on 2024-05-01")
	act := r.body["actions"].([]any)[0].(map[string]any)
	if act["kind"] != "create_fact" || act["status"] != "done" || len(act["factIds"].([]any)) != 1 {
		t.Fatalf("bob's create action = %v", act)
	}
	created := w.as(t, "alice", "GET", "/facts/"+act["factIds"].([]any)[0].(string), "")
	if created.str("text") != "Patient fell again on 2024-05-01" || created.body["date"] != "2024-05-01" {
		t.Errorf("created fact = %s", created.raw)
	}
	r = w.ask(t, "bob", chat, "Tag the MRI facts as urgent")
	if act := r.body["actions"].([]any)[0].(map[string]any); act["status"] != "done" || !slices.Contains(strs(act["factIds"]), w.mri) {
		t.Errorf("bob's tag action = %v", act)
	}
	if tags := w.as(t, "alice", "GET", "/facts/"+w.mri, "").body["tags"].([]any); !slices.Contains(tags, any("urgent")) {
		t.Error("bob's tag action did not tag the MRI fact")
	}
	recorded := w.as(t, "bob", "GET", "/chats/"+chat, "").body["exchanges"].([]any)
	if len(recorded) != 2 || len(recorded[0].(map[string]any)["actions"].([]any)) != 1 {
		t.Errorf("the chat does not record the actions: %v", recorded)
	}

	// AI tagging and grouping: members only.
	want(t, "guest retags", w.as(t, "carol", "POST", "/cases/"+w.knee+"/ai/retag", ""), 403, casescribe.EGUESTRESTRICTED)
	want(t, "guest regroups", w.as(t, "dave", "POST", "/cases/"+w.knee+"/ai/regroup", ""), 403, casescribe.EGUESTRESTRICTED)
	rt := w.as(t, "bob", "POST", "/cases/"+w.knee+"/ai/retag", "")
	want(t, "retag", rt, 200, "")
	if tags := w.as(t, "alice", "GET", "/facts/"+w.bill, "").body["tags"].([]any); !slices.Contains(tags, any("imaging")) {
		t.Errorf("retag = %s; the invoice (it names the MRI) has tags %v", rt.raw, tags)
	}
	rg := w.as(t, "bob", "POST", "/cases/"+w.knee+"/ai/regroup", "")
	want(t, "regroup", rg, 200, "")
	if g := w.as(t, "alice", "GET", "/facts/"+w.mri, "").body["group"]; g != "March 2024" {
		t.Errorf("regroup = %s; the MRI fact's group is %v", rg.raw, g)
	}
}

// Narrowing a share mid-chat narrows the very next answer, and hides the earlier answers
// drawn from the wider scope.
func TestNarrowingMidChat(t *testing.T) {
	w := newCaseWorld(t)
	chat := w.as(t, "carol", "POST", "/cases/"+w.knee+"/chats", `{"title":"Costs"}`).str("id")
	first := w.ask(t, "carol", chat, "How much was the MRI invoice?")
	if !slices.Contains(strs(first.body["citations"]), w.bill) {
		t.Fatalf("carol, holding the whole case, is not answered from the invoice: %s", first.raw)
	}
	want(t, "narrow carol to the view", w.as(t, "alice", "PATCH", "/shares/"+w.carolShare,
		`{"scope":"case","caseId":"`+w.knee+`","viewId":"`+w.view+`","version":1}`), 200, "")
	next := w.ask(t, "carol", chat, "How much was the MRI invoice?")
	if slices.Contains(strs(next.body["citations"]), w.bill) || strings.Contains(next.raw, "1200") {
		t.Errorf("after narrowing, carol's answer still draws on the invoice: %s", next.raw)
	}
	ex := w.as(t, "carol", "GET", "/chats/"+chat, "").body["exchanges"].([]any)
	if ex[0].(map[string]any)["redacted"] != true || ex[1].(map[string]any)["redacted"] != false {
		t.Errorf("after narrowing, carol's chat reads %v", ex)
	}
}
