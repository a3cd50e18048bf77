package access

import (
	"slices"
	"testing"

	"github.com/casescribe/sharing/pkg/casescribe"
)

func fact(id, date string, key bool, text string, tags ...string) casescribe.Fact {
	return casescribe.Fact{ID: id, Date: date, KeyFact: key, Text: text, Tags: tags}
}

var facts = []casescribe.Fact{
	fact("01A", "2024-03-01", true, "MRI shows a torn meniscus", "Imaging"),
	fact("01B", "2024-02-01", false, "Knee pain after the fall", "symptoms"),
	fact("01C", "2024-03-05", false, "Invoice for the MRI", "billing"),
	fact("01D", "", true, "Surgeon recommends arthroscopy", "imaging", "treatment"),
}

func ids(fs []casescribe.Fact) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func TestMatches(t *testing.T) {
	tests := []struct {
		name   string
		filter casescribe.FactFilter
		want   []string
	}{
		{"everything", casescribe.FactFilter{}, []string{"01A", "01B", "01C", "01D"}},
		{"tag, any case", casescribe.FactFilter{Tags: []string{"imaging"}}, []string{"01A", "01D"}},
		{"every tag", casescribe.FactFilter{Tags: []string{"imaging", "treatment"}}, []string{"01D"}},
		{"key only", casescribe.FactFilter{KeyOnly: true}, []string{"01A", "01D"}},
		{"a word, any case", casescribe.FactFilter{Query: "mri"}, []string{"01A", "01C"}},
		{"every word", casescribe.FactFilter{Query: "the MRI"}, []string{"01C"}},
		{"words in tags", casescribe.FactFilter{Query: "billing"}, []string{"01C"}},
		{"no match", casescribe.FactFilter{Query: "hip"}, nil},
		{"from", casescribe.FactFilter{From: "2024-03-01"}, []string{"01A", "01C"}},
		{"range", casescribe.FactFilter{From: "2024-02-01", To: "2024-03-01"}, []string{"01A", "01B"}},
		{"undated never in a range", casescribe.FactFilter{To: "9999-12-31"}, []string{"01A", "01B", "01C"}},
		{"nothing", nothing, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, f := range facts {
			if Matches(tt.filter, f) {
				got = append(got, f.ID)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSortFacts(t *testing.T) {
	tests := []struct {
		order casescribe.FactSort
		want  []string
	}{
		{casescribe.FactSort{}, []string{"01B", "01A", "01C", "01D"}},
		{casescribe.FactSort{Desc: true}, []string{"01C", "01A", "01B", "01D"}}, // undated stay last
		{casescribe.FactSort{Field: casescribe.SortByCreated}, []string{"01A", "01B", "01C", "01D"}},
		{casescribe.FactSort{Field: casescribe.SortByCreated, Desc: true}, []string{"01D", "01C", "01B", "01A"}},
	}
	for _, tt := range tests {
		got := slices.Clone(facts)
		SortFacts(got, tt.order)
		if !slices.Equal(ids(got), tt.want) {
			t.Errorf("%+v: got %v, want %v", tt.order, ids(got), tt.want)
		}
	}
}

func TestContentScope(t *testing.T) {
	k := casescribe.Case{OrgID: "o", ID: "k", ClientID: "c"}
	other := casescribe.Case{OrgID: "o", ID: "k2", ClientID: "c"}
	view := casescribe.SavedView{ID: "v", CaseID: "k", Name: "Imaging", Filter: casescribe.FactFilter{Tags: []string{"imaging"}}}
	guest := casescribe.Caller{UserID: "g", OrgID: "o", Role: casescribe.RoleGuest}
	staff := casescribe.Caller{UserID: "m", OrgID: "o", Role: casescribe.RoleMember}
	viewGrant := GrantsOf(casescribe.Grant{ClientID: "c", Cases: map[string]casescribe.CaseGrant{"k": {ShareID: "s", ViewID: "v"}}})
	wholeGrant := GrantsOf(casescribe.Grant{ClientID: "c", Cases: map[string]casescribe.CaseGrant{"k": {ShareID: "s"}}})
	clientGrant := GrantsOf(casescribe.Grant{ClientID: "c", ClientShareID: "cs"})

	tests := []struct {
		name      string
		c         casescribe.Caller
		k         casescribe.Case
		g         Grants
		views     []casescribe.SavedView
		wantOK    bool
		wantFacts []string
		locked    bool
	}{
		{"staff", staff, k, nil, nil, true, []string{"01A", "01B", "01C", "01D"}, false},
		{"staff of another organization", casescribe.Caller{UserID: "m", OrgID: "x", Role: casescribe.RoleAdmin}, k, nil, nil, false, nil, false},
		{"whole case", guest, k, wholeGrant, []casescribe.SavedView{view}, true, []string{"01A", "01B", "01C", "01D"}, false},
		{"client share", guest, k, clientGrant, nil, true, []string{"01A", "01B", "01C", "01D"}, false},
		{"view", guest, k, viewGrant, []casescribe.SavedView{view}, true, []string{"01A", "01D"}, true},
		{"view that cannot be found sees nothing", guest, k, viewGrant, nil, true, nil, true},
		{"a view of another case does not count", guest, k, viewGrant, []casescribe.SavedView{{ID: "v", CaseID: "k2"}}, true, nil, true},
		{"another case", guest, other, viewGrant, []casescribe.SavedView{view}, false, nil, false},
		{"no grant", guest, k, nil, nil, false, nil, false},
	}
	for _, tt := range tests {
		sc, ok := ContentScope(tt.c, tt.k, tt.g, tt.views)
		if ok != tt.wantOK {
			t.Errorf("%s: ok = %v, want %v", tt.name, ok, tt.wantOK)
			continue
		}
		if !ok {
			continue
		}
		if got := ids(sc.Select(facts, casescribe.FactFilter{}, casescribe.FactSort{Field: casescribe.SortByCreated})); !slices.Equal(got, tt.wantFacts) {
			t.Errorf("%s: facts %v, want %v", tt.name, got, tt.wantFacts)
		}
		if sc.ViewLocked() != tt.locked || sc.Controls().Filter == tt.locked {
			t.Errorf("%s: locked %v, controls %+v", tt.name, sc.ViewLocked(), sc.Controls())
		}
		// A filter never reaches beyond the scope: asking for billing inside the view.
		if tt.locked {
			if _, _, err := sc.Resolve(FactQuery{Filter: casescribe.FactFilter{Tags: []string{"billing"}}, Asked: true}); casescribe.ErrorCode(err) != casescribe.EVIEWLOCKED {
				t.Errorf("%s: a filter in a view: %v, want view_locked", tt.name, err)
			}
			if got := sc.Select(facts, casescribe.FactFilter{Tags: []string{"billing"}}, casescribe.FactSort{}); len(got) != 0 {
				t.Errorf("%s: a filter widened the view: %v", tt.name, ids(got))
			}
		}
	}
}

func TestSeesDocument(t *testing.T) {
	cited := casescribe.Fact{ID: "01A", Tags: []string{"imaging"}, DocumentID: "d1"}
	outside := casescribe.Fact{ID: "01C", Tags: []string{"billing"}, DocumentID: "d2"}
	view := &casescribe.SavedView{ID: "v", Filter: casescribe.FactFilter{Tags: []string{"imaging"}}}
	inView := Scope{Guest: true, View: view}
	whole := Scope{Guest: true}
	all := []casescribe.Fact{cited, outside}
	for _, tt := range []struct {
		sc   Scope
		doc  string
		want bool
	}{
		{inView, "d1", true}, {inView, "d2", false}, {inView, "d3", false},
		{whole, "d1", true}, {whole, "d2", true}, {whole, "d3", true},
	} {
		if got := tt.sc.SeesDocument(casescribe.Document{ID: tt.doc}, all); got != tt.want {
			t.Errorf("view %v, document %s: %v, want %v", tt.sc.View != nil, tt.doc, got, tt.want)
		}
	}
}

// Every content action has a rule, and guests are refused exactly the writes the product
// forbids them, with guest_restricted.
func TestGuestContentRules(t *testing.T) {
	guest := casescribe.Caller{UserID: "g", OrgID: "o", Role: casescribe.RoleGuest}
	allowed := []Action{ListFacts, ReadFact, ExportFacts, ListComments, CreateComment, ListViews, ListDocuments, ReadDocument, ReadSummary}
	refused := []Action{CreateFact, UpdateFact, DeleteFact, TagFact, BulkEditFacts, CreateView, UpdateView, DeleteView, UploadDocument, DeleteDocument, EditSummary}
	for _, a := range allowed {
		if err := Permit(guest, a); err != nil {
			t.Errorf("guest %s: %v, want allowed", a, err)
		}
	}
	for _, a := range refused {
		if err := Permit(guest, a); casescribe.ErrorCode(err) != casescribe.EGUESTRESTRICTED {
			t.Errorf("guest %s: %v, want guest_restricted", a, err)
		}
		if err := Permit(casescribe.Caller{UserID: "m", OrgID: "o", Role: casescribe.RoleMember}, a); err != nil {
			t.Errorf("member %s: %v, want allowed", a, err)
		}
	}
}
