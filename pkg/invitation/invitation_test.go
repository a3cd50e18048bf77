package invitation

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/oklog/ulid/v2"
)

func TestTokenRoundTrip(t *testing.T) {
	org, inv := ulid.Make().String(), ulid.Make().String()
	token, hash, err := NewToken(org, inv)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(hash, token) || len(hash) != 64 {
		t.Errorf("hash %q", hash)
	}
	gotOrg, gotInv, ok := Parse(token)
	if !ok || gotOrg != org || gotInv != inv {
		t.Errorf("Parse = %q %q %v", gotOrg, gotInv, ok)
	}
	if !Matches(hash, token) || Matches(hash, token+"x") || Matches("", token) {
		t.Error("Matches")
	}
	other, _, _ := NewToken(org, inv)
	if other == token || Matches(hash, other) {
		t.Error("two tokens of the same invitation must differ")
	}
}

func TestParseRefusesWhatIsNotAToken(t *testing.T) {
	org, inv := ulid.Make().String(), ulid.Make().String()
	for _, tok := range []string{"", "x", org + "." + inv, org + "." + inv + ".short",
		"notanid." + inv + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", org + "." + inv + ".a.b"} {
		if _, _, ok := Parse(tok); ok {
			t.Errorf("Parse(%q) accepted", tok)
		}
	}
}

func TestUsable(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	token, hash, _ := NewToken(ulid.Make().String(), ulid.Make().String())
	inv := casescribe.Invitation{TokenHash: hash, ExpiresAt: now.Add(time.Hour)}
	// Another token: the last character changed, whatever it was.
	other := token[:len(token)-1] + "A"
	if other == token {
		other = token[:len(token)-1] + "B"
	}
	tests := []struct {
		name  string
		token string
		at    time.Time
		want  bool
	}{
		{"current token", token, now, true},
		{"at expiry", token, now.Add(time.Hour), false},
		{"after expiry", token, now.Add(2 * time.Hour), false},
		{"another token", other, now, false},
	}
	for _, tt := range tests {
		if got := Usable(inv, tt.token, tt.at); got != tt.want {
			t.Errorf("%s: Usable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMaskEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice@example.com", "a***e@example.com"},
		{"al@example.com", "a***@example.com"},
		{"a@example.com", "a***@example.com"},
		{"nonsense", "***"},
	}
	for _, tt := range tests {
		if got := MaskEmail(tt.in); got != tt.want {
			t.Errorf("MaskEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCompose(t *testing.T) {
	token, _, _ := NewToken(ulid.Make().String(), ulid.Make().String())
	link := Link("https://app.example/", token)
	if u, err := url.Parse(link); err != nil || u.Query().Get("token") != token || u.Path != "/invitations/accept" {
		t.Fatalf("link %q", link)
	}
	inv := casescribe.Invitation{Email: "erin@example.com", Name: "Erin <b>", OrgName: "Harbor & Vale LLP",
		InviterName: "Alice Harbor", Role: casescribe.RoleGuest, ExpiresAt: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)}
	m, err := Compose(inv, link)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{m.Subject, m.Text, m.HTML} {
		if !strings.Contains(part, "Alice Harbor") {
			t.Errorf("part does not name the inviter: %q", part)
		}
	}
	for _, want := range []string{"Harbor & Vale LLP", "as a guest", link, "30 November 2026"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if !strings.Contains(m.HTML, "Harbor &amp; Vale LLP") || strings.Contains(m.HTML, "<b>") || !strings.Contains(m.HTML, "as a guest") {
		t.Errorf("html not escaped or incomplete: %s", m.HTML)
	}
	if m.To != inv.Email {
		t.Errorf("to %q", m.To)
	}
}
