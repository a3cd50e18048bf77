// Package accessmail tells people by email when a guest's access changes: the guest when access
// is granted, changed, removed or ended, and the guest and the person who shared three days
// before a share ends. Every email is built at the moment it is sent, from the access as it
// stands then (read strongly consistent), never from a copy made when the change was asked
// for; it names only what the guest can see at that moment. A person who is no longer a guest
// of the organization when the email is built gets none.
package accessmail

import (
	"fmt"
	"html"
	"sort"
	"strings"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/invitation"
)

// Event is why a guest is written to.
type Event string

// The events that send an email.
const (
	Granted Event = "granted" // a share was added
	Changed Event = "changed" // a share's scope, case, view, chats or end changed
	Removed Event = "removed" // a share was removed
	Ended   Event = "ended"   // a share reached its end
)

// Item is one thing a guest can open, as an email names it.
type Item struct {
	ClientName string
	// CaseName is "" for a share of every case of the client.
	CaseName string
	// ViewName is the saved view a case share is limited to, "" for the whole case.
	ViewName string
	// Chats counts the chats the share carries.
	Chats int
	// ExpiresAt is when the access ends; zero when it does not.
	ExpiresAt time.Time
}

// label is how an item reads in a list: "Smith, John · Knee MRI" or "Smith, John · All cases".
func (it Item) label() string {
	what := it.CaseName
	if what == "" {
		what = "All cases, including cases added later"
	}
	out := it.ClientName + " · " + what
	var notes []string
	if it.ViewName != "" {
		notes = append(notes, "limited to the saved view "+quote(it.ViewName))
	}
	switch it.Chats {
	case 0:
	case 1:
		notes = append(notes, "1 shared chat")
	default:
		notes = append(notes, fmt.Sprintf("%d shared chats", it.Chats))
	}
	if !it.ExpiresAt.IsZero() {
		notes = append(notes, "until "+access.When(it.ExpiresAt))
	}
	if len(notes) > 0 {
		out += " (" + strings.Join(notes, ", ") + ")"
	}
	return out
}

func quote(s string) string { return "“" + s + "”" }

// sortItems orders items by client, then case, so that two emails of the same access read alike.
func sortItems(items []Item) {
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].ClientName != items[j].ClientName {
			return items[i].ClientName < items[j].ClientName
		}
		return items[i].CaseName < items[j].CaseName
	})
}

// ComposeAccess builds the email telling a guest that their access in an organization
// changed, listing everything they can open now (items) and nothing else: not what was
// removed, nor what it was before.
func ComposeAccess(ev Event, to, guestName, orgName string, items []Item, link string) invitation.Message {
	sortItems(items)
	var intro, subject string
	switch ev {
	case Granted:
		subject = fmt.Sprintf("%s shared cases with you on CaseScribe", orgName)
		intro = fmt.Sprintf("%s gave you access to cases on CaseScribe.", orgName)
	case Ended:
		subject = fmt.Sprintf("Access at %s on CaseScribe reached its end date", orgName)
		intro = fmt.Sprintf("Access that %s gave you on CaseScribe reached its end date.", orgName)
	default:
		subject = fmt.Sprintf("Your access at %s on CaseScribe changed", orgName)
		intro = fmt.Sprintf("%s changed what you can open on CaseScribe.", orgName)
	}
	var now string
	if len(items) == 0 {
		now = fmt.Sprintf("You no longer have access to any case of %s.", orgName)
	} else {
		now = "You can now open:"
	}
	return message(to, subject, guestName, intro, now, items, link)
}

// ComposeReminderToGuest warns a guest that access ends soon. items are what the guest can
// open now; the one ending is named by ending.
func ComposeReminderToGuest(to, guestName, orgName string, ending Item, link string) invitation.Message {
	subject := fmt.Sprintf("Your access at %s on CaseScribe ends on %s", orgName, access.When(ending.ExpiresAt))
	intro := fmt.Sprintf("Access that %s gave you on CaseScribe ends on %s. After that you will no longer be able to open it; ask %s if you need longer.",
		orgName, access.When(ending.ExpiresAt), orgName)
	return message(to, subject, guestName, intro, "Ending:", []Item{ending}, link)
}

// ComposeReminderToSharer warns the person who shared that a guest's access ends soon.
func ComposeReminderToSharer(to, sharerName, guestName, orgName string, ending Item, link string) invitation.Message {
	subject := fmt.Sprintf("%s's access ends on %s", guestName, access.When(ending.ExpiresAt))
	intro := fmt.Sprintf("Access you gave %s at %s ends on %s. To keep it, change the share's end date in the case's Share dialog.",
		guestName, orgName, access.When(ending.ExpiresAt))
	return message(to, subject, sharerName, intro, "Ending:", []Item{ending}, link)
}

// message writes the plain text and HTML parts; names are escaped in the HTML part, and line
// breaks are kept out of the subject. It uses fmt rather than the template packages, whose
// reflection makes every Lambda binary larger (see invitation.Compose).
func message(to, subject, name, intro, listHead string, items []Item, link string) invitation.Message {
	var text, list strings.Builder
	fmt.Fprintf(&text, "Hello %s,\n\n%s\n\n%s\n", name, intro, listHead)
	e := html.EscapeString
	for _, it := range items {
		fmt.Fprintf(&text, "- %s\n", it.label())
		fmt.Fprintf(&list, "<li>%s</li>\n", e(it.label()))
	}
	fmt.Fprintf(&text, "\nOpen CaseScribe: %s\n", link)
	listHTML := ""
	if len(items) > 0 {
		listHTML = "<ul>\n" + list.String() + "</ul>\n"
	}
	body := fmt.Sprintf(`<!doctype html>
<html><body style="font-family:sans-serif">
<p>Hello %s,</p>
<p>%s</p>
<p>%s</p>
%s<p><a href="%s">Open CaseScribe</a></p>
</body></html>
`, e(name), e(intro), e(listHead), listHTML, e(link))
	subject = strings.NewReplacer("\r", " ", "\n", " ").Replace(subject)
	return invitation.Message{To: to, Subject: subject, Text: text.String(), HTML: body}
}
