package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

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
