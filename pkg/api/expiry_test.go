package api_test

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/casescribe/sharing/pkg/accessmail"
	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/expiry"
	"github.com/casescribe/sharing/pkg/sesmail"
	"github.com/casescribe/sharing/pkg/store"
)

// expiryWorld is an organization with an admin (alice), a guest (erin) and two clients.
type expiryWorld struct {
	org, guest             string
	smith, knee, back, doe string
	car                    string
}

func newExpiryWorld(t *testing.T, e *env, guest string) expiryWorld {
	t.Helper()
	var w expiryWorld
	w.org = e.as(t, "alice", "", "POST", "/orgs", `{"name":"Expiry & Sons LLP"}`).str("id")
	e.person(t, guest)
	e.join(t, guest, w.org, casescribe.RoleGuest, casescribe.StatusActive)
	w.guest = e.users[guest].id
	w.smith = e.as(t, "alice", w.org, "POST", "/clients", `{"name":"Smith, John"}`).str("id")
	w.doe = e.as(t, "alice", w.org, "POST", "/clients", `{"name":"Doe, Jane"}`).str("id")
	w.knee = e.as(t, "alice", w.org, "POST", "/clients/"+w.smith+"/cases", `{"name":"Knee MRI"}`).str("id")
	w.back = e.as(t, "alice", w.org, "POST", "/clients/"+w.smith+"/cases", `{"name":"Back injury"}`).str("id")
	w.car = e.as(t, "alice", w.org, "POST", "/clients/"+w.doe+"/cases", `{"name":"Car accident"}`).str("id")
	return w
}

// A share ends at exactly its expiresAt, in every check, while it is still stored (nothing has
// swept it): the guest is refused, and it leaves every list and count at once. A new share of
// the same case then takes its place.
func TestShareExpiry(t *testing.T) {
	e := setup(t)
	w := newExpiryWorld(t, e, "erin")
	end := e.now().Add(48 * time.Hour).Truncate(time.Second)
	shareBody := func(caseScope bool, at string) string {
		scope := "client"
		if caseScope {
			scope = "case"
		}
		if at == "" {
			return fmt.Sprintf(`{"guestId":%q,"scope":%q}`, w.guest, scope)
		}
		return fmt.Sprintf(`{"guestId":%q,"scope":%q,"expiresAt":%q}`, w.guest, scope, at)
	}
	want(t, "an end in the past", e.as(t, "alice", w.org, "POST", "/cases/"+w.knee+"/shares", shareBody(true, e.now().Add(-time.Minute).Format(time.RFC3339))), 400, casescribe.EINVALID)
	want(t, "an end that is no date", e.as(t, "alice", w.org, "POST", "/cases/"+w.knee+"/shares", shareBody(true, "next tuesday")), 400, casescribe.EINVALID)
	created := e.as(t, "alice", w.org, "POST", "/cases/"+w.knee+"/shares", shareBody(true, end.Format(time.RFC3339)))
	want(t, "share with an end", created, 201, "")
	shareID := created.str("shareId")
	if got := created.str("expiresAt"); got != end.Format(time.RFC3339) {
		t.Errorf("expiresAt = %q, want %q", got, end.Format(time.RFC3339))
	}
	want(t, "a client share without an end", e.as(t, "alice", w.org, "POST", "/cases/"+w.car+"/shares", shareBody(false, "")), 201, "")

	badge := func(what string, wantN float64) {
		t.Helper()
		if got := e.as(t, "alice", w.org, "GET", "/cases/"+w.knee, "").body["shareCount"]; got != wantN {
			t.Errorf("%s: case badge = %v, want %v", what, got, wantN)
		}
		shares := e.as(t, "alice", w.org, "GET", "/cases/"+w.knee+"/shares", "")
		if got := shares.body["shareCount"]; got != wantN || float64(len(shares.body["people"].([]any))) != wantN {
			t.Errorf("%s: share dialog = %s, want %v people", what, shares.raw, wantN)
		}
		client := e.as(t, "alice", w.org, "GET", "/clients/"+w.smith, "")
		if got := client.body["guestCount"]; got != wantN {
			t.Errorf("%s: client guestCount = %v, want %v", what, got, wantN)
		}
		user := e.as(t, "alice", w.org, "GET", "/users/"+w.guest, "")
		if got := len(user.body["access"].([]any)); float64(got) != wantN+1 { // +1: the other client's share
			t.Errorf("%s: user access chips = %d, want %v", what, got, wantN+1)
		}
	}

	e.freeze(t, end.Add(-time.Nanosecond))
	want(t, "a nanosecond before the end", e.as(t, "erin", w.org, "GET", "/cases/"+w.knee, ""), 200, "")
	badge("a nanosecond before the end", 1)

	e.freeze(t, end)
	want(t, "exactly at the end", e.as(t, "erin", w.org, "GET", "/cases/"+w.knee, ""), 404, casescribe.ENOTFOUND)
	want(t, "its facts at the end", e.as(t, "erin", w.org, "GET", "/cases/"+w.knee+"/facts", ""), 404, casescribe.ENOTFOUND)
	if got := ids(e.as(t, "erin", w.org, "GET", "/cases", "")); len(got) != 1 || got[0] != w.car {
		t.Errorf("the guest's cases at the end = %v, want only %s", got, w.car)
	}
	want(t, "the client of the ended share", e.as(t, "erin", w.org, "GET", "/clients/"+w.smith, ""), 404, casescribe.ENOTFOUND)
	badge("at the end", 0)
	want(t, "read the ended share", e.as(t, "alice", w.org, "GET", "/shares/"+shareID, ""), 404, casescribe.ENOTFOUND)
	want(t, "change the ended share", e.as(t, "alice", w.org, "PATCH", "/shares/"+shareID, `{"scope":"case","caseId":"`+w.knee+`","version":1}`), 404, casescribe.ENOTFOUND)
	if _, err := e.store.GetShare(t.Context(), w.org, shareID); err != nil {
		t.Fatalf("the ended share should still be stored, nothing swept it: %v", err)
	}

	// Sharing the case again replaces the ended share.
	again := e.as(t, "alice", w.org, "POST", "/cases/"+w.knee+"/shares", shareBody(true, ""))
	want(t, "share the case again", again, 201, "")
	want(t, "the guest reads it again", e.as(t, "erin", w.org, "GET", "/cases/"+w.knee, ""), 200, "")
	if _, err := e.store.GetShare(t.Context(), w.org, shareID); casescribe.ErrorCode(err) != casescribe.ENOTFOUND {
		t.Errorf("the ended share is still stored after being replaced: %v", err)
	}
	badge("shared again", 1)

	// The trail: both shares made, and the first one's expiry, by the system.
	actions := auditActions(t, e, w.org, "caseId="+w.knee)
	if actions["share.create"] != 2 || actions["share.expire"] != 1 {
		t.Errorf("audit entries of the case = %v, want 2 share.create and 1 share.expire", actions)
	}
}

// Access emails are built when they are sent, from the access as it stands: after a narrowing
// the guest is told only what it still opens, and a guest no longer in the organization gets
// no email at all.
func TestAccessEmails(t *testing.T) {
	e := setup(t)
	w := newExpiryWorld(t, e, "frank")
	frankEmail := e.users["frank"].email
	want(t, "a third case", e.as(t, "alice", w.org, "POST", "/clients/"+w.smith+"/cases", `{"name":"Hip replacement"}`), 201, "")
	last := func(n int) sentEmail {
		t.Helper()
		got := e.inbox(t, frankEmail)
		if len(got) != n {
			t.Fatalf("%d emails to the guest, want %d", len(got), n)
		}
		return got[n-1]
	}

	sh := e.as(t, "alice", w.org, "POST", "/cases/"+w.knee+"/shares", `{"guestId":"`+w.guest+`","scope":"client"}`)
	want(t, "share the whole client", sh, 201, "")
	granted := last(1)
	if !strings.Contains(granted.Body.Text, "Smith, John · All cases") || !strings.Contains(granted.Subject, "shared cases with you") {
		t.Errorf("granted email = %q / %q", granted.Subject, granted.Body.Text)
	}

	body := `{"scope":"case","caseId":"` + w.knee + `","version":1}`
	want(t, "preview the narrowing", e.as(t, "alice", w.org, "POST", "/shares/"+sh.str("shareId")+"/preview", body), 200, "")
	want(t, "narrow to one case", e.as(t, "alice", w.org, "PATCH", "/shares/"+sh.str("shareId"), body), 200, "")
	narrowed := last(2)
	for _, part := range []string{narrowed.Body.Text, narrowed.Body.HTML} {
		if !strings.Contains(part, "Knee MRI") {
			t.Errorf("the email after the narrowing does not name the case kept: %q", part)
		}
		for _, lost := range []string{"Back injury", "Hip replacement", "All cases"} {
			if strings.Contains(part, lost) {
				t.Errorf("the email after the narrowing names %q, which the guest no longer sees: %q", lost, part)
			}
		}
	}

	want(t, "remove the share", e.as(t, "alice", w.org, "DELETE", "/shares/"+sh.str("shareId"), ""), 204, "")
	removed := last(3)
	if !strings.Contains(removed.Body.Text, "no longer have access to any case") || strings.Contains(removed.Body.Text, "Knee MRI") {
		t.Errorf("the email after the removal = %q", removed.Body.Text)
	}

	// Removed from the organization before an email about an earlier change is sent: nothing.
	want(t, "share another case", e.as(t, "alice", w.org, "POST", "/cases/"+w.back+"/shares", `{"guestId":"`+w.guest+`","scope":"case"}`), 201, "")
	last(4)
	want(t, "remove the guest", e.as(t, "alice", w.org, "DELETE", "/users/"+w.guest, ""), 204, "")
	n := accessmail.New(e.store, sesmail.New(e.stack.SES(), "no-reply@casescribe.test"), appBaseURL, e.now)
	sent, err := n.AccessChanged(t.Context(), w.org, w.guest, accessmail.Changed)
	if err != nil || sent {
		t.Errorf("AccessChanged for a removed guest = %v, %v; want nothing sent", sent, err)
	}
	last(4)
}

// The sweep warns the guest and the person who shared exactly three days before a share
// ends, once per end (again when the end moves), and once the share has ended removes it and
// tells the guest.
func TestSweep(t *testing.T) {
	e := setup(t)
	w := newExpiryWorld(t, e, "gina")
	gina, alice := e.users["gina"].email, e.users["alice"].email
	end := e.now().Add(10 * 24 * time.Hour).Truncate(time.Second)
	created := e.as(t, "alice", w.org, "POST", "/cases/"+w.knee+"/shares",
		fmt.Sprintf(`{"guestId":%q,"scope":"case","expiresAt":%q}`, w.guest, end.Format(time.RFC3339)))
	want(t, "share with an end", created, 201, "")
	shareID := created.str("shareId")

	var at time.Time
	clock := func() time.Time { return at }
	mailer := sesmail.New(e.stack.SES(), "no-reply@casescribe.test")
	sw := expiry.New(e.store, accessmail.New(e.store, mailer, appBaseURL, clock), store.RecordExpiry, clock, api.NewLogger(io.Discard))
	sweep := func(when time.Time, wantRep expiry.Report) {
		t.Helper()
		at = when
		got, err := sw.Run(t.Context())
		if err != nil {
			t.Fatalf("sweep at %s: %v", when, err)
		}
		got.Scanned = 0
		if got != wantRep {
			t.Errorf("sweep at %s = %+v, want %+v", when, got, wantRep)
		}
	}
	mails := func(addr string) int { return len(e.inbox(t, addr)) }
	ginaBefore, aliceBefore := mails(gina), mails(alice)

	sweep(end.Add(-72*time.Hour-time.Second), expiry.Report{})
	sweep(end.Add(-72*time.Hour), expiry.Report{Reminded: 1, Emails: 2})
	sweep(end.Add(-71*time.Hour), expiry.Report{}) // once per end
	if g, a := mails(gina)-ginaBefore, mails(alice)-aliceBefore; g != 1 || a != 1 {
		t.Fatalf("warnings: %d to the guest, %d to the sharer; want 1 each", g, a)
	}
	warned := e.inbox(t, gina)[mails(gina)-1]
	if !strings.Contains(warned.Subject, "ends on") || !strings.Contains(warned.Body.Text, "Knee MRI") {
		t.Errorf("the guest's warning = %q / %q", warned.Subject, warned.Body.Text)
	}

	// Moving the end arms the warning again, for the new end.
	newEnd := end.Add(48 * time.Hour)
	moved := e.as(t, "alice", w.org, "PATCH", "/shares/"+shareID,
		fmt.Sprintf(`{"scope":"case","caseId":%q,"expiresAt":%q,"version":1}`, w.knee, newEnd.Format(time.RFC3339)))
	want(t, "move the end", moved, 200, "")
	sweep(newEnd.Add(-72*time.Hour-time.Second), expiry.Report{}) // past the old end's warning, before the new one's
	sweep(newEnd.Add(-72*time.Hour), expiry.Report{Reminded: 1, Emails: 2})

	ginaBefore = mails(gina)
	sweep(newEnd.Add(-time.Nanosecond), expiry.Report{})
	sweep(newEnd, expiry.Report{Expired: 1, Emails: 1})
	if _, err := e.store.GetShare(t.Context(), w.org, shareID); casescribe.ErrorCode(err) != casescribe.ENOTFOUND {
		t.Errorf("the ended share is still stored after the sweep: %v", err)
	}
	grants, err := e.store.GuestGrants(t.Context(), w.org, w.guest)
	if err != nil || len(grants) != 0 {
		t.Errorf("the guest's grants after the sweep = %+v, %v; want none", grants, err)
	}
	ended := e.inbox(t, gina)
	if len(ended) != ginaBefore+1 || !strings.Contains(ended[len(ended)-1].Body.Text, "no longer have access to any case") {
		t.Errorf("the guest was not told the access ended: %d emails", len(ended)-ginaBefore)
	}
	sweep(newEnd.Add(time.Minute), expiry.Report{})
	// The expiry is in the audit trail, by the system, and the chain verifies.
	var expired int
	for _, it := range e.as(t, "alice", w.org, "GET", "/audit?caseId="+w.knee, "").items() {
		entry, _ := it.(map[string]any)
		target, _ := entry["target"].(map[string]any)
		actor, _ := entry["actor"].(map[string]any)
		if entry["action"] == "share.expire" && target["id"] == shareID && actor["role"] == "system" {
			expired++
		}
	}
	if expired != 1 {
		t.Errorf("%d share.expire entries by the system for the share, want 1", expired)
	}
	if v := e.as(t, "alice", w.org, "GET", "/audit/verify", ""); v.body["ok"] != true {
		t.Errorf("audit verify after the sweep = %s", v.raw)
	}
	// Nothing is left that the member could not delete: the case's counters are back to 0.
	want(t, "delete the case", e.as(t, "alice", w.org, "DELETE", "/cases/"+w.knee, ""), 204, "")
}

// An ended share, still stored, stands in the way of nothing: a share moved onto its case, or
// the deletion of the saved view it was limited to, goes through, and its expiry is recorded.
func TestEndedShareGivesWay(t *testing.T) {
	e := setup(t)
	w := newExpiryWorld(t, e, "hana")
	end := e.now().Add(24 * time.Hour).Truncate(time.Second)
	view := e.as(t, "alice", w.org, "POST", "/cases/"+w.knee+"/views", `{"name":"Imaging"}`)
	want(t, "a saved view", view, 201, "")
	ended := e.as(t, "alice", w.org, "POST", "/cases/"+w.knee+"/shares",
		fmt.Sprintf(`{"guestId":%q,"scope":"case","viewId":%q,"expiresAt":%q}`, w.guest, view.str("id"), end.Format(time.RFC3339)))
	want(t, "a share limited to the view, with an end", ended, 201, "")
	current := e.as(t, "alice", w.org, "POST", "/cases/"+w.back+"/shares", fmt.Sprintf(`{"guestId":%q,"scope":"case"}`, w.guest))
	want(t, "a share of another case, without an end", current, 201, "")

	viewShares := func(what string, wantN float64) {
		t.Helper()
		items := e.as(t, "alice", w.org, "GET", "/cases/"+w.knee+"/views", "").items()
		if len(items) != 1 || items[0].(map[string]any)["shareCount"] != wantN {
			t.Errorf("%s: views = %v, want the view with shareCount %v", what, items, wantN)
		}
	}
	viewShares("before the end", 1)
	want(t, "the view in use before the end", e.as(t, "alice", w.org, "DELETE", "/views/"+view.str("id"), ""), 409, casescribe.ECONFLICT)
	e.freeze(t, end)
	viewShares("at the end", 0)
	want(t, "the view once its only share has ended", e.as(t, "alice", w.org, "DELETE", "/views/"+view.str("id"), ""), 204, "")

	// Again with a share of the case itself standing where another share moves.
	end2 := end.Add(time.Hour)
	e.frozen.Store(0)
	again := e.as(t, "alice", w.org, "POST", "/cases/"+w.knee+"/shares",
		fmt.Sprintf(`{"guestId":%q,"scope":"case","expiresAt":%q}`, w.guest, end2.Format(time.RFC3339)))
	want(t, "a share of the case, with an end", again, 201, "")
	e.freeze(t, end2)
	moved := e.as(t, "alice", w.org, "PATCH", "/shares/"+current.str("shareId"), fmt.Sprintf(`{"scope":"case","caseId":%q,"version":1}`, w.knee))
	want(t, "move the other share onto the case", moved, 200, "")
	want(t, "the case, through the moved share", e.as(t, "hana", w.org, "GET", "/cases/"+w.knee, ""), 200, "")
	want(t, "the case it left", e.as(t, "hana", w.org, "GET", "/cases/"+w.back, ""), 404, casescribe.ENOTFOUND)

	actions := auditActions(t, e, w.org, "userId="+w.guest)
	if actions["share.expire"] != 2 || actions["share.change"] != 1 {
		t.Errorf("audit entries of the guest = %v, want 2 share.expire and 1 share.change", actions)
	}
}

// auditActions counts, by action, the audit entries alice lists in org under query.
func auditActions(t *testing.T, e *env, org, query string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, it := range e.as(t, "alice", org, "GET", "/audit?"+query, "").items() {
		entry, _ := it.(map[string]any)
		action, _ := entry["action"].(string)
		out[action]++
	}
	return out
}
