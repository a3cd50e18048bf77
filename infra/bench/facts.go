package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// viewFacts is how many facts the case a guest sees through a saved view holds, in the latency
// measurement and in every organization of the scale measurement.
const viewFacts = 200

// factSizes are the numbers of facts of the cases of the facts organization of the scale
// measurement: what the guest's fact list under a view is measured against.
var factSizes = []int{20, viewFacts, 2000}

// factTags are the tags seeded facts carry in turn, the i-th fact factTags[i%len(factTags)];
// the saved view selects the first, so it holds a quarter of the case's facts.
var factTags = []string{"imaging", "treatment", "billing", "witness"}

// viewCase is a case with facts and a saved view, shared with a guest limited to that view.
type viewCase struct {
	orgID, clientID, caseID, viewID string
	// orgCases is how many cases the organization holds; facts how many facts the case holds,
	// inView how many of them the view selects.
	orgCases, facts, inView int
	// listed is how many facts the guest's first page listed before the measurement.
	listed int
}

// seedViewCase gives caseID (of clientID) n facts and a saved view "Imaging" selecting those
// tagged imaging, through the store (store.CreateFact, store.CreateView), then shares the case
// with guest limited to that view (store.CreateShare with a ViewID). guest must already be a
// guest of the organization.
func (p *inProcess) seedViewCase(ctx context.Context, orgID, clientID, caseID string, orgCases, n int, guest casescribe.User) (viewCase, error) {
	vc := viewCase{orgID: orgID, clientID: clientID, caseID: caseID, orgCases: orgCases, facts: n, viewID: ulid.Make().String()}
	inView, err := p.newFacts(ctx, orgID, clientID, caseID, n)
	if err != nil {
		return vc, err
	}
	vc.inView = inView
	now := time.Now().UTC()
	v := casescribe.SavedView{OrgID: orgID, CaseID: caseID, ClientID: clientID, ID: vc.viewID, Name: "Imaging",
		Filter: casescribe.FactFilter{Tags: []string{factTags[0]}}, Sort: casescribe.FactSort{Field: casescribe.SortByDate},
		CreatedBy: p.admin.user.ID, CreatedAt: now, UpdatedAt: now}
	if err := p.seed.CreateView(ctx, v); err != nil {
		return vc, fmt.Errorf("seed view: %w", err)
	}
	if _, err := p.shareWith(ctx, orgID, guest, clientID, caseID, vc.viewID); err != nil {
		return vc, err
	}
	return vc, nil
}

// newFacts creates n facts of a case through the store, seedWorkers at a time, and returns how
// many carry factTags[0]. The i-th is dated i days after 1 January 2023, tagged
// factTags[i%len(factTags)] and, every other one, "reviewed"; every tenth is a key fact.
func (p *inProcess) newFacts(ctx context.Context, orgID, clientID, caseID string, n int) (int, error) {
	now := time.Now().UTC()
	day0 := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	err := inParallel(ctx, n, seedWorkers, func(ctx context.Context, i int) error {
		tags := []string{factTags[i%len(factTags)]}
		if i%2 == 0 {
			tags = append(tags, "reviewed")
		}
		f := casescribe.Fact{OrgID: orgID, CaseID: caseID, ClientID: clientID, ID: ulid.Make().String(),
			Text:    fmt.Sprintf("Entry %d of the record: the client reports knee pain after the fall; follow-up noted.", i+1),
			Date:    day0.AddDate(0, 0, i).Format(time.DateOnly),
			Tags:    tags,
			KeyFact: i%10 == 0, CreatedBy: p.admin.user.ID, CreatedAt: now, UpdatedAt: now, Version: 1}
		return retryConflict(ctx, func() error { return p.seed.CreateFact(ctx, f) })
	})
	if err != nil {
		return 0, fmt.Errorf("seed %d facts: %w", n, err)
	}
	return (n + len(factTags) - 1) / len(factTags), nil
}

// retryConflict calls fn until it does not fail with a conflict, at most 10 times: transactions
// that check the same case at once may be refused as conflicting while seeding in parallel.
func retryConflict(ctx context.Context, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || casescribe.ErrorCode(err) != casescribe.ECONFLICT || attempt == 10 {
			return err
		}
		select {
		case <-time.After(time.Duration(attempt) * 10 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// listFacts is GET /cases/{caseId}/facts through the local handler stack as acc, without
// parameters: for a guest limited to a view, the view's facts, first page.
func (p *inProcess) listFacts(acc account, orgID, caseID string) func(context.Context) error {
	return p.get(acc, orgID, "/cases/"+caseID+"/facts")
}

// factsSeen checks, before anything is measured, that acc's fact list of the case selects
// exactly total facts, under the saved view viewID ("" for none), and returns how many the
// first page listed: what the measurement reads is what the report says it reads.
func (p *inProcess) factsSeen(ctx context.Context, acc account, orgID, caseID string, total int, viewID string) (int, error) {
	w := p.serve(ctx, acc, orgID, http.MethodGet, "/cases/"+caseID+"/facts", "")
	if w.Code != http.StatusOK {
		return 0, fmt.Errorf("check GET /cases/%s/facts as %s: status %d: %s", caseID, acc.user.Email, w.Code, w.Body)
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
		Total int               `json:"total"`
		View  *struct {
			ID string `json:"id"`
		} `json:"view"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil {
		return 0, fmt.Errorf("check GET /cases/%s/facts as %s: %w", caseID, acc.user.Email, err)
	}
	view := ""
	if list.View != nil {
		view = list.View.ID
	}
	if list.Total != total || view != viewID {
		return 0, fmt.Errorf("check GET /cases/%s/facts as %s: %d facts under view %q, want %d under view %q",
			caseID, acc.user.Email, list.Total, view, total, viewID)
	}
	return len(list.Items), nil
}

// checkViewCase checks that guest sees the view's facts of vc and the member every fact, and
// records how many facts the guest's first page lists.
func (p *inProcess) checkViewCase(ctx context.Context, vc *viewCase, guest account) error {
	if _, err := p.factsSeen(ctx, p.member, vc.orgID, vc.caseID, vc.facts, ""); err != nil {
		return err
	}
	n, err := p.factsSeen(ctx, guest, vc.orgID, vc.caseID, vc.inView, vc.viewID)
	vc.listed = n
	return err
}
