package access

import (
	"testing"

	"github.com/casescribe/sharing/pkg/casescribe"
)

func TestSeesChat(t *testing.T) {
	shared := casescribe.Chat{OrgID: "o", CaseID: "k", ClientID: "c", ID: "shared", CreatedBy: "m"}
	own := casescribe.Chat{OrgID: "o", CaseID: "k", ClientID: "c", ID: "own", CreatedBy: "g"}
	other := casescribe.Chat{OrgID: "o", CaseID: "k", ClientID: "c", ID: "other", CreatedBy: "m"}
	guest := casescribe.Caller{UserID: "g", OrgID: "o", Role: casescribe.RoleGuest}
	staff := casescribe.Caller{UserID: "m", OrgID: "o", Role: casescribe.RoleMember}
	withChat := GrantsOf(casescribe.Grant{ClientID: "c", Cases: map[string]casescribe.CaseGrant{"k": {ShareID: "s", ChatIDs: []string{"shared"}}}})
	clientShare := GrantsOf(casescribe.Grant{ClientID: "c", ClientShareID: "cs"})
	for _, tt := range []struct {
		name string
		c    casescribe.Caller
		sc   Scope
		chat casescribe.Chat
		g    Grants
		want bool
	}{
		{"staff, any chat", staff, Scope{}, other, nil, true},
		{"staff of another organization", casescribe.Caller{UserID: "m", OrgID: "x", Role: casescribe.RoleAdmin}, Scope{}, other, nil, false},
		{"guest, a listed chat", guest, Scope{Guest: true}, shared, withChat, true},
		{"guest, its own chat", guest, Scope{Guest: true}, own, withChat, true},
		{"guest, an unlisted chat", guest, Scope{Guest: true}, other, withChat, false},
		{"guest of the whole client: own chats only", guest, Scope{Guest: true}, shared, clientShare, false},
		{"guest, listed on a share of another case", guest, Scope{Guest: true}, casescribe.Chat{OrgID: "o", CaseID: "k2", ClientID: "c", ID: "shared"}, withChat, false},
	} {
		if got := SeesChat(tt.c, tt.sc, tt.chat, tt.g); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestShowExchange(t *testing.T) {
	view := &casescribe.SavedView{ID: "v"}
	e := casescribe.Exchange{Question: "q", Answer: "a", Citations: []string{"f1", "f2"}, AnsweredIn: "case",
		Actions: []casescribe.ActionRecord{{Kind: "apply_tag", FactIDs: []string{"f2"}}}}
	inView := e
	inView.AnsweredIn, inView.Citations, inView.Actions = "view:v", []string{"f1"}, nil
	for _, tt := range []struct {
		name         string
		sc           Scope
		e            casescribe.Exchange
		visible      map[string]bool
		wantRedacted bool
		wantCites    int
	}{
		{"staff", Scope{}, e, map[string]bool{"f1": true, "f2": true}, false, 2},
		{"whole-case guest", Scope{Guest: true}, e, map[string]bool{"f1": true, "f2": true}, false, 2},
		{"a deleted fact's citation goes", Scope{}, e, map[string]bool{"f1": true}, false, 1},
		{"view guest, answered for the case", Scope{Guest: true, View: view}, e, map[string]bool{"f1": true, "f2": true}, true, 0},
		{"view guest, answered in the view", Scope{Guest: true, View: view}, inView, map[string]bool{"f1": true}, false, 1},
		{"view guest, a cited fact left the view", Scope{Guest: true, View: view}, inView, map[string]bool{}, true, 0},
		{"view guest, answered in another view", Scope{Guest: true, View: &casescribe.SavedView{ID: "w"}}, inView, map[string]bool{"f1": true}, true, 0},
	} {
		got, redacted := tt.sc.ShowExchange(tt.e, tt.visible)
		if redacted != tt.wantRedacted || len(got.Citations) != tt.wantCites || got.Question != "q" {
			t.Errorf("%s: redacted %v, %+v", tt.name, redacted, got)
		}
		if redacted && (got.Answer != Redacted || len(got.Actions) != 0) {
			t.Errorf("%s: a redacted exchange keeps %+v", tt.name, got)
		}
	}
}
