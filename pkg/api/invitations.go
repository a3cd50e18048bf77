package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/audit"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/invitation"
	"github.com/casescribe/sharing/pkg/store"
)

type invitationJSON struct {
	ID         string          `json:"id"`
	Email      string          `json:"email"`
	Name       string          `json:"name"`
	Role       casescribe.Role `json:"role"`
	Status     string          `json:"status"`
	ExpiresAt  time.Time       `json:"expiresAt"`
	MailStatus string          `json:"mailStatus"`
	InvitedBy  string          `json:"invitedBy"`
}

func (s *Server) newInvitationJSON(inv casescribe.Invitation) invitationJSON {
	status := "pending"
	if inv.Expired(s.now()) {
		status = "expired"
	}
	return invitationJSON{ID: inv.ID, Email: inv.Email, Name: inv.Name, Role: inv.Role, Status: status,
		ExpiresAt: inv.ExpiresAt, MailStatus: inv.MailStatus, InvitedBy: inv.InviterName}
}

type createInvitationBody struct {
	Email string          `json:"email"`
	Name  string          `json:"name"`
	Role  casescribe.Role `json:"role"`
	retiredVisibleClients
}

// validEmail accepts one bare address and returns it lower-cased, the form every comparison
// uses.
func validEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > 254 {
		return "", casescribe.Errorf(casescribe.EINVALID, `Field "email" must be one email address, such as name@example.com.`)
	}
	return strings.ToLower(email), nil
}

// createInvitation invites a person by email. Inviting an address that has a pending
// invitation reissues it: the previous link stops working.
func (s *Server) createInvitation(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body createInvitationBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if err := body.check(); err != nil {
		return err
	}
	email, err := validEmail(body.Email)
	if err != nil {
		return err
	}
	name, err := validName("name", body.Name)
	if err != nil {
		return err
	}
	if !body.Role.Valid() {
		return casescribe.Errorf(casescribe.EINVALID, `Field "role" must be one of admin, member, guest.`)
	}
	reqKey, err := requestKey(r)
	if err != nil {
		return err
	}

	// The organization's name, the inviter's name and who holds the address: one wave.
	var (
		org                     casescribe.Organization
		inviter                 casescribe.Membership
		holder                  store.MemberOrInvitation
		errOrg, errInv, errHold error
		wg                      sync.WaitGroup
	)
	wg.Go(func() { org, errOrg = s.store.GetOrganization(r.Context(), c.OrgID) })
	wg.Go(func() { inviter, errInv = s.store.GetMembership(r.Context(), c.OrgID, c.UserID) })
	holder, errHold = s.store.EmailHolder(r.Context(), c.OrgID, email)
	wg.Wait()
	if err := errors.Join(errOrg, errInv, errHold); err != nil {
		return err
	}
	if holder.UserID != "" {
		return casescribe.Errorf(casescribe.ECONFLICT, "%s is already a member of this organization.", email)
	}

	now := s.now()
	inv := casescribe.Invitation{OrgID: c.OrgID, OrgName: org.Name, ID: s.newID(), Email: email, Name: name,
		Role: body.Role, InvitedBy: c.UserID, InviterName: inviter.Name, Issue: 1, IssuedAt: now,
		ExpiresAt: now.Add(invitation.Validity), MailStatus: casescribe.MailSent, RequestKey: reqKey, CreatedAt: now}
	stale := ""
	if holder.InvitationID != "" {
		prev, err := s.store.GetInvitation(r.Context(), c.OrgID, holder.InvitationID)
		switch {
		case err == nil && reqKey != "" && prev.RequestKey == reqKey:
			writeJSON(w, http.StatusCreated, s.newInvitationJSON(prev)) // a retry: answered, not redone
			return nil
		case err == nil:
			inv.ID, inv.Issue, inv.CreatedAt = prev.ID, prev.Issue+1, prev.CreatedAt
		case casescribe.ErrorCode(err) == casescribe.ENOTFOUND:
			stale = holder.InvitationID
		default:
			return err
		}
	}
	token, hash, err := invitation.NewToken(inv.OrgID, inv.ID)
	if err != nil {
		return err
	}
	inv.TokenHash = hash
	ctx := s.invitationAudited(r, c, audit.InvitationCreate, inv.ID, nil, &inv)
	if inv.Issue > 1 {
		err = s.store.ReissueInvitation(ctx, inv)
	} else {
		err = s.store.CreateInvitation(ctx, inv, stale)
	}
	if err != nil {
		return err
	}
	if err := s.deliver(r, &inv, token); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.newInvitationJSON(inv))
	return nil
}

// deliver emails the invitation's current issue. Each issue is made by exactly one conditional
// write and only the request that made it sends it, so no issue is emailed twice. The status
// was written as sent with the issue, keeping the usual path to one write; a failed send
// overwrites it (the invitation stays, and can be resent) and answers EMAILFAILED. A crash
// between the write and SES's answer would leave "sent" on an email that never left: the
// admin resends, as after any email that does not arrive.
func (s *Server) deliver(r *http.Request, inv *casescribe.Invitation, token string) error {
	var sendErr error
	if s.mail == nil {
		sendErr = casescribe.Errorf(casescribe.EMAILFAILED, "The invitation was saved but email is not configured; try resending it later.")
	} else {
		msg, err := invitation.Compose(*inv, invitation.Link(s.appBaseURL, token))
		if err != nil {
			return err
		}
		sendErr = s.mail.Send(r.Context(), msg)
	}
	if sendErr == nil {
		return nil
	}
	inv.MailStatus = casescribe.MailFailed
	// Recorded even if the client has gone, so that the list tells the truth.
	if err := s.store.MarkMailFailed(context.WithoutCancel(r.Context()), inv.OrgID, inv.ID, inv.Issue); err != nil {
		return errors.Join(sendErr, err)
	}
	return sendErr
}

// requestKey is the SHA-256 of the request's Idempotency-Key header, "" without one. A client
// that retries a create or a resend with the same key gets the first answer back, with no new
// token and no second email.
func requestKey(r *http.Request) (string, error) {
	k := r.Header.Get("Idempotency-Key")
	if k == "" {
		return "", nil
	}
	if len(k) > 255 {
		return "", casescribe.Errorf(casescribe.EINVALID, "The Idempotency-Key header must be at most 255 characters.")
	}
	return invitation.Hash(k), nil
}

func (s *Server) listInvitations(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	cursor, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	page, err := s.store.ListInvitations(r.Context(), c.OrgID, cursor, limit)
	if err != nil {
		return err
	}
	items := make([]invitationJSON, 0, len(page.Items))
	for _, inv := range page.Items {
		items = append(items, s.newInvitationJSON(inv))
	}
	writeJSON(w, http.StatusOK, newList(items, page.NextCursor))
	return nil
}

// pathInvitation loads the invitation named by the path.
func (s *Server) pathInvitation(r *http.Request, c casescribe.Caller) (casescribe.Invitation, error) {
	id, err := pathID(r, "invitationId", "Invitation")
	if err != nil {
		return casescribe.Invitation{}, err
	}
	return s.store.GetInvitation(r.Context(), c.OrgID, id)
}

// resendInvitation issues a new token (the previous link stops working), with a new expiry,
// and emails it.
func (s *Server) resendInvitation(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	reqKey, err := requestKey(r)
	if err != nil {
		return err
	}
	var (
		inviter casescribe.Membership
		errInv  error
		wg      sync.WaitGroup
	)
	wg.Go(func() { inviter, errInv = s.store.GetMembership(r.Context(), c.OrgID, c.UserID) })
	inv, err := s.pathInvitation(r, c)
	wg.Wait()
	if err != nil {
		return err
	}
	if errInv != nil {
		return errInv
	}
	if reqKey != "" && inv.RequestKey == reqKey {
		writeJSON(w, http.StatusOK, s.newInvitationJSON(inv)) // a retry: answered, not redone
		return nil
	}
	now := s.now()
	token, hash, err := invitation.NewToken(inv.OrgID, inv.ID)
	if err != nil {
		return err
	}
	before := inv
	inv.TokenHash, inv.Issue, inv.IssuedAt, inv.ExpiresAt = hash, inv.Issue+1, now, now.Add(invitation.Validity)
	inv.InvitedBy, inv.InviterName, inv.MailStatus, inv.RequestKey = c.UserID, inviter.Name, casescribe.MailSent, reqKey
	if err := s.store.ReissueInvitation(s.invitationAudited(r, c, audit.InvitationResend, inv.ID, &before, &inv), inv); err != nil {
		return err
	}
	if err := s.deliver(r, &inv, token); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.newInvitationJSON(inv))
	return nil
}

func (s *Server) deleteInvitation(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	inv, err := s.pathInvitation(r, c)
	if err != nil {
		return err
	}
	if err := s.store.RevokeInvitation(s.invitationAudited(r, c, audit.InvitationRevoke, inv.ID, &inv, nil), inv); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// invitationByToken returns the invitation a token is good for. Unknown, malformed, expired,
// reissued, revoked and used tokens all answer the same ENOTFOUND.
func (s *Server) invitationByToken(r *http.Request, token string) (casescribe.Invitation, error) {
	notFound := casescribe.Errorf(casescribe.ENOTFOUND, "This invitation link is not valid: it may have expired, been replaced by a newer one, or already been used. Ask for a new invitation.")
	orgID, id, ok := invitation.Parse(token)
	if !ok {
		return casescribe.Invitation{}, notFound
	}
	inv, err := s.store.GetInvitation(r.Context(), orgID, id)
	if casescribe.ErrorCode(err) == casescribe.ENOTFOUND {
		return casescribe.Invitation{}, notFound
	}
	if err != nil {
		return casescribe.Invitation{}, err
	}
	if !invitation.Usable(inv, token, s.now()) {
		return casescribe.Invitation{}, notFound
	}
	return inv, nil
}

type lookupJSON struct {
	OrgName     string          `json:"orgName"`
	InviterName string          `json:"inviterName"`
	Email       string          `json:"email"`
	Role        casescribe.Role `json:"role"`
	ExpiresAt   time.Time       `json:"expiresAt"`
}

// lookupInvitation answers the invitation page before sign-in: who invites, to what, and a
// masked address to sign in with. It needs no token of ours, only the link's.
func (s *Server) lookupInvitation(w http.ResponseWriter, r *http.Request, _ casescribe.Caller) error {
	inv, err := s.invitationByToken(r, r.URL.Query().Get("token"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, lookupJSON{OrgName: inv.OrgName, InviterName: inv.InviterName,
		Email: invitation.MaskEmail(inv.Email), Role: inv.Role, ExpiresAt: inv.ExpiresAt})
	return nil
}

type acceptBody struct {
	Token string `json:"token"`
}

type acceptJSON struct {
	Organization organizationJSON `json:"organization"`
}

// acceptInvitation makes the signed-in caller a member, if the invitation was sent to the
// caller's own address. The token works once.
func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body acceptBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if body.Token == "" {
		return casescribe.Errorf(casescribe.EINVALID, `Field "token" is required: the token from the invitation link.`)
	}
	inv, err := s.invitationByToken(r, body.Token)
	if err != nil {
		return err
	}
	if !access.InvitationFor(inv.Email, c) {
		return casescribe.Errorf(casescribe.EFORBIDDEN, "This invitation was sent to another email address: sign in with that address, once it is verified, to accept it.")
	}
	m, err := s.store.AcceptInvitation(s.acceptAudited(r, c, inv), inv, casescribe.User{ID: c.UserID, Email: c.Email, Name: inv.Name}, s.now())
	if err != nil {
		return fmt.Errorf("accept invitation: %w", err)
	}
	writeJSON(w, http.StatusOK, acceptJSON{Organization: organizationJSON{ID: m.OrgID, Name: m.OrgName, Role: m.Role}})
	return nil
}
