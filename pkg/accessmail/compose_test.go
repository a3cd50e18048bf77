package accessmail

import (
	"strings"
	"testing"
	"time"
)

func TestComposeAccessListsOnlyWhatIsGiven(t *testing.T) {
	end := time.Date(2027, 2, 1, 12, 0, 0, 0, time.UTC)
	items := []Item{
		{ClientName: "Smith, John", CaseName: "Knee MRI", ViewName: "Imaging", Chats: 2, ExpiresAt: end},
		{ClientName: "Doe, Jane"},
	}
	msg := ComposeAccess(Changed, "erin@example.com", "Erin <b>", "Harbor & Vale", items, "https://app.example/")
	if msg.To != "erin@example.com" || msg.Subject != "Your access at Harbor & Vale on CaseScribe changed" {
		t.Errorf("to %q subject %q", msg.To, msg.Subject)
	}
	for _, want := range []string{
		"Doe, Jane · All cases, including cases added later",
		"Smith, John · Knee MRI (limited to the saved view “Imaging”, 2 shared chats, until 1 February 2027 at 12:00 UTC)",
	} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, msg.Text)
		}
	}
	if strings.Index(msg.Text, "Doe, Jane") > strings.Index(msg.Text, "Smith, John") {
		t.Error("items are not sorted by client")
	}
	if strings.Contains(msg.HTML, "<b>") || !strings.Contains(msg.HTML, "Erin &lt;b&gt;") || !strings.Contains(msg.HTML, "Harbor &amp; Vale") {
		t.Errorf("names are not escaped in the HTML part:\n%s", msg.HTML)
	}

	none := ComposeAccess(Removed, "erin@example.com", "Erin", "Harbor", nil, "https://app.example/")
	if !strings.Contains(none.Text, "You no longer have access to any case of Harbor.") || strings.Contains(none.HTML, "<ul>") {
		t.Errorf("email with nothing left:\n%s\n%s", none.Text, none.HTML)
	}
}

func TestSubjectsHaveNoLineBreaks(t *testing.T) {
	item := Item{ClientName: "A", ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, subject := range []string{
		ComposeAccess(Granted, "g@example.com", "G", "Evil\r\nBcc: x@example.com", nil, "l").Subject,
		ComposeReminderToGuest("g@example.com", "G", "Org\nX", item, "l").Subject,
		ComposeReminderToSharer("s@example.com", "S", "Guest\r\nX", "Org", item, "l").Subject,
	} {
		if strings.ContainsAny(subject, "\r\n") {
			t.Errorf("subject %q has a line break", subject)
		}
	}
}
