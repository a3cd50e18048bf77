package store_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
)

// contentCase creates a firm with a client, a case and an active guest.
func contentCase(t *testing.T, s *store.Store) (casescribe.Case, casescribe.Membership) {
	t.Helper()
	ctx := context.Background()
	org, _ := newOrg(t, s, "Harbor & Vale LLP")
	client := casescribe.Client{OrgID: org.ID, ID: id(), Name: "Smith, John", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateClient(ctx, client); err != nil {
		t.Fatal(err)
	}
	k := casescribe.Case{OrgID: org.ID, ID: id(), ClientID: client.ID, Name: "Knee MRI", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateCase(ctx, k); err != nil {
		t.Fatal(err)
	}
	g := casescribe.Membership{OrgID: org.ID, OrgName: org.Name, UserID: "guest-" + id(), Email: "g" + id() + "@example.com",
		Name: "Guest", Role: casescribe.RoleGuest, Status: casescribe.StatusActive, CreatedAt: now}
	if err := s.PutMembership(ctx, g); err != nil {
		t.Fatal(err)
	}
	return k, g
}

func newView(t *testing.T, s *store.Store, k casescribe.Case) casescribe.SavedView {
	t.Helper()
	v := casescribe.SavedView{OrgID: k.OrgID, CaseID: k.ID, ClientID: k.ClientID, ID: id(), Name: "Imaging",
		Filter: casescribe.FactFilter{Tags: []string{"imaging"}}, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateView(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	return v
}

func viewShares(t *testing.T, s *store.Store, v casescribe.SavedView) int {
	t.Helper()
	got, err := s.GetView(context.Background(), v.OrgID, v.CaseID, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got.ShareCount
}

// A view counts the shares limited to it through every way a share comes and goes, and
// cannot be deleted while counted.
func TestViewShareCount(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	k, g := contentCase(t, s)
	v1, v2 := newView(t, s, k), newView(t, s, k)
	sh := casescribe.Share{OrgID: k.OrgID, ID: id(), GuestID: g.UserID, Scope: casescribe.ScopeCase, ClientID: k.ClientID,
		CaseID: k.ID, ViewID: v1.ID, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateShare(ctx, sh); err != nil {
		t.Fatal(err)
	}
	if n := viewShares(t, s, v1); n != 1 {
		t.Fatalf("after sharing, v1 counts %d", n)
	}
	if err := s.DeleteView(ctx, v1); code(err) != casescribe.ECONFLICT {
		t.Fatalf("delete a view in use: %v, want conflict", err)
	}

	// Configure the share onto v2: the count moves.
	after := sh
	after.ViewID, after.Version = v2.ID, 2
	if err := s.ApplyShareChange(ctx, sh, access.Plan{Kind: access.ChangeConfigure, Result: after}); err != nil {
		t.Fatal(err)
	}
	if a, b := viewShares(t, s, v1), viewShares(t, s, v2); a != 0 || b != 1 {
		t.Fatalf("after configuring, counts %d and %d, want 0 and 1", a, b)
	}
	if err := s.DeleteView(ctx, v1); err != nil {
		t.Fatalf("delete a view no share uses: %v", err)
	}
	if _, err := s.Locate(ctx, k.OrgID, store.KindView, v1.ID); code(err) != casescribe.ENOTFOUND {
		t.Fatalf("the deleted view's ref: %v", err)
	}

	// A view of another case, or a deleted one, cannot be given.
	other := casescribe.Case{OrgID: k.OrgID, ID: id(), ClientID: k.ClientID, Name: "Back", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateCase(ctx, other); err != nil {
		t.Fatal(err)
	}
	moved := after
	moved.CaseID, moved.Version = other.ID, 3
	if err := s.ApplyShareChange(ctx, after, access.Plan{Kind: access.ChangeMove, Result: moved}); code(err) != casescribe.EINVALID {
		t.Fatalf("move keeping a view of the old case: %v, want invalid", err)
	}
	g2 := casescribe.Membership{OrgID: k.OrgID, UserID: "guest-" + id(), Email: "h" + id() + "@example.com", Name: "G2",
		Role: casescribe.RoleGuest, Status: casescribe.StatusActive, CreatedAt: now}
	if err := s.PutMembership(ctx, g2); err != nil {
		t.Fatal(err)
	}
	gone := casescribe.Share{OrgID: k.OrgID, ID: id(), GuestID: g2.UserID, Scope: casescribe.ScopeCase, ClientID: k.ClientID,
		CaseID: k.ID, ViewID: v1.ID, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateShare(ctx, gone); code(err) != casescribe.EINVALID {
		t.Fatalf("share a deleted view: %v, want invalid", err)
	}
	if _, err := s.GetShare(ctx, k.OrgID, gone.ID); code(err) != casescribe.ENOTFOUND {
		t.Fatalf("a refused share was written: %v", err)
	}

	// Two guests on v2, then one is removed from the organization: the cascade uncounts it.
	second := casescribe.Share{OrgID: k.OrgID, ID: id(), GuestID: g2.UserID, Scope: casescribe.ScopeCase, ClientID: k.ClientID,
		CaseID: k.ID, ViewID: v2.ID, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateShare(ctx, second); err != nil {
		t.Fatal(err)
	}
	if n := viewShares(t, s, v2); n != 2 {
		t.Fatalf("v2 counts %d, want 2", n)
	}
	m2, err := s.GetMembership(ctx, k.OrgID, g2.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveMember(ctx, m2); err != nil {
		t.Fatal(err)
	}
	if n := viewShares(t, s, v2); n != 1 {
		t.Fatalf("after removing a guest, v2 counts %d, want 1", n)
	}
	cur, err := s.GetShare(ctx, k.OrgID, sh.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveShare(ctx, cur); err != nil {
		t.Fatal(err)
	}
	if n := viewShares(t, s, v2); n != 0 {
		t.Fatalf("after removing the last share, v2 counts %d", n)
	}
}

// Sharing a view and deleting it at the same time: either the share holds the view (and the
// view stays), or the view is gone (and the share was refused); never a share on a deleted view.
func TestDeleteViewRacesShare(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	for round := range 6 {
		k, g := contentCase(t, s)
		v := newView(t, s, k)
		sh := casescribe.Share{OrgID: k.OrgID, ID: id(), GuestID: g.UserID, Scope: casescribe.ScopeCase, ClientID: k.ClientID,
			CaseID: k.ID, ViewID: v.ID, Version: 1, CreatedAt: now, UpdatedAt: now}
		var errShare, errDelete error
		var wg sync.WaitGroup
		wg.Go(func() { errShare = s.CreateShare(ctx, sh) })
		wg.Go(func() { errDelete = s.DeleteView(ctx, v) })
		wg.Wait()
		_, viewErr := s.GetView(ctx, k.OrgID, k.ID, v.ID)
		_, shareErr := s.GetShare(ctx, k.OrgID, sh.ID)
		switch {
		case shareErr == nil && viewErr != nil:
			t.Fatalf("round %d: a share holds a deleted view (share %v, delete %v)", round, errShare, errDelete)
		case shareErr != nil && viewErr == nil && errDelete == nil:
			t.Fatalf("round %d: the delete succeeded but the view is there", round)
		}
	}
}

func TestFactsTagsAndBulkEdit(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	k, _ := contentCase(t, s)
	var ids []string
	for i := range 3 {
		f := casescribe.Fact{OrgID: k.OrgID, CaseID: k.ID, ClientID: k.ClientID, ID: id(), Text: fmt.Sprintf("Fact %d", i),
			Tags: []string{"a.b", "x"}, CreatedAt: now, UpdatedAt: now, Version: 1}
		if err := s.CreateFact(ctx, f); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	// A documentId must name a document of the case.
	bad := casescribe.Fact{OrgID: k.OrgID, CaseID: k.ID, ClientID: k.ClientID, ID: id(), Text: "x", DocumentID: id(), Version: 1}
	if err := s.CreateFact(ctx, bad); code(err) != casescribe.EINVALID {
		t.Fatalf("a fact citing an unknown document: %v, want invalid", err)
	}
	if _, err := s.Locate(ctx, k.OrgID, store.KindFact, bad.ID); code(err) != casescribe.ENOTFOUND {
		t.Fatal("a refused fact left its ref")
	}
	// Tags with dots are one tag, not a path.
	f, err := s.SetFactTag(ctx, k.OrgID, k.ID, ids[0], "c.d.e", true, now)
	if err != nil || !slices.Equal(f.Tags, []string{"a.b", "c.d.e", "x"}) || f.Version != 2 {
		t.Fatalf("tag: %v %v", f.Tags, err)
	}
	f, err = s.SetFactTag(ctx, k.OrgID, k.ID, ids[0], "a.b", false, now)
	if err != nil || !slices.Equal(f.Tags, []string{"c.d.e", "x"}) {
		t.Fatalf("untag: %v %v", f.Tags, err)
	}
	// Bulk edit: all or nothing, each fact at the version it was read at.
	yes := true
	f1, _ := s.GetFact(ctx, k.OrgID, k.ID, ids[1])
	edits := func(version int, extra ...string) store.BulkEdit {
		e := store.BulkEdit{KeyFact: &yes}
		for _, fid := range append(extra, ids...) {
			e.Facts = append(e.Facts, store.FactEdit{ID: fid, Version: version, Add: []string{"new"}, Remove: []string{"x"}})
		}
		return e
	}
	if err := s.BulkEditFacts(ctx, k.OrgID, k.ID, edits(1, id()), now); code(err) != casescribe.ENOTFOUND {
		t.Fatalf("bulk edit with an unknown fact: %v", err)
	}
	if err := s.BulkEditFacts(ctx, k.OrgID, k.ID, edits(1), now); code(err) != casescribe.ECONFLICT {
		t.Fatalf("bulk edit of a fact changed since it was read: %v", err)
	}
	if f, _ := s.GetFact(ctx, k.OrgID, k.ID, ids[1]); !slices.Equal(f.Tags, f1.Tags) || f.KeyFact {
		t.Fatalf("a refused bulk edit changed a fact: %+v", f)
	}
	e := edits(1)
	e.Facts[0].Version = 3 // ids[0] was tagged twice above
	if err := s.BulkEditFacts(ctx, k.OrgID, k.ID, e, now); err != nil {
		t.Fatal(err)
	}
	all, err := s.CaseFacts(ctx, k.OrgID, k.ID)
	if err != nil || len(all) != 3 {
		t.Fatalf("facts: %v %v", all, err)
	}
	for _, f := range all {
		if !slices.Contains(f.Tags, "new") || slices.Contains(f.Tags, "x") || !f.KeyFact {
			t.Errorf("after bulk edit: %+v", f)
		}
	}
}

func TestDeleteFactAndPurgeCase(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	k, _ := contentCase(t, s)
	doc := casescribe.Document{OrgID: k.OrgID, CaseID: k.ID, ClientID: k.ClientID, ID: id(), Name: "a.pdf", ContentType: "application/pdf", Size: 3}
	if err := s.CreateDocument(ctx, doc); err != nil {
		t.Fatal(err)
	}
	f := casescribe.Fact{OrgID: k.OrgID, CaseID: k.ID, ClientID: k.ClientID, ID: id(), Text: "x", DocumentID: doc.ID, Version: 1}
	if err := s.CreateFact(ctx, f); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := s.CreateComment(ctx, casescribe.Comment{OrgID: k.OrgID, CaseID: k.ID, FactID: f.ID, ID: id(), Text: "c"}, 1); err != nil {
			t.Fatal(err)
		}
	}
	// A comment is accepted only on the fact as it was checked.
	if err := s.CreateComment(ctx, casescribe.Comment{OrgID: k.OrgID, CaseID: k.ID, FactID: f.ID, ID: id(), Text: "c"}, 7); code(err) != casescribe.ECONFLICT {
		t.Fatalf("comment on a changed fact: %v", err)
	}
	if err := s.DeleteFact(ctx, f); err != nil {
		t.Fatal(err)
	}
	if page, _ := s.FactComments(ctx, k.OrgID, k.ID, f.ID, "", 10); len(page.Items) != 0 {
		t.Fatalf("comments outlive their fact: %d", len(page.Items))
	}
	if err := s.DeleteFact(ctx, f); code(err) != casescribe.ENOTFOUND {
		t.Fatalf("delete again: %v", err)
	}

	v := newView(t, s, k)
	if err := s.PutSummary(ctx, casescribe.CaseSummary{OrgID: k.OrgID, CaseID: k.ID, Text: "s", Version: 1}, k.ClientID, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCase(ctx, k.OrgID, k.ClientID, k.ID); err != nil {
		t.Fatal(err)
	}
	// Content cannot be written into a deleted case.
	if err := s.PutSummary(ctx, casescribe.CaseSummary{OrgID: k.OrgID, CaseID: k.ID, Text: "s", Version: 2}, k.ClientID, 1); code(err) != casescribe.ENOTFOUND {
		t.Fatalf("summary of a deleted case: %v", err)
	}
	files, err := s.PurgeCase(ctx, k.OrgID, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(files, []string{doc.FileKey()}) {
		t.Fatalf("purge files = %v, want the document's", files)
	}
	for kind, id := range map[string]string{store.KindDocument: doc.ID, store.KindView: v.ID} {
		if _, err := s.Locate(ctx, k.OrgID, kind, id); code(err) != casescribe.ENOTFOUND {
			t.Errorf("%s ref after purge: %v", kind, err)
		}
	}
	if sum, err := s.GetSummary(ctx, k.OrgID, k.ID); err != nil || sum.Version != 0 {
		t.Errorf("summary after purge: %+v %v", sum, err)
	}
	if files, err := s.PurgeCase(ctx, k.OrgID, k.ID); err != nil || len(files) != 0 {
		t.Errorf("purge again: %v %v", files, err)
	}
}

// modelFact is what the test knows of a stored fact: the fact, whether its item carries a whole
// tag index (written in full since the index exists), and the tag spellings its index holds
// (after a partial update, it may hold more than its tags).
type modelFact struct {
	fact   casescribe.Fact
	marked bool
	index  []string
}

// indexed reports whether DynamoDB can find tag want in the fact's index.
func (m modelFact) indexed(want string) bool {
	return slices.ContainsFunc(m.index, func(s string) bool { return strings.EqualFold(s, want) })
}

// returned is what CaseFactsMatching must return of the fact, read from the model: exactly the
// facts a filter in DynamoDB lets through, so that a condition checking nothing (or too little)
// fails the test as surely as one checking too much.
func (m modelFact) returned(filters []casescribe.FactFilter) bool {
	for _, f := range filters {
		plain := f
		plain.Query, plain.Tags = "", nil
		if !access.Matches(plain, m.fact) {
			return false
		}
		if m.marked {
			for _, want := range f.Tags {
				// A tag with brackets is not looked up (no stored tag has them).
				if !strings.ContainsAny(want, "[]") && !m.indexed(want) {
					return false
				}
			}
		}
	}
	return true
}

// Tag spellings that match one another without regard to case, some only through Unicode's
// case folding (the Kelvin sign and k, the long s and s, the final sigma), dots included.
var tagSpellings = [][]string{
	{"imaging", "Imaging", "IMAGING"},
	{"status", "Status", "ſtatus"},
	{"kelvin", "\u212Aelvin", "KELVIN"},
	{"σίσυφος", "ΣΊΣΥΦΟΣ", "σίσυφοσ"},
	{"a.b", "A.B"},
	{"émile", "Émile"},
	{"witness"},
}

var factDates = []string{"", "2023-01-01", "2023-06-15", "2024-02-29", "2024-12-31"}

// TestCaseFactsMatching: whatever the filters (tags in any case, key facts, date ranges,
// search, several at once), the facts CaseFactsMatching reads pass them exactly as the whole
// case's facts do, through every way a fact is written (created, replaced, tagged and untagged
// one at a time or in bulk) and for facts written before the tag index existed; and DynamoDB
// leaves out exactly the facts it can tell fail.
func TestCaseFactsMatching(t *testing.T) {
	ctx := context.Background()
	stack := localstack.ForTest(t)
	table := localstack.NewTestTable(t)
	s := store.New(stack.DynamoDB(), table)
	k, _ := contentCase(t, s)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed) // shown on failure: rand.NewPCG(7, seed) replays the run
	rng := rand.New(rand.NewPCG(7, seed))
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	spelling := func() string { return pick(tagSpellings[rng.IntN(len(tagSpellings))]) }
	randomTags := func() []string {
		var tags []string
		for range rng.IntN(4) {
			if t := spelling(); !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
		slices.Sort(tags)
		return tags
	}

	model := map[string]*modelFact{}
	for i := range 60 {
		f := casescribe.Fact{OrgID: k.OrgID, CaseID: k.ID, ClientID: k.ClientID, ID: id(),
			Text: fmt.Sprintf("Fact %d: %s", i, pick([]string{"knee MRI", "Knee pain", "billing dispute", "Émile's witness statement"})),
			Date: pick(factDates), Tags: randomTags(), KeyFact: rng.IntN(3) == 0, CreatedAt: now, UpdatedAt: now, Version: 1}
		if f.Tags == nil {
			f.Tags = []string{}
		}
		m := &modelFact{fact: f, index: slices.Clone(f.Tags)}
		if i%3 == 0 {
			// Written before the tag index: no index, no marker; some without a date, tags or
			// key flag at all.
			bare := i%9 == 0
			putOldFact(t, stack.DynamoDB(), table, f, bare)
			if bare {
				m.fact.Date, m.fact.Tags, m.fact.KeyFact, m.index = "", nil, false, nil
			}
		} else {
			if err := s.CreateFact(ctx, f); err != nil {
				t.Fatal(err)
			}
			m.marked = true
		}
		model[f.ID] = m
	}
	ids := slices.Sorted(maps.Keys(model))

	// Change facts every way there is, tags in any spelling.
	for range 120 {
		m := model[pick(ids)]
		f := &m.fact
		switch op := rng.IntN(4); {
		case op == 0 && len(f.Tags) < 6 && f.Tags != nil:
			tag := spelling()
			got, err := s.SetFactTag(ctx, k.OrgID, k.ID, f.ID, tag, true, now)
			if err != nil {
				t.Fatal(err)
			}
			*f = got
			m.index = append(m.index, tag)
		case op == 1 && f.Tags != nil:
			tag := spelling()
			if len(f.Tags) > 0 && rng.IntN(2) == 0 {
				tag = pick(f.Tags)
			}
			got, err := s.SetFactTag(ctx, k.OrgID, k.ID, f.ID, tag, false, now)
			if err != nil {
				t.Fatal(err)
			}
			*f = got
			m.index = slices.DeleteFunc(m.index, func(s string) bool { return s == tag })
		case op == 2 && f.Tags != nil && len(f.Tags) < 6:
			// In bulk: add some spellings and remove others, sometimes of the same tag.
			add, remove := randomTags(), randomTags()
			remove = slices.DeleteFunc(remove, func(r string) bool { return slices.Contains(add, r) })
			if len(f.Tags) > 0 {
				remove = append(remove, pick(f.Tags))
			}
			remove = slices.DeleteFunc(slices.Compact(slices.Sorted(slices.Values(remove))), func(r string) bool { return slices.Contains(add, r) })
			if err := s.BulkEditFacts(ctx, k.OrgID, k.ID, store.BulkEdit{Facts: []store.FactEdit{
				{ID: f.ID, Version: f.Version, Add: add, Remove: remove}}}, now); err != nil {
				t.Fatal(err)
			}
			got, err := s.GetFact(ctx, k.OrgID, k.ID, f.ID)
			if err != nil {
				t.Fatal(err)
			}
			*f = got
			m.index = append(m.index, add...)
			m.index = slices.DeleteFunc(m.index, func(s string) bool {
				return slices.Contains(remove, s) && !slices.ContainsFunc(add, func(a string) bool { return strings.EqualFold(a, s) })
			})
		default:
			after := *f
			after.Tags, after.Date, after.KeyFact, after.Version = randomTags(), pick(factDates), !f.KeyFact, f.Version+1
			if after.Tags == nil {
				after.Tags = []string{}
			}
			if err := s.ReplaceFact(ctx, *f, after); err != nil {
				t.Fatal(err)
			}
			*f, m.marked, m.index = after, true, slices.Clone(after.Tags)
		}
	}

	all, err := s.CaseFacts(ctx, k.OrgID, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := factIDs(all); !slices.Equal(got, ids) {
		t.Fatalf("CaseFacts = %d facts, want the %d written", len(got), len(ids))
	}
	for _, f := range all {
		want := model[f.ID].fact
		if f.Text != want.Text || f.Date != want.Date || f.KeyFact != want.KeyFact || !slices.Equal(f.Tags, want.Tags) || f.Version != want.Version {
			t.Fatalf("CaseFacts read %+v, want %+v", f, want)
		}
	}

	nothing := casescribe.FactFilter{From: "9999-12-31", To: "0000-01-01"}
	cases := [][]casescribe.FactFilter{
		nil,
		{{}},
		{{Tags: []string{"imaging"}}},
		{{Tags: []string{"IMAGING"}}},
		{{Tags: []string{"STATUS"}}},
		{{Tags: []string{"ſtatus"}}},
		{{Tags: []string{"kelvin"}}},
		{{Tags: []string{"\u212Aelvin"}}},
		{{Tags: []string{"ΣΊΣΥΦΟΣ"}}},
		{{Tags: []string{"a.b"}}},
		{{Tags: []string{"imaging", "Status"}}},
		{{Tags: []string{"no such tag"}}},
		{{Tags: []string{"odd[0]"}}},
		{{KeyOnly: true}},
		{{From: "2023-06-15"}},
		{{To: "2023-06-15"}},
		{{From: "2023-01-01", To: "2024-02-29"}},
		{{From: "2024-02-29", To: "2024-02-29"}},
		{nothing},
		{{Query: "knee"}},
		{{Query: "émile WITNESS"}},
		{{Tags: []string{"Imaging"}, KeyOnly: true, From: "2023-01-01", To: "2024-12-31", Query: "knee"}},
		{{Tags: []string{"imaging"}}, {KeyOnly: true}},
		{{Tags: []string{"imaging"}}, {Tags: []string{"émile"}, From: "2023-06-15"}},
		{nothing, {Tags: []string{"imaging"}}},
	}
	for range 150 {
		var fs []casescribe.FactFilter
		for range 1 + rng.IntN(2) {
			var f casescribe.FactFilter
			for range rng.IntN(3) {
				f.Tags = append(f.Tags, spelling())
			}
			f.KeyOnly = rng.IntN(4) == 0
			if rng.IntN(3) == 0 {
				f.From = pick(factDates)
			}
			if rng.IntN(3) == 0 {
				f.To = pick(factDates)
			}
			if rng.IntN(5) == 0 {
				f.Query = pick([]string{"knee", "dispute", "Fact 1"})
			}
			fs = append(fs, f)
		}
		cases = append(cases, fs)
	}
	for _, filters := range cases {
		got, err := s.CaseFactsMatching(ctx, k.OrgID, k.ID, filters...)
		if err != nil {
			t.Fatalf("%+v: %v", filters, err)
		}
		var want []string
		for _, fid := range ids {
			if model[fid].returned(filters) {
				want = append(want, fid)
			}
		}
		if ids := factIDs(got); !slices.Equal(ids, want) {
			t.Errorf("%+v: DynamoDB returned %d facts, want %d\n got %v\nwant %v", filters, len(ids), len(want), ids, want)
		}
		if sel, full := selectAll(got, filters), selectAll(all, filters); !slices.Equal(sel, full) {
			t.Errorf("%+v: selects %d facts from the narrowed read, %d from the whole case", filters, len(sel), len(full))
		}
	}
}

// selectAll returns the ids of the facts that pass every filter, in order.
func selectAll(facts []casescribe.Fact, filters []casescribe.FactFilter) []string {
	var out []string
	for _, f := range facts {
		if !slices.ContainsFunc(filters, func(ff casescribe.FactFilter) bool { return !access.Matches(ff, f) }) {
			out = append(out, f.ID)
		}
	}
	return out
}

func factIDs(facts []casescribe.Fact) []string {
	out := make([]string, 0, len(facts))
	for _, f := range facts {
		out = append(out, f.ID)
	}
	return out
}

// putOldFact writes f as fact items were written before the tag index: the same attributes,
// without the index and its marker. bare leaves out the optional ones (date, tags, key flag),
// as an item written by hand might.
func putOldFact(t *testing.T, db *dynamodb.Client, table string, f casescribe.Fact, bare bool) {
	t.Helper()
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	item := map[string]types.AttributeValue{
		"PK": s("ORG#" + f.OrgID + "#CASE#" + f.CaseID), "SK": s("FACT#" + f.ID), "type": s("fact"),
		"orgId": s(f.OrgID), "caseId": s(f.CaseID), "clientId": s(f.ClientID), "id": s(f.ID), "text": s(f.Text),
		"documentId": s(""), "group": s(""), "createdBy": s(""),
		"createdAt": s(f.CreatedAt.Format(time.RFC3339Nano)), "updatedAt": s(f.UpdatedAt.Format(time.RFC3339Nano)),
		"version": &types.AttributeValueMemberN{Value: strconv.Itoa(f.Version)},
	}
	if !bare {
		tags := map[string]types.AttributeValue{}
		for _, tag := range f.Tags {
			tags[tag] = &types.AttributeValueMemberBOOL{Value: true}
		}
		item["tags"] = &types.AttributeValueMemberM{Value: tags}
		item["date"] = s(f.Date)
		item["keyFact"] = &types.AttributeValueMemberBOOL{Value: f.KeyFact}
	}
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
		t.Fatal(err)
	}
}
