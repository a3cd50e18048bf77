// Package invitation holds what an invitation is made of besides storage: its single-use
// token, the link and the email that carry it, and how its address is shown to someone who
// holds only the link. It does no I/O.
package invitation

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"

	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/oklog/ulid/v2"
)

// Validity is how long an invitation's token can be accepted after it is issued.
const Validity = 7 * 24 * time.Hour

// secretBytes is the token's secret: 256 bits from the operating system's CSPRNG.
const secretBytes = 32

// NewToken returns a new token for an invitation and the SHA-256 to store in its place. The
// token names the organization and the invitation, so that checking it is one read of one
// key; only the secret part makes it worth anything, and it is never stored.
func NewToken(orgID, invitationID string) (token, hash string, err error) {
	secret := make([]byte, secretBytes)
	if _, err := rand.Read(secret); err != nil {
		return "", "", fmt.Errorf("invitation token: %w", err)
	}
	token = orgID + "." + invitationID + "." + base64.RawURLEncoding.EncodeToString(secret)
	return token, Hash(token), nil
}

// Parse returns the organization and invitation a token names. ok is false for anything that
// is not shaped like a token of ours; callers answer that exactly like an unknown token.
func Parse(token string) (orgID, invitationID string, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", "", false
	}
	if _, err := ulid.ParseStrict(parts[0]); err != nil {
		return "", "", false
	}
	if _, err := ulid.ParseStrict(parts[1]); err != nil {
		return "", "", false
	}
	if secret, err := base64.RawURLEncoding.DecodeString(parts[2]); err != nil || len(secret) != secretBytes {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// Hash is the SHA-256 of a token, hex-encoded: what is stored instead of the token.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Matches reports, in constant time, whether token is the one whose hash was stored.
func Matches(storedHash, token string) bool {
	return storedHash != "" && subtle.ConstantTimeCompare([]byte(storedHash), []byte(Hash(token))) == 1
}

// Usable reports whether inv can be looked up or accepted with token at now: the token is its
// current one and it has not expired.
func Usable(inv casescribe.Invitation, token string, now time.Time) bool {
	return Matches(inv.TokenHash, token) && !inv.Expired(now)
}

// MaskEmail shows enough of an address for its owner to recognise it, and little to anyone
// else holding the link: "alice@example.com" becomes "a***e@example.com".
func MaskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return "***"
	}
	r := []rune(local)
	if len(r) <= 2 {
		return string(r[0]) + "***@" + domain
	}
	return string(r[0]) + "***" + string(r[len(r)-1]) + "@" + domain
}

// Link is the page of the web app where the invitee accepts. The web app posts the token to
// POST /invitations/accept: accepting is never a GET, since mail scanners open links.
func Link(appBaseURL, token string) string {
	return strings.TrimRight(appBaseURL, "/") + "/invitations/accept?token=" + url.QueryEscape(token)
}

// Message is an email ready to send.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

var roleWords = map[casescribe.Role]string{
	casescribe.RoleAdmin:  "an admin",
	casescribe.RoleMember: "a member",
	casescribe.RoleGuest:  "a guest",
}

// Compose builds the invitation email: plain text and HTML, naming the organization, the
// inviter and the role, with the accept link. Names are escaped in the HTML part. It is
// written with fmt rather than text/template or html/template: those reach methods by
// reflection, which keeps the linker from dropping unused code and made every Lambda binary
// several megabytes larger.
func Compose(inv casescribe.Invitation, link string) (Message, error) {
	if inv.Email == "" || link == "" {
		return Message{}, fmt.Errorf("invitation email: no recipient or link")
	}
	role := roleWords[inv.Role]
	expires := inv.ExpiresAt.UTC().Format("2 January 2006, 15:04 UTC")
	text := fmt.Sprintf(`Hello %s,

%s invited you to join %s on CaseScribe as %s.

Accept the invitation here:
%s

The link works once and until %s. Sign in, or create your account, with this email
address: the invitation cannot be accepted from another one.

If you did not expect this invitation, you can ignore this email.
`, inv.Name, inv.InviterName, inv.OrgName, role, link, expires)
	e := html.EscapeString
	body := fmt.Sprintf(`<!doctype html>
<html><body style="font-family:sans-serif">
<p>Hello %s,</p>
<p><strong>%s</strong> invited you to join <strong>%s</strong> on CaseScribe as %s.</p>
<p><a href="%s">Accept the invitation</a></p>
<p>The link works once and until %s. Sign in, or create your account, with this email address:
the invitation cannot be accepted from another one.</p>
<p>If you did not expect this invitation, you can ignore this email.</p>
</body></html>
`, e(inv.Name), e(inv.InviterName), e(inv.OrgName), role, e(link), expires)
	subject := strings.NewReplacer("\r", " ", "\n", " ").Replace(
		fmt.Sprintf("%s invited you to %s on CaseScribe", inv.InviterName, inv.OrgName))
	return Message{To: inv.Email, Subject: subject, Text: text, HTML: body}, nil
}
