package accessmail

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/invitation"
)

// Store is what building an email reads: the recipient's membership and what a guest can open.
// Errors carry casescribe codes; ENOTFOUND for an unknown membership.
type Store interface {
	GetMembership(ctx context.Context, orgID, userID string) (casescribe.Membership, error)
	GuestGrants(ctx context.Context, orgID, guestID string) ([]casescribe.Grant, error)
	GetCases(ctx context.Context, orgID string, ids []string) ([]casescribe.Case, error)
	GetClients(ctx context.Context, orgID string, ids []string) (map[string]casescribe.Client, error)
	ViewNames(ctx context.Context, orgID string, views map[string]string) (map[string]string, error)
}

// Mailer sends one email. Returns EMAILFAILED when the email service fails.
type Mailer interface {
	Send(ctx context.Context, msg invitation.Message) error
}

// Notifier builds and sends the access emails.
type Notifier struct {
	store Store
	mail  Mailer
	link  string
	now   func() time.Time
}

// New returns a Notifier reading st, sending through m, linking to the web app at appURL, and
// reading the time from now (which decides what has ended).
func New(st Store, m Mailer, appURL string, now func() time.Time) *Notifier {
	return &Notifier{store: st, mail: m, link: appURL, now: now}
}

// AccessChanged tells a guest what they can open now, after ev. It reads the guest's access at
// this moment: a guest no longer in the organization (or no longer a guest, or not yet active)
// gets no email, and sent is false. Returns EMAILFAILED when the email service fails.
func (n *Notifier) AccessChanged(ctx context.Context, orgID, guestID string, ev Event) (sent bool, err error) {
	m, items, ok, err := n.current(ctx, orgID, guestID)
	if err != nil || !ok {
		return false, err
	}
	msg := ComposeAccess(ev, m.Email, m.Name, m.OrgName, itemsOf(items), n.link)
	if err := n.mail.Send(ctx, msg); err != nil {
		return false, err
	}
	return true, nil
}

// Remind warns the guest of sh and the person who made it that sh ends within
// access.ReminderLead. Each is written only if, at this moment, the share still opens what it
// did (the guest) and the person who shared is still admin or member of the organization (the
// sharer); sent counts the emails that went out.
func (n *Notifier) Remind(ctx context.Context, sh casescribe.Share) (sent int, err error) {
	var (
		sharer           casescribe.Membership
		errSharer        error
		wg               sync.WaitGroup
		guest            casescribe.Membership
		items            []ownedItem
		guestOK          bool
		errGuest         error
		ending           *Item
		sharerStillStaff bool
	)
	wg.Go(func() { sharer, errSharer = n.store.GetMembership(ctx, sh.OrgID, sh.CreatedBy) })
	guest, items, guestOK, errGuest = n.current(ctx, sh.OrgID, sh.GuestID)
	wg.Wait()
	if casescribe.ErrorCode(errSharer) == casescribe.ENOTFOUND {
		errSharer = nil
	} else if errSharer == nil {
		sharerStillStaff = sharer.Role.Staff() && sharer.Status == casescribe.StatusActive
	}
	if err := errors.Join(errGuest, errSharer); err != nil {
		return 0, err
	}
	for _, it := range items {
		if it.shareID == sh.ID && it.ExpiresAt.Equal(sh.ExpiresAt) {
			ending = &it.Item
			break
		}
	}
	if ending == nil {
		return 0, nil // removed or changed meanwhile: nothing of it to announce
	}
	if guestOK {
		if err := n.mail.Send(ctx, ComposeReminderToGuest(guest.Email, guest.Name, guest.OrgName, *ending, n.link)); err != nil {
			return sent, err
		}
		sent++
	}
	if sharerStillStaff {
		msg := ComposeReminderToSharer(sharer.Email, sharer.Name, guest.Name, guest.OrgName, *ending, n.link)
		if err := n.mail.Send(ctx, msg); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

// ownedItem is an Item with the share that opens it.
type ownedItem struct {
	Item
	shareID string
}

func itemsOf(owned []ownedItem) []Item {
	out := make([]Item, 0, len(owned))
	for _, o := range owned {
		out = append(out, o.Item)
	}
	return out
}

// current reads a guest's membership and what it can open now, strongly consistent. ok is
// false when the person is not an active guest of the organization.
func (n *Notifier) current(ctx context.Context, orgID, guestID string) (casescribe.Membership, []ownedItem, bool, error) {
	var (
		m          casescribe.Membership
		grants     []casescribe.Grant
		errM, errG error
		wg         sync.WaitGroup
	)
	wg.Go(func() { m, errM = n.store.GetMembership(ctx, orgID, guestID) })
	grants, errG = n.store.GuestGrants(ctx, orgID, guestID)
	wg.Wait()
	if casescribe.ErrorCode(errM) == casescribe.ENOTFOUND {
		return casescribe.Membership{}, nil, false, nil
	}
	if err := errors.Join(errM, errG); err != nil {
		return casescribe.Membership{}, nil, false, err
	}
	if m.Role != casescribe.RoleGuest || m.Status != casescribe.StatusActive {
		return casescribe.Membership{}, nil, false, nil
	}
	grants = access.CurrentGrants(grants, n.now())
	refs := access.RefsOf(grants)
	clientIDs, caseIDs, views := refs.ClientIDs, refs.CaseIDs, refs.Views
	var (
		cases                    []casescribe.Case
		clients                  map[string]casescribe.Client
		viewNames                map[string]string
		errCases, errCl, errView error
	)
	if len(caseIDs) > 0 {
		wg.Go(func() { cases, errCases = n.store.GetCases(ctx, orgID, caseIDs) })
	}
	if len(views) > 0 {
		wg.Go(func() { viewNames, errView = n.store.ViewNames(ctx, orgID, views) })
	}
	if len(clientIDs) > 0 {
		clients, errCl = n.store.GetClients(ctx, orgID, clientIDs)
	}
	wg.Wait()
	if err := errors.Join(errCases, errCl, errView); err != nil {
		return casescribe.Membership{}, nil, false, fmt.Errorf("access email: %w", err)
	}
	caseNames := make(map[string]string, len(cases))
	for _, k := range cases {
		caseNames[k.ID] = k.Name
	}
	var out []ownedItem
	for _, g := range grants {
		client, ok := clients[g.ClientID]
		if !ok {
			continue // deleted meanwhile: nothing to open there
		}
		if g.ClientShareID != "" {
			out = append(out, ownedItem{Item{ClientName: client.Name, ExpiresAt: g.ClientShareExpiresAt}, g.ClientShareID})
		}
		for caseID, cg := range g.Cases {
			name, ok := caseNames[caseID]
			if !ok {
				continue
			}
			out = append(out, ownedItem{Item{ClientName: client.Name, CaseName: name, ViewName: viewNames[cg.ViewID],
				Chats: len(cg.ChatIDs), ExpiresAt: cg.ExpiresAt}, cg.ShareID})
		}
	}
	return m, out, true, nil
}
