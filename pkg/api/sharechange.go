package api

import (
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/accessmail"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/oklog/ulid/v2"
)

type shareChangeBody struct {
	Scope   casescribe.ShareScope `json:"scope"`
	CaseID  string                `json:"caseId"`
	ViewID  string                `json:"viewId"`
	ChatIDs []string              `json:"chatIds"`
	// ExpiresAt is when the share will end; absent or null for no end.
	ExpiresAt *time.Time `json:"expiresAt"`
	// Version is the share's version the preview was made at; required to apply.
	Version *int `json:"version"`
	retiredVisibleClients
}

type caseRefChangeJSON struct {
	CaseID   string `json:"caseId"`
	CaseName string `json:"caseName"`
}

type droppedViewJSON struct {
	ViewID   string  `json:"viewId"`
	ViewName *string `json:"viewName"`
}

type droppedChatJSON struct {
	ChatID string  `json:"chatId"`
	Title  *string `json:"title"`
}

type previewJSON struct {
	Kind         string              `json:"kind"`
	Summary      string              `json:"summary"`
	Gained       []caseRefChangeJSON `json:"gained"`
	Lost         []caseRefChangeJSON `json:"lost"`
	DroppedViews []droppedViewJSON   `json:"droppedViews"`
	DroppedChats []droppedChatJSON   `json:"droppedChats"`
	Version      int                 `json:"version"`
	// ExpiresAt is when the share will end after the change, PreviousExpiresAt when it ends
	// now; null for no end.
	ExpiresAt         *time.Time `json:"expiresAt"`
	PreviousExpiresAt *time.Time `json:"previousExpiresAt"`
}

// planNames are the names a preview shows: the share's view and its chats' titles.
type planNames struct {
	view  string
	chats map[string]string
}

func caseRefs(ks []casescribe.Case) []caseRefChangeJSON {
	out := make([]caseRefChangeJSON, 0, len(ks))
	for _, k := range ks {
		out = append(out, caseRefChangeJSON{CaseID: k.ID, CaseName: k.Name})
	}
	return out
}

// planShareChange reads what a change of the path's share depends on, in one wave after the
// share itself, and plans it with the rules package. The proposed view must be a saved view
// of the proposed case, and its chats chats of that case.
func (s *Server) planShareChange(w http.ResponseWriter, r *http.Request, c casescribe.Caller) (casescribe.Share, access.Plan, shareChangeBody, planNames, error) {
	var body shareChangeBody
	if err := decodeBody(w, r, &body); err != nil {
		return casescribe.Share{}, access.Plan{}, body, planNames{}, err
	}
	if err := body.check(); err != nil {
		return casescribe.Share{}, access.Plan{}, body, planNames{}, err
	}
	if err := checkShareTargets(body.ViewID, body.ChatIDs); err != nil {
		return casescribe.Share{}, access.Plan{}, body, planNames{}, err
	}
	end, err := shareEnd(body.ExpiresAt, s.now())
	if err != nil {
		return casescribe.Share{}, access.Plan{}, body, planNames{}, err
	}
	if body.CaseID != "" {
		if _, err := ulid.ParseStrict(body.CaseID); err != nil {
			return casescribe.Share{}, access.Plan{}, body, planNames{}, casescribe.Errorf(casescribe.EINVALID, `Field "caseId" must be the id of a case.`)
		}
	}
	sh, err := s.pathShare(r, c)
	if err != nil {
		return casescribe.Share{}, access.Plan{}, body, planNames{}, err
	}
	// One wave after the share. The guest's other shares come from the client's index, which
	// may lag a moment: applying is conditioned on the grant still holding exactly the shares
	// planned with, so a plan made on a lagging read is refused (409), never half-applied.
	var (
		client                             casescribe.Client
		clientCases                        []casescribe.Case
		shares                             []casescribe.Share
		target                             casescribe.Case
		errClient, errCases, errShares, eT error
		oldView                            casescribe.SavedView
		errOld, errNew                     error
		wg                                 sync.WaitGroup
	)
	if sh.ViewID != "" {
		wg.Go(func() { oldView, errOld = s.store.GetView(r.Context(), c.OrgID, sh.CaseID, sh.ViewID) })
	}
	if body.ViewID != "" && body.CaseID != "" {
		wg.Go(func() { _, errNew = s.store.GetView(r.Context(), c.OrgID, body.CaseID, body.ViewID) })
	}
	var (
		oldChats, newChats       []casescribe.Chat
		errOldChats, errNewChats error
	)
	if len(sh.ChatIDs) > 0 {
		wg.Go(func() { oldChats, errOldChats = s.store.CaseChats(r.Context(), c.OrgID, sh.CaseID) })
	}
	if len(body.ChatIDs) > 0 && body.CaseID != "" {
		wg.Go(func() { newChats, errNewChats = s.store.CaseChats(r.Context(), c.OrgID, body.CaseID) })
	}
	wg.Go(func() { client, errClient = s.store.GetClient(r.Context(), c.OrgID, sh.ClientID) })
	wg.Go(func() { clientCases, errCases = s.store.AllClientCases(r.Context(), c.OrgID, sh.ClientID) })
	if body.Scope == casescribe.ScopeClient {
		wg.Go(func() { shares, errShares = s.store.ClientShares(r.Context(), c.OrgID, sh.ClientID) })
	}
	if body.CaseID != "" {
		wg.Go(func() { target, eT = s.store.GetCase(r.Context(), c.OrgID, body.CaseID) })
	}
	wg.Wait()
	if casescribe.ErrorCode(errNew) == casescribe.ENOTFOUND && eT == nil {
		errNew = casescribe.Errorf(casescribe.EINVALID, `Field "viewId" names no saved view of this case.`)
	}
	if casescribe.ErrorCode(errOld) == casescribe.ENOTFOUND {
		errOld = nil // only its name is missed
	}
	if errNewChats == nil && eT == nil {
		for _, id := range body.ChatIDs {
			if !slices.ContainsFunc(newChats, func(ch casescribe.Chat) bool { return ch.ID == id }) {
				errNewChats = casescribe.Errorf(casescribe.EINVALID, `Field "chatIds" names a chat that is not a chat of this case.`)
			}
		}
	}
	if err := errors.Join(errClient, errCases, errShares, eT, errNew, errOld, errOldChats, errNewChats); err != nil {
		return casescribe.Share{}, access.Plan{}, body, planNames{}, err
	}
	in := access.PlanInput{Share: sh, GuestName: sh.GuestName, ClientName: client.Name, ClientCases: clientCases}
	if body.CaseID != "" {
		in.Target = &target
	}
	for _, other := range shares {
		if other.GuestID == sh.GuestID && other.Scope == casescribe.ScopeCase {
			in.GuestCaseShares = append(in.GuestCaseShares, other)
		}
	}
	plan, err := access.PlanShareChange(in, access.ShareChange{Scope: body.Scope, CaseID: body.CaseID, ViewID: body.ViewID, ChatIDs: body.ChatIDs, ExpiresAt: end})
	if err != nil {
		return casescribe.Share{}, access.Plan{}, body, planNames{}, err
	}
	plan.Result.UpdatedAt = s.now()
	if plan.Kind == access.ChangeMove || plan.Kind == access.ChangeExpand {
		plan.Result.Since = plan.Result.UpdatedAt // it opens other cases from now on
	}
	names := planNames{view: oldView.Name, chats: map[string]string{}}
	for _, ch := range oldChats {
		names.chats[ch.ID] = ch.Title
	}
	return sh, plan, body, names, nil
}

// previewShareChange says exactly what a change would do, and at which version of the share,
// without doing it.
func (s *Server) previewShareChange(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	sh, plan, _, names, err := s.planShareChange(w, r, c)
	if err != nil {
		return err
	}
	out := previewJSON{Kind: plan.Kind, Summary: plan.Summary, Gained: caseRefs(plan.Gained), Lost: caseRefs(plan.Lost),
		DroppedViews: []droppedViewJSON{}, DroppedChats: []droppedChatJSON{}, Version: sh.Version,
		ExpiresAt: optionalTime(plan.Result.ExpiresAt), PreviousExpiresAt: optionalTime(sh.ExpiresAt)}
	for _, v := range plan.DroppedViews {
		d := droppedViewJSON{ViewID: v}
		if v == sh.ViewID {
			d.ViewName = optional(names.view) // the names of the guest's other shares' views are not read
		}
		out.DroppedViews = append(out.DroppedViews, d)
	}
	for _, id := range plan.DroppedChats {
		d := droppedChatJSON{ChatID: id}
		if title, ok := names.chats[id]; ok {
			d.Title = &title
		}
		out.DroppedChats = append(out.DroppedChats, d)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// updateShare applies a previewed change, if the share is still at the previewed version.
func (s *Server) updateShare(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	sh, plan, body, _, err := s.planShareChange(w, r, c)
	if err != nil {
		return err
	}
	if body.Version == nil {
		return casescribe.Errorf(casescribe.EINVALID, `Field "version" is required: the version the change was previewed at.`)
	}
	if *body.Version != sh.Version {
		return casescribe.Errorf(casescribe.ECONFLICT, "This share changed since the preview (stale version); preview the change again.")
	}
	err = s.store.ApplyShareChange(s.shareChangeAudited(r, c, sh, plan.Replaced, plan.Result), sh, plan)
	if casescribe.ErrorCode(err) == casescribe.ECONFLICT {
		// An ended share of the guest may stand where the change goes: it gives way, as it
		// does to a new share (and the second try has a record of its own).
		if cleared, errClear := s.clearEnded(r.Context(), plan.Result); errClear != nil {
			return errClear
		} else if cleared {
			err = s.store.ApplyShareChange(s.shareChangeAudited(r, c, sh, plan.Replaced, plan.Result), sh, plan)
		}
	}
	if err != nil {
		return err
	}
	s.tellGuest(r.Context(), c.OrgID, sh.GuestID, accessmail.Changed)
	writeJSON(w, http.StatusOK, newShareJSON(plan.Result))
	return nil
}
