package api

import (
	"cmp"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
)

// The access reports answer "who can see this case?" and "what can this guest see?" at the
// moment of the request, from the same records and rules as the per-case checks: memberships,
// the shares that have not ended (read strongly consistent, never from an index that may lag),
// and the rules of package access. A share that has ended is never shown.

// Through which a person holds a case, in the case report.
const (
	viaMembership = "membership"
	viaShare      = "share"
)

// sharedByJSON is who made a share: their id, and their name while they are a member.
type sharedByJSON struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// reportCaseJSON names the case a case report is about.
type reportCaseJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	ClientID   string `json:"clientId"`
	ClientName string `json:"clientName"`
}

// caseReportRowJSON is one way one person sees the case: their membership (staff), or one
// share (guests). Share fields are null on a membership row.
type caseReportRowJSON struct {
	User     guestRefJSON           `json:"user"`
	Role     casescribe.Role        `json:"role"`
	Via      string                 `json:"via"`
	ShareID  *string                `json:"shareId"`
	Scope    *casescribe.ShareScope `json:"scope"`
	ViewID   *string                `json:"viewId"`
	ViewName *string                `json:"viewName"`
	ChatIDs  []string               `json:"chatIds"`
	SharedBy *sharedByJSON          `json:"sharedBy,omitempty"`
	Since    time.Time              `json:"since"`
	// Until is when the access ends; null while it has no end.
	Until *time.Time `json:"until"`
}

type caseReportJSON struct {
	Case        reportCaseJSON      `json:"case"`
	GeneratedAt time.Time           `json:"generatedAt"`
	Items       []caseReportRowJSON `json:"items"`
}

// userReportItemJSON is one case a guest sees through one share.
type userReportItemJSON struct {
	CaseID     string                `json:"caseId"`
	CaseName   string                `json:"caseName"`
	ClientID   string                `json:"clientId"`
	ClientName string                `json:"clientName"`
	ShareID    string                `json:"shareId"`
	Scope      casescribe.ShareScope `json:"scope"`
	ViewID     *string               `json:"viewId"`
	ViewName   *string               `json:"viewName"`
	ChatIDs    []string              `json:"chatIds"`
	Since      time.Time             `json:"since"`
	Until      *time.Time            `json:"until"`
}

type userReportJSON struct {
	User        guestRefJSON                `json:"user"`
	Role        casescribe.Role             `json:"role"`
	Status      casescribe.MembershipStatus `json:"status"`
	GeneratedAt time.Time                   `json:"generatedAt"`
	// EveryCase says the person sees every case of the organization through their
	// membership (staff): then items is empty rather than a copy of every case.
	EveryCase bool                 `json:"everyCase"`
	Items     []userReportItemJSON `json:"items"`
}

// reportAsCSV reads which format a report is asked in: ?format=json or ?format=csv, else an
// Accept header naming text/csv (not with q=0), else JSON. Any other format answers EINVALID.
func reportAsCSV(r *http.Request) (bool, error) {
	switch r.URL.Query().Get("format") {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
		for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err == nil && mt == "text/csv" && params["q"] != "0" {
				return true, nil
			}
		}
		return false, nil
	}
	return false, casescribe.Errorf(casescribe.EINVALID, `Query parameter format must be "json" or "csv".`)
}

// getCaseAccessReport answers everyone who can see a case now: staff through their
// membership, guests through each share that opens the case. One wave reads the case, the
// members, the organization's shares and the case's views; the second the client's name.
func (s *Server) getCaseAccessReport(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	asCSV, err := reportAsCSV(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "caseId", "Case")
	if err != nil {
		return err
	}
	var (
		members                     []casescribe.Membership
		shares                      []casescribe.Share
		views                       []casescribe.SavedView
		errMembers, errShr, errView error
		wg                          sync.WaitGroup
	)
	wg.Go(func() { members, errMembers = s.allMembers(r, c) })
	wg.Go(func() { shares, errShr = s.currentShares(s.store.OrgShares(r.Context(), c.OrgID)) })
	wg.Go(func() { views, errView = s.store.CaseViews(r.Context(), c.OrgID, id) })
	k, err := s.store.GetCase(r.Context(), c.OrgID, id)
	wg.Wait()
	if err != nil {
		return err
	}
	if !access.SeesCase(c, k, nil) {
		return casescribe.Errorf(casescribe.ENOTFOUND, "Case not found.")
	}
	if err := errors.Join(errMembers, errShr, errView); err != nil {
		return err
	}
	client, err := s.store.GetClient(r.Context(), c.OrgID, k.ClientID)
	if err != nil {
		return err
	}
	now := s.now()
	out := caseReportJSON{Case: reportCaseJSON{ID: k.ID, Name: k.Name, ClientID: k.ClientID, ClientName: client.Name},
		GeneratedAt: now, Items: caseReportRows(k, members, shares, views, now)}
	if asCSV {
		return writeCSV(w, k.Name+" - access report.csv", caseReportCSV(out.Items))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// caseReportRows lists who sees k at now, staff first, then guests, each by name.
func caseReportRows(k casescribe.Case, members []casescribe.Membership, shares []casescribe.Share, views []casescribe.SavedView, now time.Time) []caseReportRowJSON {
	byID := make(map[string]casescribe.Membership, len(members))
	for _, m := range members {
		byID[m.UserID] = m
	}
	viewNames := make(map[string]string, len(views))
	for _, v := range views {
		viewNames[v.ID] = v.Name
	}
	rows := []caseReportRowJSON{}
	for _, m := range members {
		if access.ThroughMembership(m, k) {
			rows = append(rows, caseReportRowJSON{User: guestRefJSON{ID: m.UserID, Name: m.Name, Email: m.Email},
				Role: m.Role, Via: viaMembership, ChatIDs: []string{}, Since: m.CreatedAt})
		}
	}
	for _, sh := range shares {
		m, ok := byID[sh.GuestID]
		if !ok {
			continue
		}
		since, opens := access.ShareOpens(m, sh, k, now)
		if !opens {
			continue
		}
		row := caseReportRowJSON{User: guestRefJSON{ID: m.UserID, Name: m.Name, Email: m.Email}, Role: m.Role,
			Via: viaShare, ShareID: &sh.ID, Scope: &sh.Scope, ChatIDs: nonNil(sh.ChatIDs), Since: since,
			Until: optionalTime(sh.ExpiresAt)}
		row.ViewID, row.ViewName = viewRef(sh.ViewID, viewNames)
		if sh.CreatedBy != "" {
			row.SharedBy = &sharedByJSON{ID: sh.CreatedBy, Name: byID[sh.CreatedBy].Name}
		}
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b caseReportRowJSON) int {
		return cmp.Or(
			cmp.Compare(a.Via, b.Via), // "membership" before "share": staff first
			strings.Compare(strings.ToLower(a.User.Name), strings.ToLower(b.User.Name)),
			strings.Compare(a.User.ID, b.User.ID),
			strings.Compare(deref(a.Scope), deref(b.Scope)),
			strings.Compare(deref(a.ShareID), deref(b.ShareID)))
	})
	return rows
}

// caseReportCSV is the case report as CSV rows: a header, then one row per item.
func caseReportCSV(items []caseReportRowJSON) [][]string {
	rows := [][]string{{"userId", "name", "email", "role", "via", "shareId", "scope", "viewId", "viewName",
		"chatIds", "sharedById", "sharedByName", "since", "until"}}
	for _, it := range items {
		var by sharedByJSON
		if it.SharedBy != nil {
			by = *it.SharedBy
		}
		rows = append(rows, []string{it.User.ID, it.User.Name, it.User.Email, string(it.Role), it.Via,
			deref(it.ShareID), deref(it.Scope), deref(it.ViewID), deref(it.ViewName), strings.Join(it.ChatIDs, "; "),
			by.ID, by.Name, csvTime(&it.Since), csvTime(it.Until)})
	}
	return rows
}

// getUserAccessReport answers everything one member of the organization can see now: for
// staff, every case (everyCase); for a guest, each case each of their shares opens. The first
// wave reads the membership and the guest's grants; the second the shares, the cases, and the
// names of clients and views.
func (s *Server) getUserAccessReport(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	asCSV, err := reportAsCSV(r)
	if err != nil {
		return err
	}
	var (
		grants   []casescribe.Grant
		errGrant error
		wg       sync.WaitGroup
	)
	if id := r.PathValue("userId"); store.ValidUserID(id) {
		wg.Go(func() { grants, errGrant = s.guestGrants(r.Context(), c.OrgID, id) })
	}
	m, err := s.member(r, c)
	wg.Wait()
	if err := errors.Join(err, errGrant); err != nil {
		return err
	}
	now := s.now()
	out := userReportJSON{User: guestRefJSON{ID: m.UserID, Name: m.Name, Email: m.Email}, Role: m.Role, Status: m.Status,
		GeneratedAt: now, EveryCase: access.SeesEveryCase(m), Items: []userReportItemJSON{}}
	if m.Role == casescribe.RoleGuest && m.Status == casescribe.StatusActive && len(grants) > 0 {
		if out.Items, err = s.guestReportItems(r, c, m, grants, now); err != nil {
			return err
		}
	}
	if asCSV {
		return writeCSV(w, cmp.Or(m.Name, m.Email)+" - access report.csv", userReportCSV(out.Items))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// guestReportItems lists each case the guest of m sees through each of their shares, reading
// in one wave the shares the grants name, every case of each shared client, the shared cases,
// and the names of their clients and views.
func (s *Server) guestReportItems(r *http.Request, c casescribe.Caller, m casescribe.Membership, grants []casescribe.Grant, now time.Time) ([]userReportItemJSON, error) {
	refs := access.RefsOf(grants)
	shareIDs, clientIDs, caseIDs, views := refs.ShareIDs, refs.ClientIDs, refs.CaseIDs, refs.Views
	var (
		mu        sync.Mutex
		cases     []casescribe.Case
		shares    []casescribe.Share
		clients   map[string]casescribe.Client
		viewNames map[string]string
		errs      []error
		wg        sync.WaitGroup
	)
	collect := func(ks []casescribe.Case, err error) {
		mu.Lock()
		defer mu.Unlock()
		cases, errs = append(cases, ks...), append(errs, err)
	}
	fail := func(err error) { collect(nil, err) }
	for _, g := range grants {
		if g.ClientShareID != "" {
			wg.Go(func() { collect(s.store.AllClientCases(r.Context(), c.OrgID, g.ClientID)) })
		}
	}
	if len(caseIDs) > 0 {
		wg.Go(func() { collect(s.store.GetCases(r.Context(), c.OrgID, caseIDs)) })
	}
	wg.Go(func() {
		var err error
		shares, err = s.currentShares(s.store.GetShares(r.Context(), c.OrgID, shareIDs))
		fail(err)
	})
	wg.Go(func() {
		var err error
		clients, err = s.store.GetClients(r.Context(), c.OrgID, clientIDs)
		fail(err)
	})
	if len(views) > 0 {
		wg.Go(func() {
			var err error
			viewNames, err = s.store.ViewNames(r.Context(), c.OrgID, views)
			fail(err)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// Every case is judged as the per-case check judges it, with the guest as the caller.
	guest := casescribe.Caller{UserID: m.UserID, OrgID: m.OrgID, Role: m.Role}
	held := access.GrantsOf(grants...)
	seen := map[string]bool{}
	items := []userReportItemJSON{}
	for _, k := range cases {
		if seen[k.ID] || !access.SeesCase(guest, k, held) {
			continue
		}
		seen[k.ID] = true
		for _, sh := range shares {
			since, opens := access.ShareOpens(m, sh, k, now)
			if !opens {
				continue
			}
			it := userReportItemJSON{CaseID: k.ID, CaseName: k.Name, ClientID: k.ClientID, ClientName: clients[k.ClientID].Name,
				ShareID: sh.ID, Scope: sh.Scope, ChatIDs: nonNil(sh.ChatIDs), Since: since, Until: optionalTime(sh.ExpiresAt)}
			it.ViewID, it.ViewName = viewRef(sh.ViewID, viewNames)
			items = append(items, it)
		}
	}
	slices.SortFunc(items, func(a, b userReportItemJSON) int {
		return cmp.Or(
			strings.Compare(strings.ToLower(a.ClientName), strings.ToLower(b.ClientName)),
			strings.Compare(strings.ToLower(a.CaseName), strings.ToLower(b.CaseName)),
			strings.Compare(a.CaseID, b.CaseID),
			strings.Compare(string(a.Scope), string(b.Scope)),
			strings.Compare(a.ShareID, b.ShareID))
	})
	return items, nil
}

// userReportCSV is the user report as CSV rows: a header, then one row per item.
func userReportCSV(items []userReportItemJSON) [][]string {
	rows := [][]string{{"caseId", "caseName", "clientId", "clientName", "shareId", "scope", "viewId", "viewName",
		"chatIds", "since", "until"}}
	for _, it := range items {
		rows = append(rows, []string{it.CaseID, it.CaseName, it.ClientID, it.ClientName, it.ShareID, string(it.Scope),
			deref(it.ViewID), deref(it.ViewName), strings.Join(it.ChatIDs, "; "), csvTime(&it.Since), csvTime(it.Until)})
	}
	return rows
}

// viewRef names a share's view: both null for a share without one; the name null when the
// view is unknown.
func viewRef(viewID string, names map[string]string) (id, name *string) {
	if viewID == "" {
		return nil, nil
	}
	if n, ok := names[viewID]; ok {
		name = &n
	}
	return &viewID, name
}

// csvTime writes an instant as JSON does (RFC 3339, UTC as recorded), and no instant as an
// empty cell.
func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// nonNil answers a missing list as an empty one, so that JSON says [] rather than null.
func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
