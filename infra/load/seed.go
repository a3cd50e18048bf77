package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/casescribe/sharing/infra/localstack"
)

// world is what the seed made and the callers work on.
type world struct {
	orgID   string
	admin   *person
	members []*person
	staff   []*person // the admin and the members
	// The three guests who read under load: one holds a client share, one a case share that
	// carries a chat, one a case share limited to a saved view.
	guestClient, guestCase, guestView *person
	// churn are guests whose shares the callers create, change and delete.
	churn   []*churnGuest
	clients []*clientInfo
	cases   []*caseInfo
	// clientShared is the client shared whole with guestClient; caseShared the case shared
	// with guestCase; viewShared the case shared with guestView, limited to its view "Imaging";
	// churnCases the cases the churn guests' shares move between.
	clientShared *clientInfo
	caseShared   *caseInfo
	viewShared   *caseInfo
	churnCases   []*caseInfo
	counts       []seedCount
}

type seedCount struct {
	what string
	n    int
}

type clientInfo struct {
	id, name string
	cases    []*caseInfo
}

// caseInfo is a case and the ids the callers pick from. The fact lists grow as callers create
// facts; hot are seeded facts every caller edits, the deliberate races.
type caseInfo struct {
	id, name, clientID    string
	imagingView, keysView string
	docs                  []string
	chat                  string
	hot                   []string

	mu      sync.RWMutex
	facts   []string // every fact callers may read, comment on and tag
	imaging []string // those tagged imaging: what the view-limited guest sees
}

// publish makes a fact available to every caller.
func (k *caseInfo) publish(id string, imaging bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.facts = append(k.facts, id)
	if imaging {
		k.imaging = append(k.imaging, id)
	}
}

// churnGuest is a guest whose one share goes through create, change and delete; a caller holds
// it while it takes one step.
type churnGuest struct {
	p       *person
	shareID string
	version int
	caseID  string
}

// seedFact is a fact every seeded case starts with.
type seedFact struct {
	date, text string
	tags       []string
	key        bool
	doc        int // 1-based index of the document it cites; 0 for none
}

var seedFacts = []seedFact{
	{"2025-01-14", "Slipped on a wet floor at work; immediate pain and swelling.", []string{"symptoms"}, true, 0},
	{"2025-01-16", "Urgent care visit: X-ray shows no fracture.", []string{"imaging", "symptoms"}, false, 0},
	{"2025-01-28", "MRI shows a complex tear with moderate effusion.", []string{"imaging"}, true, 1},
	{"2025-02-03", "Imaging centre billed 2,450 USD for the MRI.", []string{"billing"}, false, 2},
	{"2025-02-04", "Surgeon recommends arthroscopic surgery.", []string{"treatment"}, true, 0},
	{"2025-02-20", "Reports pain 6/10 on stairs, twice a week.", []string{"symptoms"}, false, 0},
	{"2025-03-10", "Arthroscopic surgery performed at the general hospital.", []string{"treatment"}, true, 0},
	{"2025-03-12", "Insurer acknowledges the claim and assigns an adjuster.", []string{"insurance"}, false, 0},
	{"2025-04-22", "Follow-up MRI: post-surgical changes, no new tear.", []string{"imaging"}, false, 1},
	{"2025-05-02", "Co-worker gives a witness statement about the wet floor.", []string{"witness"}, true, 0},
	{"2025-05-15", "Physical therapy twice a week; range of motion improving.", []string{"treatment"}, false, 0},
	{"", "Employer's incident report still to be requested.", nil, false, 0},
}

// hotFacts is how many seeded facts per case every caller edits.
const hotFacts = 3

// seeder makes the world through the API, as the web app and the invitation emails would.
type seeder struct {
	t      *target
	c      *apiClient
	hc     *http.Client
	led    *ledger
	runID  string
	passwd string
	since  int64
	admin  *person
}

// seed creates the organization, its people (signed in through cognito-local, staff and guests
// joining through their invitation emails), clients, cases and their content, and the guests'
// shares, then checks that each guest sees what was shared and no more.
func seed(ctx context.Context, t *target, hc *http.Client, led *ledger, runID string) (*world, *apiClient, error) {
	s := &seeder{t: t, c: &apiClient{base: t.apiURL, hc: hc}, hc: hc, led: led, runID: runID,
		passwd: "Load-" + runID + "-Pa55word", since: time.Now().Add(-time.Minute).Unix()}
	w := &world{}
	var err error
	if w.admin, err = s.signUp(ctx, "admin", "Ada Admin"); err != nil {
		return nil, nil, err
	}
	var org struct{ ID string }
	if err := s.c.must(ctx, call{route: "POST /orgs", path: "/orgs", who: w.admin, noOrg: true, want: http.StatusCreated,
		body: map[string]string{"name": "Load Test LLP " + runID, "yourName": w.admin.name}}, &org); err != nil {
		return nil, nil, err
	}
	w.orgID, s.c.orgID, s.admin = org.ID, org.ID, w.admin
	w.staff = []*person{w.admin}
	for i, name := range []string{"Mel Member", "Max Member"} {
		m, err := s.join(ctx, "member", fmt.Sprintf("member %d", i+1), name)
		if err != nil {
			return nil, nil, err
		}
		w.members = append(w.members, m)
		w.staff = append(w.staff, m)
	}
	guests := map[string]**person{"guest (client)": &w.guestClient, "guest (case)": &w.guestCase, "guest (view)": &w.guestView}
	for _, label := range []string{"guest (client)", "guest (case)", "guest (view)"} {
		g, err := s.join(ctx, "guest", label, "Guest "+strings.Trim(strings.TrimPrefix(label, "guest "), "()"))
		if err != nil {
			return nil, nil, err
		}
		*guests[label] = g
	}
	for i := range 4 {
		g, err := s.join(ctx, "guest", fmt.Sprintf("guest (changing %d)", i+1), fmt.Sprintf("Changing Guest %d", i+1))
		if err != nil {
			return nil, nil, err
		}
		w.churn = append(w.churn, &churnGuest{p: g})
	}

	member := w.members[0]
	for _, cl := range []struct {
		name  string
		cases []string
	}{
		{"Smith, John", []string{"Knee MRI", "Back injury"}},
		{"Doe, Jane", []string{"Car accident", "Whiplash"}},
		{"Roe, Mary", []string{"Slip and fall", "Hip replacement"}},
	} {
		var client struct{ ID string }
		if err := s.c.must(ctx, call{route: "POST /clients", path: "/clients", who: member, want: http.StatusCreated,
			body: map[string]string{"name": cl.name}}, &client); err != nil {
			return nil, nil, err
		}
		ci := &clientInfo{id: client.ID, name: cl.name}
		for _, name := range cl.cases {
			k, err := s.seedCase(ctx, w, ci, name)
			if err != nil {
				return nil, nil, err
			}
			ci.cases = append(ci.cases, k)
			w.cases = append(w.cases, k)
		}
		w.clients = append(w.clients, ci)
	}
	w.clientShared, w.viewShared, w.caseShared = w.clients[0], w.clients[0].cases[0], w.clients[1].cases[0]
	w.churnCases = w.clients[2].cases

	for _, sh := range []struct {
		k    *caseInfo
		g    *person
		body map[string]any
	}{
		{w.viewShared, w.guestClient, map[string]any{"scope": "client"}},
		{w.caseShared, w.guestCase, map[string]any{"scope": "case", "chatIds": []string{w.caseShared.chat}}},
		{w.viewShared, w.guestView, map[string]any{"scope": "case", "viewId": w.viewShared.imagingView}},
	} {
		sh.body["guestId"] = sh.g.userID
		if err := s.c.must(ctx, call{route: "POST /cases/{caseId}/shares", path: "/cases/" + sh.k.id + "/shares",
			who: w.admin, want: http.StatusCreated, body: sh.body}, nil); err != nil {
			return nil, nil, err
		}
	}
	if err := s.checkGuests(ctx, w); err != nil {
		return nil, nil, err
	}
	n := len(w.cases)
	w.counts = []seedCount{{"staff (1 admin, members)", len(w.staff)}, {"guests", 3 + len(w.churn)},
		{"shares (client, case with a chat, view-limited)", 3}, {"clients", len(w.clients)}, {"cases", n},
		{"facts", n * len(seedFacts)}, {"saved views", 2 * n}, {"documents", 2 * n}, {"comments", 2 * n},
		{"chats (one question each)", n}, {"summaries", n}}
	return w, s.c, nil
}

// signUp creates a login in cognito-local and signs it in.
func (s *seeder) signUp(ctx context.Context, label, name string) (*person, error) {
	slug := strings.NewReplacer(" ", "-", "(", "", ")", "").Replace(label)
	p := &person{label: label, name: name, email: fmt.Sprintf("%s.%s@load.example", slug, s.runID)}
	var err error
	if p.userID, err = localstack.CreateUser(ctx, s.t.cognito, s.t.poolID, p.email, s.passwd); err != nil {
		return nil, err
	}
	if p.token, _, err = localstack.SignIn(ctx, s.t.cognito, s.t.clientID, p.email, s.passwd); err != nil {
		return nil, err
	}
	return p, nil
}

// join has the admin invite a person, who then signs up in cognito-local, signs in, and
// accepts with the token of their invitation email.
func (s *seeder) join(ctx context.Context, role, label, name string) (*person, error) {
	p, err := s.signUp(ctx, label, name)
	if err != nil {
		return nil, err
	}
	if err := s.c.must(ctx, call{route: "POST /invitations", path: "/invitations", who: s.admin, want: http.StatusCreated,
		body: map[string]string{"email": p.email, "name": name, "role": role}}, nil); err != nil {
		return nil, err
	}
	token, err := s.invitationToken(ctx, p.email)
	if err != nil {
		return nil, err
	}
	var accepted struct{ Organization struct{ ID, Role string } }
	if err := s.c.must(ctx, call{route: "POST /invitations/accept", path: "/invitations/accept", who: p, noOrg: true,
		want: http.StatusOK, body: map[string]string{"token": token}}, &accepted); err != nil {
		return nil, err
	}
	if accepted.Organization.ID != s.c.orgID || accepted.Organization.Role != role {
		return nil, fmt.Errorf("seed: %s joined %+v, want the run's organization as %s", label, accepted.Organization, role)
	}
	return p, nil
}

// invitationToken reads the token of the newest invitation email to email.
func (s *seeder) invitationToken(ctx context.Context, email string) (string, error) {
	var box struct {
		Emails []struct {
			Destination struct {
				To []string `json:"to"`
			} `json:"destination"`
			Body struct {
				Text string `json:"text"`
			} `json:"body"`
		} `json:"emails"`
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/store?since=%d", s.t.sesEndpoint, s.since), nil)
	if err != nil {
		return "", err
	}
	res, err := s.hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("read the sent emails: %w", err)
	}
	defer res.Body.Close()
	if err := decodeJSON(res, &box); err != nil {
		return "", fmt.Errorf("read the sent emails: %w", err)
	}
	for i := len(box.Emails) - 1; i >= 0; i-- {
		m := box.Emails[i]
		for _, to := range m.Destination.To {
			if strings.EqualFold(to, email) {
				if found := tokenInLink.FindStringSubmatch(m.Body.Text); found != nil {
					return url.QueryUnescape(found[1])
				}
			}
		}
	}
	return "", fmt.Errorf("no invitation email with a link to %s", email)
}

// tokenInLink finds the token in an invitation link.
var tokenInLink = regexp.MustCompile(`[?&]token=([^\s"'<>&]+)`)

// seedCase creates a case of client ci and its content: two documents (uploaded), the seed
// facts, the views "Imaging" and "Key facts", two comments, a chat with one question and a
// summary.
func (s *seeder) seedCase(ctx context.Context, w *world, ci *clientInfo, name string) (*caseInfo, error) {
	member, admin := w.members[0], w.admin
	var kc struct{ ID string }
	if err := s.c.must(ctx, call{route: "POST /clients/{clientId}/cases", path: "/clients/" + ci.id + "/cases", who: member,
		want: http.StatusCreated, body: map[string]string{"name": name}}, &kc); err != nil {
		return nil, err
	}
	k := &caseInfo{id: kc.ID, name: name, clientID: ci.id}
	for i, doc := range []string{"MRI report.pdf", "Imaging invoice.pdf"} {
		id, err := s.document(ctx, member, k, doc, fmt.Sprintf("%s, %s: document %d of the load run.", ci.name, name, i+1))
		if err != nil {
			return nil, err
		}
		k.docs = append(k.docs, id)
	}
	for i, sf := range seedFacts {
		body := map[string]any{"text": sf.text, "tags": sf.tags, "keyFact": sf.key}
		if sf.date != "" {
			body["date"] = sf.date
		}
		if sf.doc > 0 {
			body["documentId"] = k.docs[sf.doc-1]
		}
		var f factJSON
		if err := s.c.must(ctx, call{route: "POST /cases/{caseId}/facts", path: "/cases/" + k.id + "/facts", who: member,
			want: http.StatusCreated, body: body}, &f); err != nil {
			return nil, err
		}
		s.led.knowFact(f)
		imaging := hasTag(f.Tags, "imaging")
		k.publish(f.ID, imaging)
		if i < hotFacts {
			k.hot = append(k.hot, f.ID)
		}
	}
	for _, v := range []struct {
		name string
		dst  *string
		body map[string]any
	}{
		{"Imaging", &k.imagingView, map[string]any{"filter": map[string]any{"tags": []string{"imaging"}}, "sort": map[string]string{"field": "date", "order": "desc"}}},
		{"Key facts", &k.keysView, map[string]any{"filter": map[string]any{"keyOnly": true}, "sort": map[string]string{"field": "date", "order": "asc"}}},
	} {
		v.body["name"] = v.name
		var view struct{ ID string }
		if err := s.c.must(ctx, call{route: "POST /cases/{caseId}/views", path: "/cases/" + k.id + "/views", who: admin,
			want: http.StatusCreated, body: v.body}, &view); err != nil {
			return nil, err
		}
		*v.dst = view.ID
	}
	for i, text := range []string{"Please confirm the tear is consistent with the fall.", "Radiology report attached; films on request."} {
		if err := s.c.must(ctx, call{route: "POST /facts/{factId}/comments", path: "/facts/" + k.facts[2] + "/comments",
			who: w.staff[i%len(w.staff)], want: http.StatusCreated, body: map[string]string{"text": text}}, nil); err != nil {
			return nil, err
		}
	}
	var chat struct{ ID string }
	if err := s.c.must(ctx, call{route: "POST /cases/{caseId}/chats", path: "/cases/" + k.id + "/chats", who: member,
		want: http.StatusCreated, body: map[string]string{"title": "Imaging review"}}, &chat); err != nil {
		return nil, err
	}
	k.chat = chat.ID
	if err := s.c.must(ctx, call{route: "POST /chats/{chatId}/messages", path: "/chats/" + chat.ID + "/messages", who: member,
		want: http.StatusCreated, body: map[string]string{"text": "What did the MRI show?"}}, nil); err != nil {
		return nil, err
	}
	if err := s.c.must(ctx, call{route: "PUT /cases/{caseId}/summary", path: "/cases/" + k.id + "/summary", who: admin,
		want: http.StatusOK, body: map[string]any{"text": name + ": injury at work, surgery, physical therapy.", "version": 0}}, nil); err != nil {
		return nil, err
	}
	return k, nil
}

// document records a document of case k and uploads its bytes to the URL the API signed.
func (s *seeder) document(ctx context.Context, who *person, k *caseInfo, name, text string) (string, error) {
	data := []byte("%PDF-1.4\n% load run document (text, not a real PDF)\n" + text + "\n%%EOF\n")
	var doc struct {
		ID     string
		Upload struct {
			Method  string
			URL     string
			Headers map[string]string
		}
	}
	if err := s.c.must(ctx, call{route: "POST /cases/{caseId}/documents", path: "/cases/" + k.id + "/documents", who: who,
		want: http.StatusCreated, body: map[string]any{"name": name, "contentType": "application/pdf", "size": len(data)}}, &doc); err != nil {
		return "", err
	}
	if err := loopbackURL(baseOf(doc.Upload.URL)); err != nil {
		return "", fmt.Errorf("upload URL of document %s: %w", doc.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, doc.Upload.Method, doc.Upload.URL, bytes.NewReader(data))
	if err != nil {
		return "", err
	}
	for h, v := range doc.Upload.Headers {
		req.Header.Set(h, v)
	}
	req.ContentLength = int64(len(data))
	res, err := s.hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("upload document %s: %w", doc.ID, err)
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		return "", fmt.Errorf("upload document %s: %s", doc.ID, res.Status)
	}
	return doc.ID, nil
}

// baseOf is the scheme and host of a URL, "" when it has none.
func baseOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

// checkGuests makes sure, before any load, that each guest sees what was shared and no more.
func (s *seeder) checkGuests(ctx context.Context, w *world) error {
	for _, c := range []struct {
		g    *person
		want []*caseInfo
	}{
		{w.guestClient, w.clientShared.cases},
		{w.guestCase, []*caseInfo{w.caseShared}},
		{w.guestView, []*caseInfo{w.viewShared}},
	} {
		var list struct{ Items []struct{ ID string } }
		if err := s.c.must(ctx, call{route: "GET /cases", path: "/cases", who: c.g, want: http.StatusOK}, &list); err != nil {
			return err
		}
		if len(list.Items) != len(c.want) {
			return fmt.Errorf("seed: %s sees %d cases, want %d", c.g.label, len(list.Items), len(c.want))
		}
	}
	var facts struct {
		Items []factJSON
		View  *struct{ ID string }
	}
	if err := s.c.must(ctx, call{route: "GET /cases/{caseId}/facts", path: "/cases/" + w.viewShared.id + "/facts", who: w.guestView, want: http.StatusOK}, &facts); err != nil {
		return err
	}
	if facts.View == nil || facts.View.ID != w.viewShared.imagingView || len(facts.Items) != len(w.viewShared.imaging) {
		return fmt.Errorf("seed: the view-limited guest sees %d facts (view %v), want the %d of the view Imaging", len(facts.Items), facts.View, len(w.viewShared.imaging))
	}
	return nil
}

func hasTag(tags []string, tag string) bool {
	for _, t := range tags {
		if strings.EqualFold(t, tag) {
			return true
		}
	}
	return false
}

// decodeJSON reads a JSON answer of status 200.
func decodeJSON(res *http.Response, out any) error {
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", res.Status)
	}
	raw := new(bytes.Buffer)
	if _, err := raw.ReadFrom(res.Body); err != nil {
		return err
	}
	return answer{status: res.StatusCode, body: raw.Bytes()}.decode(out)
}
