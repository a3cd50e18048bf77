package bedrockai

import (
	"slices"
	"strings"
	"testing"

	"github.com/casescribe/sharing/pkg/ai"
)

func TestCitations(t *testing.T) {
	known := map[string]bool{"f1": true, "f2": true, "01J0ABC": true}
	tests := []struct {
		in       string
		wantText string
		wantIDs  []string
	}{
		{"No markers at all.", "No markers at all.", nil},
		{"A [fact:f1] and B [fact:f2].", "A and B.", []string{"f1", "f2"}},
		{"Repeated [fact:f2] then [fact:f1] then [fact:f2].", "Repeated then then.", []string{"f2", "f1"}},
		{"Spacing and case [ Fact : f1 ].", "Spacing and case.", []string{"f1"}},
		{"Several in one [fact:f1, fact:f2].", "Several in one.", []string{"f1", "f2"}},
		{"Several bare [fact: f1; f2 01J0ABC].", "Several bare.", []string{"f1", "f2", "01J0ABC"}},
		{"Adjacent [fact:f1][fact:f2].", "Adjacent.", []string{"f1", "f2"}},
		{"Invented [fact:f9] and empty [fact:].", "Invented and empty.", nil},
		{"Other brackets [sic] stay [1].", "Other brackets [sic] stay [1].", nil},
		{"Line one [fact:f1]\nLine two.", "Line one\nLine two.", []string{"f1"}},
		{"[fact:f1] Leading.", "Leading.", []string{"f1"}},
	}
	for _, tt := range tests {
		text, ids := citations(tt.in, known)
		if text != tt.wantText || !slices.Equal(ids, tt.wantIDs) {
			t.Errorf("citations(%q) = %q, %q; want %q, %q", tt.in, text, ids, tt.wantText, tt.wantIDs)
		}
	}
}

func TestCleanTag(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"knee", "knee", true},
		{"  Knee Injury ", "Knee Injury", true},
		{"", "", false},
		{"   ", "", false},
		{"[fact:f1]", "", false},
		{"a]b", "", false},
		{"line\nbreak", "", false},
		{"tab\there", "", false},
		{string([]byte{0xff, 'a'}), "", false},
		{"étude", "étude", true},
		{strings.Repeat("é", 50), strings.Repeat("é", 50), true}, // 50 characters, 100 bytes
		{strings.Repeat("x", 51), "", false},
	}
	for _, tt := range tests {
		got, ok := cleanTag(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("cleanTag(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFirstJSON(t *testing.T) {
	hasGroups := func(v *groupReply) bool { return v.Groups != nil }
	tests := []struct {
		in     string
		ok     bool
		groups int
	}{
		{`{"groups":[]}`, true, 0},
		{`{"groups":[{"name":"A","factIds":["f1"]}]}`, true, 1},
		{"Sure! ```json\n{\"groups\":[{\"name\":\"A\"}]}\n``` Anything else?", true, 1},
		{`Braces {first} then {"groups":[{"name":"A"},{"name":"B"}]}`, true, 2},
		{`{"other":1} {"groups":[{"name":"A"}]}`, true, 1},
		{`{"groups":"not a list"} {"groups":[]}`, true, 0},
		{`{"groups":null}`, false, 0},
		{`{"other":1}`, false, 0},
		{`{"groups":[{"name":"A"`, false, 0},
		{`no json here`, false, 0},
		{``, false, 0},
	}
	for _, tt := range tests {
		v, ok := firstJSON(tt.in, hasGroups)
		if ok != tt.ok {
			t.Errorf("firstJSON(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			continue
		}
		if ok && len(*v.Groups) != tt.groups {
			t.Errorf("firstJSON(%q) groups = %d, want %d", tt.in, len(*v.Groups), tt.groups)
		}
	}
}

func TestValidDate(t *testing.T) {
	for in, want := range map[string]bool{
		"2024-04-02": true, "2024-02-29": true, "2023-02-29": false, "2024-4-2": false,
		"02/04/2024": false, "2024-04-02T10:00:00Z": false, "": false,
	} {
		if got := validDate(in); got != want {
			t.Errorf("validDate(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestHistorySkipsBlankTurns(t *testing.T) {
	msgs := history([]ai.Turn{
		{Question: "Q1", Answer: "A1"},
		{Question: "Q2", Answer: "  "},
		{Question: "", Answer: "A3"},
		{Question: " Q4 ", Answer: "A4"},
	})
	var roles []string
	for _, m := range msgs {
		roles = append(roles, string(m.Role))
	}
	if want := []string{"user", "assistant", "user", "assistant"}; !slices.Equal(roles, want) {
		t.Errorf("roles = %v, want %v", roles, want)
	}
}
