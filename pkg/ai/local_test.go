package ai

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/casescribe/sharing/pkg/casescribe"
)

var testFacts = []casescribe.Fact{
	{ID: "01A", Date: "2024-03-01", Text: "MRI shows a torn medial meniscus", Tags: []string{"imaging"}, KeyFact: true},
	{ID: "01B", Date: "2024-02-01", Text: "Patient reported knee pain after the fall", Tags: []string{"symptoms"}},
	{ID: "01C", Date: "2024-03-05", Text: "Invoice for the MRI, 1200 USD", Tags: []string{"billing"}},
	{ID: "01D", Text: "Surgeon recommends arthroscopy", Tags: []string{"treatment"}},
}

func TestLocalAnswer(t *testing.T) {
	tests := []struct {
		question  string
		canAct    bool
		cites     []string
		contains  string
		actionsOf ActionKind
	}{
		{"What did the MRI show?", false, []string{"01A", "01C"}, "torn medial meniscus", ""},
		{"How much was the invoice?", false, []string{"01C"}, "1200 USD", ""},
		{"Who is the opposing counsel?", false, nil, "Nothing in the facts you can see", ""},
		{"Create a fact: Patient missed physiotherapy on 2024-04-02", false, nil, "can't do that", ""},
		{"Tag the MRI facts as imaging-review", false, nil, "can't do that", ""},
		{"Create a fact: Patient missed physiotherapy on 2024-04-02", true, nil, "Creating the fact", CreateFact},
		{"Tag the invoice facts as reviewed", true, []string{"01C"}, "Tagging 1 facts", ApplyTag},
		{"Apply tag urgent to facts about the surgeon", true, []string{"01D"}, "Tagging", ApplyTag},
	}
	for _, tt := range tests {
		a, err := Local{}.Answer(context.Background(), Question{Text: tt.question, Facts: testFacts, CanAct: tt.canAct})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Citations, tt.cites) {
			t.Errorf("%q: citations %v, want %v", tt.question, a.Citations, tt.cites)
		}
		if !strings.Contains(a.Text, tt.contains) {
			t.Errorf("%q: answer %q, want it to contain %q", tt.question, a.Text, tt.contains)
		}
		if tt.actionsOf == "" && len(a.Actions) > 0 || tt.actionsOf != "" && (len(a.Actions) != 1 || a.Actions[0].Kind != tt.actionsOf) {
			t.Errorf("%q: actions %+v, want %q", tt.question, a.Actions, tt.actionsOf)
		}
	}
	a, _ := Local{}.Answer(context.Background(), Question{Text: "Create a fact: Patient missed physiotherapy on 2024-04-02", CanAct: true})
	if a.Actions[0].Date != "2024-04-02" || a.Actions[0].Text != "Patient missed physiotherapy on 2024-04-02" {
		t.Errorf("create action = %+v", a.Actions[0])
	}
}

// The answerer sees only what it is given: a fact left out is never quoted or cited.
func TestLocalAnswerStaysInItsFacts(t *testing.T) {
	inView := testFacts[:1]
	a, _ := Local{}.Answer(context.Background(), Question{Text: "What was the invoice for the MRI?", Facts: inView})
	if strings.Contains(a.Text, "1200") || slices.Contains(a.Citations, "01C") {
		t.Errorf("answer from the view leaks the invoice: %+v", a)
	}
}

func TestLocalTagsAndGroups(t *testing.T) {
	got, _ := Local{}.SuggestTags(context.Background(), testFacts)
	// Only the invoice lacks a tag its words suggest (it names the MRI); a fact's own tags are
	// never suggested again.
	if len(got) != 1 || got[0].FactID != "01C" || !slices.Equal(got[0].Tags, []string{"imaging"}) {
		t.Errorf("suggestions = %+v", got)
	}
	groups, _ := Local{}.Group(context.Background(), testFacts)
	var names []string
	for _, g := range groups {
		names = append(names, g.Name)
	}
	if !slices.Equal(names, []string{"February 2024", "March 2024", "Undated"}) || !slices.Equal(groups[1].FactIDs, []string{"01A", "01C"}) {
		t.Errorf("groups = %+v", groups)
	}
}
