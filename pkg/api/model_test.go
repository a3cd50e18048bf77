package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/sesmail"
	"github.com/oklog/ulid/v2"
)

// The knobs of TestSharingModel.
const (
	envModelSeed = "CASESCRIBE_MODEL_SEED"
	envModelOps  = "CASESCRIBE_MODEL_OPS"

	defaultModelOps = 4000
	// modelWorlds is fixed, not taken from the machine, so that a seed means the same run
	// everywhere.
	modelWorlds            = 4
	modelGuests            = 3
	modelMaxClients        = 3
	modelMaxCasesPerClient = 3
	// modelProbeWorkers bounds the concurrent requests of one world's checks.
	modelProbeWorkers = 4
	// modelSweepEvery is how often (in operations) a world also checks the staff indicators.
	modelSweepEvery = 25
	modelRecent     = 12
)

// TestSharingModel is a model-based random test of sharing: random operations through the
// real handlers, each checked against a small reference model, and after every operation
// what every guest can see.
//
// The handlers are the local server's (api.Server.Local: the one route table behind the same
// authorizer), called in-process with httptest.NewRecorder on DynamoDB Local and
// cognito-local, without the OpenAPI validation of e.call: a run makes a quarter of a million
// requests, and the other tests validate every route.
//
// The seed comes from CASESCRIBE_MODEL_SEED, else from the clock; it is logged first and is in
// every failure. CASESCRIBE_MODEL_OPS sets the number of operations (default 4,000). They are
// split over modelWorlds independent worlds that run in parallel goroutines: each is its own
// organization (alice its admin, a member, modelGuests guests, up to modelMaxClients clients
// of up to modelMaxCasesPerClient cases), driven by its own random stream PCG(seed, world), so
// one seed reproduces every world exactly and the worlds' operations add up to the total.
//
// Operations, done by the admin or the member: add a share (case or client scope); preview a
// change of a share (narrow, expand, move within or across clients, configure, and the
// refused ones) and apply it, at its version or a stale one; remove a share; create and delete
// cases and clients; remove a guest from the organization, invite them again and accept.
// After every operation, for every guest in the organization: GET /cases and GET /clients
// equal the model's; GET /cases/{id} and GET /clients/{id} answer 200 (with the model's
// access) or 404 for every case and client, and agree with the lists; one guest in turn also
// asks for a few deleted cases and clients (404); a removed guest gets 403 not_member, an
// invited one 403 invitation_pending; and the admin's GET /cases/{id}/shares lists exactly
// the model's shares of every case. Every modelSweepEvery operations the staff views are
// checked as well (client detail badges and guest shares, the users directory's access,
// removed shares).
//
// That is about 25 requests an operation, and DynamoDB Local's CPU bounds them (some 800 a
// second on two cores): 10,000 operations take five to six minutes there, too much beside the
// access matrix, the race and revocation tests and the fuzz seeds in one make test, so the
// default is 4,000 (about two minutes); CASESCRIBE_MODEL_OPS=10000 runs the longer model.
func TestSharingModel(t *testing.T) {
	seed := envSeed(t, envModelSeed)
	total := envCount(t, envModelOps, defaultModelOps)
	reproduce := fmt.Sprintf("reproduce with %s=%d", envModelSeed, seed)
	if total != defaultModelOps {
		reproduce += fmt.Sprintf(" %s=%d", envModelOps, total)
	}
	t.Logf("seed %d, %d operations over %d worlds; %s", seed, total, modelWorlds, reproduce)

	e := setup(t)
	h := api.NewServer(e.store, api.WithMailer(sesmail.New(e.stack.SES(), "no-reply@casescribe.test"), appBaseURL), api.WithLogger(api.NewLogger(io.Discard))).Local(e.authn, nil)
	var stop atomic.Bool
	var requests atomic.Int64
	worlds := make([]*modelWorld, modelWorlds)
	for i := range worlds {
		ops := total / modelWorlds
		if i < total%modelWorlds {
			ops++
		}
		worlds[i] = newModelWorld(t, e, h, seed, i, ops, reproduce, &stop, &requests)
	}

	start := time.Now()
	failures := make([]string, len(worlds))
	var wg sync.WaitGroup
	for i, w := range worlds {
		wg.Go(func() { failures[i] = w.run() })
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, f := range failures {
		if f != "" {
			t.Error(f)
		}
	}

	done, cases, clients, active := 0, 0, 0, 0
	byKind, byOutcome := map[string]int{}, map[string]int{}
	for _, w := range worlds {
		done += w.done
		cases, clients, active = cases+w.casesSum, clients+w.clientsSum, active+w.activeSum
		for k, n := range w.byKind {
			byKind[k] += n
		}
		for k, n := range w.byOutcome {
			byOutcome[k] += n
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d operations in %s (%.0f/s), %d requests (%.0f/s); seed %d\n", done, elapsed.Round(time.Millisecond),
		float64(done)/elapsed.Seconds(), requests.Load(), float64(requests.Load())/elapsed.Seconds(), seed)
	if done > 0 {
		fmt.Fprintf(&b, "on average after an operation: %.1f cases, %.1f clients, %.1f guests in; %.1f requests per operation\n",
			float64(cases)/float64(done), float64(clients)/float64(done), float64(active)/float64(done), float64(requests.Load())/float64(done))
	}
	b.WriteString("operations by kind:\n")
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		fmt.Fprintf(&b, "  %-14s %6d\n", k, byKind[k])
	}
	b.WriteString("outcomes:\n")
	for _, k := range slices.Sorted(maps.Keys(byOutcome)) {
		fmt.Fprintf(&b, "  %-44s %6d\n", k, byOutcome[k])
	}
	t.Log(b.String())
	if done < total && !t.Failed() {
		t.Errorf("only %d of %d operations ran; %s", done, total, reproduce)
	}
}

// The reference model.

type guestState int

const (
	guestActive  guestState = iota
	guestRemoved            // removed from the organization
	guestInvited            // invited again, not accepted yet
)

type mGuest struct {
	label, id, email, token string
	state                   guestState
}

type mClient struct {
	id    string
	cases []string // in creation order
}

type mCase struct {
	id, client string
	// view is the case's one saved view, which shares may be limited to; chats are its two
	// chats, which shares may list.
	view  string
	chats []string
}

type mShare struct {
	id, guest, scope, client, caseID, view string
	chats                                  []string
	version                                int
}

// modelWorld is one organization and its model.
type modelWorld struct {
	e         *env
	h         http.Handler
	index     int
	seed      int64
	ops       int
	reproduce string
	rng       *rand.Rand
	stop      *atomic.Bool
	requests  *atomic.Int64

	org, admin, member string // the organization; the admin's and the member's tokens
	guests             []*mGuest

	clients                            []*mClient
	cases                              map[string]*mCase
	shares                             []*mShare // in creation order
	goneCases, goneClients, goneShares []string
	labels                             map[string]string
	serial                             map[string]int

	casesSum, clientsSum, activeSum int // summed over operations, for the averages logged

	step              int    // the operation under way
	op                string // what it does and expects, for failures
	recent            []string
	done              int
	byKind, byOutcome map[string]int
}

func newModelWorld(t *testing.T, e *env, h http.Handler, seed int64, index, ops int, reproduce string, stop *atomic.Bool, requests *atomic.Int64) *modelWorld {
	t.Helper()
	w := &modelWorld{e: e, h: h, index: index, seed: seed, ops: ops, reproduce: reproduce,
		rng: rand.New(rand.NewPCG(uint64(seed), uint64(index))), stop: stop, requests: requests,
		cases: map[string]*mCase{}, labels: map[string]string{}, serial: map[string]int{},
		byKind: map[string]int{}, byOutcome: map[string]int{}, step: -1}
	w.admin = e.users["alice"].token
	w.op = "create the organization"
	r := w.send(w.admin, "", "POST", "/orgs", fmt.Sprintf(`{"name":"Model world %d"}`, index))
	w.must(t, expect("create organization", r, 201, ""))
	w.org = r.str("id")
	member := e.person(t, fmt.Sprintf("w%d-member", index))
	e.join(t, fmt.Sprintf("w%d-member", index), w.org, casescribe.RoleMember, casescribe.StatusActive)
	w.member = member.token
	for i := range modelGuests {
		name := fmt.Sprintf("w%d-g%d", index, i)
		u := e.person(t, name)
		e.join(t, name, w.org, casescribe.RoleGuest, casescribe.StatusActive)
		g := &mGuest{label: fmt.Sprintf("g%d", i), id: u.id, email: u.email, token: u.token}
		w.labels[u.id] = g.label
		w.guests = append(w.guests, g)
	}
	// A starting world: two clients of two cases each.
	for range 2 {
		w.must(t, w.createClient())
		c := w.clients[len(w.clients)-1]
		for range 2 {
			w.must(t, w.createCase(c))
		}
	}
	w.must(t, w.check())
	w.byKind, w.byOutcome, w.recent = map[string]int{}, map[string]int{}, nil
	return w
}

// run does the world's operations, checking each, and returns the first disagreement, "" if
// none.
func (w *modelWorld) run() string {
	for w.step = 0; w.step < w.ops; w.step++ {
		if w.stop.Load() {
			return "" // another world failed; its failure is the report
		}
		kind := w.choose()
		w.op = kind
		w.byKind[kind]++
		if msg := w.do(kind); msg != "" {
			return w.failure(msg)
		}
		if msg := w.check(); msg != "" {
			return w.failure("after the operation, " + msg)
		}
		if (w.step+1)%modelSweepEvery == 0 {
			if msg := w.sweep(); msg != "" {
				return w.failure("after the operation, in the staff views: " + msg)
			}
		}
		w.casesSum, w.clientsSum, w.activeSum = w.casesSum+len(w.cases), w.clientsSum+len(w.clients), w.activeSum+len(w.guestsIn(guestActive))
		w.recent = append(w.recent, fmt.Sprintf("%d: %s", w.step, w.op))
		if len(w.recent) > modelRecent {
			w.recent = w.recent[1:]
		}
		w.done++
	}
	if msg := w.sweep(); msg != "" {
		return w.failure("at the end, in the staff views: " + msg)
	}
	return ""
}

// must fails the test while the world is being built (on the test's goroutine).
func (w *modelWorld) must(t *testing.T, msg string) {
	t.Helper()
	if msg != "" {
		t.Fatal(w.failure(msg))
	}
}

// failure says what disagreed, where, after what, and how to run it again; it stops the other
// worlds.
func (w *modelWorld) failure(msg string) string {
	w.stop.Store(true)
	var b strings.Builder
	when := fmt.Sprintf("operation %d of %d", w.step, w.ops)
	if w.step < 0 {
		when = "while building the world"
	}
	fmt.Fprintf(&b, "world %d (seed %d, stream PCG(seed, %d)), %s:\n  %s\n  %s\n", w.index, w.seed, w.index, when, w.op, msg)
	if len(w.recent) > 0 {
		b.WriteString("  the operations before it:\n")
		for _, r := range w.recent {
			fmt.Fprintf(&b, "    %s\n", r)
		}
	}
	b.WriteString("  " + w.reproduce)
	return b.String()
}

// weighted is one choice of a random pick.
type weighted struct {
	name   string
	weight int
}

func (w *modelWorld) pick(choices []weighted) string {
	sum := 0
	for _, c := range choices {
		sum += c.weight
	}
	n := w.rng.IntN(sum)
	for _, c := range choices {
		if n < c.weight {
			return c.name
		}
		n -= c.weight
	}
	panic("unreachable")
}

// choose picks the next operation among those the world allows.
func (w *modelWorld) choose() string {
	var cs []weighted
	add := func(name string, weight int, ok bool) {
		if ok {
			cs = append(cs, weighted{name, weight})
		}
	}
	states := map[guestState]int{}
	for _, g := range w.guests {
		states[g.state]++
	}
	add("addShare", 24, len(w.cases) > 0)
	add("changeShare", 26, len(w.shares) > 0)
	add("removeShare", 10, len(w.shares) > 0)
	add("createCase", 6, slices.ContainsFunc(w.clients, func(c *mClient) bool { return len(c.cases) < modelMaxCasesPerClient }))
	add("deleteCase", 7, len(w.cases) > 0)
	add("createClient", 3, len(w.clients) < modelMaxClients)
	add("deleteClient", 4, len(w.clients) > 0)
	// A guest leaves rarely and comes back soon, so that most of the time most guests are in.
	add("removeGuest", 2, states[guestActive] > 0)
	add("inviteGuest", 5*states[guestRemoved], states[guestRemoved] > 0)
	add("acceptInvite", 5*states[guestInvited], states[guestInvited] > 0)
	return w.pick(cs)
}

func (w *modelWorld) do(kind string) string {
	switch kind {
	case "addShare":
		return w.addShare()
	case "changeShare":
		return w.changeShare()
	case "removeShare":
		return w.removeShare()
	case "createCase":
		var open []*mClient
		for _, c := range w.clients {
			if len(c.cases) < modelMaxCasesPerClient {
				open = append(open, c)
			}
		}
		return w.createCase(open[w.rng.IntN(len(open))])
	case "deleteCase":
		return w.deleteCase()
	case "createClient":
		return w.createClient()
	case "deleteClient":
		return w.deleteClient()
	case "removeGuest":
		return w.removeGuest()
	case "inviteGuest":
		return w.inviteGuest()
	case "acceptInvite":
		return w.acceptInvite()
	}
	panic("unknown operation " + kind)
}

// outcome counts one result of an operation.
func (w *modelWorld) outcome(format string, args ...any) {
	w.byOutcome[fmt.Sprintf(format, args...)]++
}

// Requests.

// send calls the handler in-process, as the holder of token, in org ("" for none).
func (w *modelWorld) send(token, org, method, path, body string) response {
	w.requests.Add(1)
	return decodedAnswer(serveInProcess(w.h, token, org, method, path, body))
}

func jsonBody(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// expect compares an answer's status (and error code, when given) with the model's.
func expect(what string, r response, status int, code string) string {
	if r.status != status || (code != "" && r.errorCode() != code) {
		want := strconv.Itoa(status)
		if code != "" {
			want += " " + code
		}
		return fmt.Sprintf("%s: expected %s, got %d: %s", what, want, r.status, strings.TrimSpace(r.raw))
	}
	return ""
}

// Labels make operations readable: g0 a guest, C1 a client, K1 a case, S1 a share.
func (w *modelWorld) label(id, prefix string) string {
	w.serial[prefix]++
	l := fmt.Sprintf("%s%d", prefix, w.serial[prefix])
	w.labels[id] = l
	return l
}

func (w *modelWorld) l(id string) string {
	if l, ok := w.labels[id]; ok {
		return l + "(" + id + ")"
	}
	return id
}

func (w *modelWorld) ls(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = w.labels[id]
		if out[i] == "" {
			out[i] = id
		}
	}
	return "[" + strings.Join(out, " ") + "]"
}

func (w *modelWorld) actor() (name, token string) {
	if w.rng.IntN(3) == 0 {
		return "member", w.member
	}
	return "admin", w.admin
}

func newULID() string { return ulid.Make().String() }

// randomView is, one time in three, the saved view of the case a share is limited to.
func (w *modelWorld) randomView(caseID string) string {
	if w.rng.IntN(3) == 0 {
		return w.cases[caseID].view
	}
	return ""
}

// randomChats is, one time in three, one or both chats of the case.
func (w *modelWorld) randomChats(caseID string) []string {
	if w.rng.IntN(3) != 0 {
		return nil
	}
	chats := w.cases[caseID].chats
	out := []string{chats[0]}
	if w.rng.IntN(2) == 0 {
		out = append(out, chats[1])
	}
	return out
}

// Model queries.

func (w *modelWorld) client(id string) *mClient {
	for _, c := range w.clients {
		if c.id == id {
			return c
		}
	}
	return nil
}

// allCases returns every case, client by client, in creation order.
func (w *modelWorld) allCases() []*mCase {
	var out []*mCase
	for _, c := range w.clients {
		for _, id := range c.cases {
			out = append(out, w.cases[id])
		}
	}
	return out
}

func (w *modelWorld) caseShare(guest, caseID string) *mShare {
	for _, s := range w.shares {
		if s.guest == guest && s.scope == "case" && s.caseID == caseID {
			return s
		}
	}
	return nil
}

func (w *modelWorld) clientShare(guest, clientID string) *mShare {
	for _, s := range w.shares {
		if s.guest == guest && s.scope == "client" && s.client == clientID {
			return s
		}
	}
	return nil
}

func (w *modelWorld) caseSharesIn(guest, clientID string) []*mShare {
	var out []*mShare
	for _, s := range w.shares {
		if s.guest == guest && s.scope == "case" && s.client == clientID {
			out = append(out, s)
		}
	}
	return out
}

// access is how a guest holds a case: a case share (with its view) wins over a client share.
func (w *modelWorld) access(guest string, k *mCase) (scope, view string, ok bool) {
	if s := w.caseShare(guest, k.id); s != nil {
		return "case", s.view, true
	}
	if w.clientShare(guest, k.client) != nil {
		return "client", "", true
	}
	return "", "", false
}

func (w *modelWorld) visibleCases(guest, clientID string) []string {
	var out []string
	for _, k := range w.allCases() {
		if _, _, ok := w.access(guest, k); ok && (clientID == "" || k.client == clientID) {
			out = append(out, k.id)
		}
	}
	slices.Sort(out)
	return out
}

func (w *modelWorld) visibleClients(guest string) []string {
	var out []string
	for _, c := range w.clients {
		if w.clientShare(guest, c.id) != nil || len(w.caseSharesIn(guest, c.id)) > 0 {
			out = append(out, c.id)
		}
	}
	slices.Sort(out)
	return out
}

// guestCaseCount is a client's caseCount as a guest sees it.
func (w *modelWorld) guestCaseCount(guest string, c *mClient) int {
	if w.clientShare(guest, c.id) != nil {
		return len(c.cases)
	}
	return len(w.caseSharesIn(guest, c.id))
}

// sharesOnCase are the people with access to a case: its case shares and its client's client
// shares.
func (w *modelWorld) sharesOnCase(k *mCase) []*mShare {
	var out []*mShare
	for _, s := range w.shares {
		if (s.scope == "client" && s.client == k.client) || (s.scope == "case" && s.caseID == k.id) {
			out = append(out, s)
		}
	}
	return out
}

func (w *modelWorld) dropShare(s *mShare) {
	w.shares = slices.DeleteFunc(w.shares, func(x *mShare) bool { return x == s })
	w.goneShares = append(w.goneShares, s.id)
}

func (w *modelWorld) dropSharesWhere(f func(*mShare) bool) {
	for _, s := range slices.Clone(w.shares) {
		if f(s) {
			w.dropShare(s)
		}
	}
}

func shareIDs(ss []*mShare) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, s.id)
	}
	slices.Sort(out)
	return out
}

// Operations. Each returns "" when the API answered as the model predicts.

type newShareBody struct {
	GuestID string   `json:"guestId"`
	Scope   string   `json:"scope"`
	ViewID  string   `json:"viewId,omitempty"`
	ChatIDs []string `json:"chatIds,omitempty"`
}

func (w *modelWorld) addShare() string {
	var g *mGuest
	var active []*mGuest
	for _, x := range w.guests {
		if x.state == guestActive {
			active = append(active, x)
		}
	}
	if len(active) > 0 && w.rng.IntN(10) != 0 {
		g = active[w.rng.IntN(len(active))]
	} else {
		g = w.guests[w.rng.IntN(len(w.guests))]
	}
	all := w.allCases()
	k := all[w.rng.IntN(len(all))]
	who, token := w.actor()
	body := newShareBody{GuestID: g.id, Scope: "case"}
	if w.rng.IntN(5) < 2 {
		body.Scope = "client"
	}
	variant := body.Scope
	if body.Scope == "case" {
		body.ViewID, body.ChatIDs = w.randomView(k.id), w.randomChats(k.id)
	} else if w.rng.IntN(20) == 0 {
		body.ViewID, variant = newULID(), "client-with-view"
	}
	status, code, why := 201, "", ""
	switch {
	case variant == "client-with-view":
		status, code, why = 400, casescribe.EINVALID, "a client share with a view"
	case g.state != guestActive:
		status, code, why = 400, casescribe.EINVALID, "not a member"
	case body.Scope == "case" && w.caseShare(g.id, k.id) != nil:
		status, code, why = 409, casescribe.ECONFLICT, "already shared"
	case body.Scope == "case" && w.clientShare(g.id, k.client) != nil:
		status, code, why = 409, casescribe.ECONFLICT, "under a client share"
	case body.Scope == "client" && w.clientShare(g.id, k.client) != nil:
		status, code, why = 409, casescribe.ECONFLICT, "client already shared"
	case body.Scope == "client" && len(w.caseSharesIn(g.id, k.client)) > 0:
		status, code, why = 409, casescribe.ECONFLICT, "over case shares"
	}
	w.op = fmt.Sprintf("add share as %s: guest %s, %s of case %s of client %s, view %q, chats %v; expect %d %s",
		who, w.l(g.id), variant, w.l(k.id), w.labels[k.client], body.ViewID, body.ChatIDs, status, why)
	r := w.send(token, w.org, "POST", "/cases/"+k.id+"/shares", jsonBody(body))
	w.outcome("addShare %s %d %s", variant, status, why)
	if msg := expect("POST /cases/{id}/shares", r, status, code); msg != "" || status != 201 {
		return msg
	}
	s := &mShare{id: r.str("shareId"), guest: g.id, scope: body.Scope, client: k.client, view: body.ViewID,
		chats: body.ChatIDs, version: 1}
	if s.scope == "case" {
		s.caseID = k.id
	}
	if msg := checkShareJSON(r.body, s); msg != "" {
		return "the new share: " + msg
	}
	w.shares = append(w.shares, s)
	w.op += " → share " + w.label(s.id, "S")
	return ""
}

// checkShareJSON compares a share as the API answers it with the model's.
func checkShareJSON(j map[string]any, s *mShare) string {
	got := fmt.Sprintf("id=%v scope=%v clientId=%v caseId=%v viewId=%v chatIds=%v version=%v guest=%v",
		j["shareId"], j["scope"], j["clientId"], j["caseId"], j["viewId"], sortedAny(j["chatIds"]), j["version"], anyField(j["guest"], "id"))
	want := fmt.Sprintf("id=%v scope=%v clientId=%v caseId=%v viewId=%v chatIds=%v version=%v guest=%v",
		s.id, s.scope, s.client, orNil(s.caseID), orNil(s.view), sortedStrings(s.chats), float64(s.version), s.guest)
	if got != want {
		return fmt.Sprintf("got %s, want %s", got, want)
	}
	return ""
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func anyField(v any, key string) any {
	m, _ := v.(map[string]any)
	return m[key]
}

func sortedAny(v any) []string {
	xs, _ := v.([]any)
	out := []string{}
	for _, x := range xs {
		s, _ := x.(string)
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func sortedStrings(xs []string) []string {
	out := append([]string{}, xs...)
	slices.Sort(out)
	return out
}

// refIDs takes one id field of every object of a list.
func refIDs(v any, key string) []string {
	xs, _ := v.([]any)
	out := []string{}
	for _, x := range xs {
		s, _ := anyField(x, key).(string)
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

type changeBody struct {
	Scope   string   `json:"scope"`
	CaseID  string   `json:"caseId,omitempty"`
	ViewID  string   `json:"viewId,omitempty"`
	ChatIDs []string `json:"chatIds,omitempty"`
	Version *int     `json:"version,omitempty"`
}

// changePlan is what the model predicts for a proposed change.
type changePlan struct {
	variant, desc string
	body          changeBody
	// status and code answer the preview, and the apply too when the change is refused.
	status                     int
	code                       string
	kind                       string
	gained, lost, views, chats []string
	// applyStatus answers an apply at the current version of a change previewed with 200.
	applyStatus int
	after       mShare
	replaced    []*mShare
}

func (w *modelWorld) changeShare() string {
	s := w.shares[w.rng.IntN(len(w.shares))]
	p := w.planChange(s)
	who, token := w.actor()
	mode := w.pick([]weighted{{"apply", 16}, {"stale", 2}, {"preview-only", 2}})
	w.op = fmt.Sprintf("change share %s as %s (guest %s, %s, client %s, case %s, view %q, chats %v, version %d): %s; %s; expect preview %d %s",
		w.l(s.id), who, w.labels[s.guest], s.scope, w.labels[s.client], w.labels[s.caseID], s.view, s.chats, s.version, p.desc, mode, p.status, p.code)
	body := jsonBody(p.body)
	r := w.send(token, w.org, "POST", "/shares/"+s.id+"/preview", body)
	if msg := expect("POST /shares/{id}/preview "+body, r, p.status, p.code); msg != "" {
		return msg
	}
	if p.status == 200 {
		got := fmt.Sprintf("kind=%v version=%v gained=%s lost=%s droppedViews=%v droppedChats=%v", r.body["kind"], r.body["version"],
			w.ls(refIDs(r.body["gained"], "caseId")), w.ls(refIDs(r.body["lost"], "caseId")),
			refIDs(r.body["droppedViews"], "viewId"), refIDs(r.body["droppedChats"], "chatId"))
		want := fmt.Sprintf("kind=%v version=%v gained=%s lost=%s droppedViews=%v droppedChats=%v", p.kind, float64(s.version),
			w.ls(sortedStrings(p.gained)), w.ls(sortedStrings(p.lost)), sortedStrings(p.views), sortedStrings(p.chats))
		if got != want {
			return fmt.Sprintf("preview %s: got %s, want %s (%s)", body, got, want, r.raw)
		}
	}
	if mode == "preview-only" {
		w.outcome("change %s preview %d", p.variant, p.status)
		return ""
	}
	version := s.version
	applyStatus, applyCode := p.applyStatus, ""
	if applyStatus == 409 {
		applyCode = casescribe.ECONFLICT
	}
	if p.status != 200 {
		applyStatus, applyCode = p.status, p.code
	} else if mode == "stale" {
		version = s.version + 1
		if s.version > 1 && w.rng.IntN(2) == 0 {
			version = s.version - 1
		}
		applyStatus, applyCode = 409, casescribe.ECONFLICT
	}
	p.body.Version = &version
	w.op += fmt.Sprintf(", apply at version %d %d %s", version, applyStatus, applyCode)
	body = jsonBody(p.body)
	r = w.send(token, w.org, "PATCH", "/shares/"+s.id, body)
	if mode == "stale" {
		w.outcome("change %s preview %d apply stale %d", p.variant, p.status, applyStatus)
	} else {
		w.outcome("change %s preview %d apply %d", p.variant, p.status, applyStatus)
	}
	if msg := expect("PATCH /shares/{id} "+body, r, applyStatus, applyCode); msg != "" || applyStatus != 200 {
		return msg
	}
	for _, x := range p.replaced {
		w.dropShare(x)
	}
	*s = p.after
	if msg := checkShareJSON(r.body, s); msg != "" {
		return "the changed share: " + msg
	}
	return ""
}

// planChange proposes a random change of s and predicts its preview and apply.
func (w *modelWorld) planChange(s *mShare) changePlan {
	c := w.client(s.client)
	var otherCases []*mCase // cases of other clients
	var siblings []string   // the share's client's cases but its own
	for _, k := range w.allCases() {
		if k.client != s.client {
			otherCases = append(otherCases, k)
		} else if k.id != s.caseID {
			siblings = append(siblings, k.id)
		}
	}
	var choices []weighted
	add := func(name string, weight int, ok bool) {
		if ok {
			choices = append(choices, weighted{name, weight})
		}
	}
	if s.scope == "client" {
		add("narrow", 8, len(c.cases) > 0)
		add("narrow-elsewhere", 1, len(otherCases) > 0)
		add("client-again", 1, true)
	} else {
		add("expand", 5, true)
		add("move-within", 4, len(siblings) > 0)
		add("move-across", 4, len(otherCases) > 0)
		add("configure", 4, true)
		add("move-deleted", 1, len(w.goneCases) > 0)
		add("client-with-case", 1, true)
	}
	p := changePlan{variant: w.pick(choices), status: 200, applyStatus: 200, after: *s}
	p.after.version = s.version + 1
	refuse := func(status int, code string) {
		p.status, p.code = status, code
	}
	switch p.variant {
	case "narrow":
		target := c.cases[w.rng.IntN(len(c.cases))]
		p.body = changeBody{Scope: "case", CaseID: target, ViewID: w.randomView(target), ChatIDs: w.randomChats(target)}
		p.kind = "narrow"
		for _, id := range c.cases {
			if id != target {
				p.lost = append(p.lost, id)
			}
		}
		p.after.scope, p.after.caseID, p.after.view, p.after.chats = "case", target, p.body.ViewID, p.body.ChatIDs
	case "narrow-elsewhere":
		p.body = changeBody{Scope: "case", CaseID: otherCases[w.rng.IntN(len(otherCases))].id}
		refuse(400, casescribe.EINVALID)
	case "client-again":
		p.body = changeBody{Scope: "client"}
		refuse(400, casescribe.EINVALID)
	case "expand":
		p.body = changeBody{Scope: "client"}
		p.kind = "expand"
		held := map[string]bool{}
		for _, h := range w.caseSharesIn(s.guest, s.client) {
			held[h.caseID] = true
			if h.view != "" {
				p.views = append(p.views, h.view)
			}
			p.chats = append(p.chats, h.chats...)
			if h != s {
				p.replaced = append(p.replaced, h)
			}
		}
		for _, id := range c.cases {
			if !held[id] {
				p.gained = append(p.gained, id)
			}
		}
		p.after.scope, p.after.caseID, p.after.view, p.after.chats = "client", "", "", nil
	case "move-within", "move-across":
		var target *mCase
		if p.variant == "move-within" {
			target = w.cases[siblings[w.rng.IntN(len(siblings))]]
		} else {
			target = otherCases[w.rng.IntN(len(otherCases))]
		}
		p.body = changeBody{Scope: "case", CaseID: target.id, ViewID: w.randomView(target.id), ChatIDs: w.randomChats(target.id)}
		p.kind = "move"
		p.lost, p.gained = []string{s.caseID}, []string{target.id}
		if s.view != "" {
			p.views = []string{s.view}
		}
		p.chats = s.chats
		if _, _, held := w.access(s.guest, target); held {
			p.applyStatus = 409
		}
		p.after.client, p.after.caseID, p.after.view, p.after.chats = target.client, target.id, p.body.ViewID, p.body.ChatIDs
	case "configure":
		view := []string{"", s.view, w.cases[s.caseID].view}[w.rng.IntN(3)]
		var chats []string
		for _, id := range s.chats {
			if w.rng.IntN(2) == 0 {
				chats = append(chats, id)
			}
		}
		if w.rng.IntN(3) == 0 {
			for _, id := range w.cases[s.caseID].chats {
				if !slices.Contains(chats, id) {
					chats = append(chats, id)
					break
				}
			}
		}
		// The server compares chats as a set: the same chats in another order are no change.
		if view == s.view && slices.Equal(slices.Sorted(slices.Values(chats)), slices.Sorted(slices.Values(s.chats))) {
			// Always a change: whether the same settings again are one is not the model's call.
			if view == "" {
				view = w.cases[s.caseID].view
			} else {
				view = ""
			}
		}
		p.body = changeBody{Scope: "case", CaseID: s.caseID, ViewID: view, ChatIDs: chats}
		p.kind = "configure"
		if s.view != "" && s.view != view {
			p.views = []string{s.view}
		}
		for _, id := range s.chats {
			if !slices.Contains(chats, id) {
				p.chats = append(p.chats, id)
			}
		}
		p.after.view, p.after.chats = view, chats
	case "move-deleted":
		p.body = changeBody{Scope: "case", CaseID: w.goneCases[w.rng.IntN(len(w.goneCases))]}
		refuse(404, casescribe.ENOTFOUND)
	case "client-with-case":
		p.body = changeBody{Scope: "client", CaseID: s.caseID}
		refuse(400, casescribe.EINVALID)
	}
	p.desc = fmt.Sprintf("%s to scope %s, case %s, view %q, chats %v", p.variant, p.body.Scope, w.labels[p.body.CaseID], p.body.ViewID, p.body.ChatIDs)
	if p.status == 200 {
		p.desc += fmt.Sprintf(" (gains %s, loses %s, apply %d)", w.ls(p.gained), w.ls(p.lost), p.applyStatus)
	}
	return p
}

func (w *modelWorld) removeShare() string {
	who, token := w.actor()
	if len(w.goneShares) > 0 && w.rng.IntN(10) == 0 {
		id := w.goneShares[w.rng.IntN(len(w.goneShares))]
		w.op = fmt.Sprintf("remove the gone share %s as %s; expect 404", w.l(id), who)
		w.outcome("removeShare gone 404")
		return expect("DELETE /shares/{id}", w.send(token, w.org, "DELETE", "/shares/"+id, ""), 404, casescribe.ENOTFOUND)
	}
	s := w.shares[w.rng.IntN(len(w.shares))]
	w.op = fmt.Sprintf("remove share %s as %s (guest %s, %s, client %s, case %s); expect 204", w.l(s.id), who, w.labels[s.guest], s.scope, w.labels[s.client], w.labels[s.caseID])
	w.outcome("removeShare %s 204", s.scope)
	if msg := expect("DELETE /shares/{id}", w.send(token, w.org, "DELETE", "/shares/"+s.id, ""), 204, ""); msg != "" {
		return msg
	}
	w.dropShare(s)
	return ""
}

func (w *modelWorld) createCase(c *mClient) string {
	who, token := w.actor()
	if len(w.goneClients) > 0 && w.rng.IntN(10) == 0 {
		id := w.goneClients[w.rng.IntN(len(w.goneClients))]
		w.op = fmt.Sprintf("create a case in the deleted client %s as %s; expect 404", w.l(id), who)
		w.outcome("createCase deleted-client 404")
		return expect("POST /clients/{id}/cases", w.send(token, w.org, "POST", "/clients/"+id+"/cases", `{"name":"Nowhere"}`), 404, casescribe.ENOTFOUND)
	}
	w.op = fmt.Sprintf("create a case in client %s as %s; expect 201", w.l(c.id), who)
	r := w.send(token, w.org, "POST", "/clients/"+c.id+"/cases", fmt.Sprintf(`{"name":"Case %d"}`, w.serial["K"]+1))
	w.outcome("createCase 201")
	if msg := expect("POST /clients/{id}/cases", r, 201, ""); msg != "" {
		return msg
	}
	k := &mCase{id: r.str("id"), client: c.id}
	if r.str("clientId") != c.id {
		return "the new case's clientId: " + r.raw
	}
	v := w.send(token, w.org, "POST", "/cases/"+k.id+"/views", `{"name":"Key facts","filter":{"keyOnly":true}}`)
	if msg := expect("POST /cases/{id}/views", v, 201, ""); msg != "" {
		return msg
	}
	k.view = v.str("id")
	for i := range 2 {
		ch := w.send(token, w.org, "POST", "/cases/"+k.id+"/chats", fmt.Sprintf(`{"title":"Chat %d"}`, i+1))
		if msg := expect("POST /cases/{id}/chats", ch, 201, ""); msg != "" {
			return msg
		}
		k.chats = append(k.chats, ch.str("id"))
	}
	w.cases[k.id] = k
	c.cases = append(c.cases, k.id)
	w.op += " → case " + w.label(k.id, "K")
	return ""
}

func (w *modelWorld) deleteCase() string {
	who, token := w.actor()
	if len(w.goneCases) > 0 && w.rng.IntN(10) == 0 {
		id := w.goneCases[w.rng.IntN(len(w.goneCases))]
		w.op = fmt.Sprintf("delete the deleted case %s as %s; expect 404", w.l(id), who)
		w.outcome("deleteCase deleted 404")
		return expect("DELETE /cases/{id}", w.send(token, w.org, "DELETE", "/cases/"+id, ""), 404, casescribe.ENOTFOUND)
	}
	all := w.allCases()
	k := all[w.rng.IntN(len(all))]
	n := len(w.sharesOnCase(k))
	w.op = fmt.Sprintf("delete case %s of client %s as %s (people with access %d); expect 204", w.l(k.id), w.labels[k.client], who, n)
	w.outcome("deleteCase 204")
	if msg := expect("DELETE /cases/{id}", w.send(token, w.org, "DELETE", "/cases/"+k.id, ""), 204, ""); msg != "" {
		return msg
	}
	c := w.client(k.client)
	c.cases = slices.DeleteFunc(c.cases, func(id string) bool { return id == k.id })
	delete(w.cases, k.id)
	w.goneCases = append(w.goneCases, k.id)
	w.dropSharesWhere(func(s *mShare) bool { return s.scope == "case" && s.caseID == k.id })
	return ""
}

func (w *modelWorld) createClient() string {
	who, token := w.actor()
	w.op = fmt.Sprintf("create a client as %s; expect 201", who)
	r := w.send(token, w.org, "POST", "/clients", fmt.Sprintf(`{"name":"Client %d"}`, w.serial["C"]+1))
	w.outcome("createClient 201")
	if msg := expect("POST /clients", r, 201, ""); msg != "" {
		return msg
	}
	c := &mClient{id: r.str("id")}
	w.clients = append(w.clients, c)
	w.op += " → client " + w.label(c.id, "C")
	return ""
}

func (w *modelWorld) deleteClient() string {
	who, token := w.actor()
	if len(w.goneClients) > 0 && w.rng.IntN(10) == 0 {
		id := w.goneClients[w.rng.IntN(len(w.goneClients))]
		w.op = fmt.Sprintf("delete the deleted client %s as %s; expect 404", w.l(id), who)
		w.outcome("deleteClient deleted 404")
		return expect("DELETE /clients/{id}", w.send(token, w.org, "DELETE", "/clients/"+id, ""), 404, casescribe.ENOTFOUND)
	}
	var empty []*mClient
	for _, c := range w.clients {
		if len(c.cases) == 0 {
			empty = append(empty, c)
		}
	}
	c := w.clients[w.rng.IntN(len(w.clients))]
	if len(empty) > 0 && w.rng.IntN(2) == 0 {
		c = empty[w.rng.IntN(len(empty))]
	}
	if len(c.cases) > 0 {
		w.op = fmt.Sprintf("delete client %s with %d cases as %s; expect 409", w.l(c.id), len(c.cases), who)
		w.outcome("deleteClient with-cases 409")
		return expect("DELETE /clients/{id}", w.send(token, w.org, "DELETE", "/clients/"+c.id, ""), 409, casescribe.ECONFLICT)
	}
	var shared []*mShare
	for _, s := range w.shares {
		if s.client == c.id {
			shared = append(shared, s)
		}
	}
	w.op = fmt.Sprintf("delete the empty client %s as %s (shares %s); expect 204", w.l(c.id), who, w.ls(shareIDs(shared)))
	w.outcome("deleteClient empty 204")
	if msg := expect("DELETE /clients/{id}", w.send(token, w.org, "DELETE", "/clients/"+c.id, ""), 204, ""); msg != "" {
		return msg
	}
	w.clients = slices.DeleteFunc(w.clients, func(x *mClient) bool { return x == c })
	w.goneClients = append(w.goneClients, c.id)
	w.dropSharesWhere(func(s *mShare) bool { return s.client == c.id })
	return ""
}

func (w *modelWorld) guestsIn(state guestState) []*mGuest {
	var out []*mGuest
	for _, g := range w.guests {
		if g.state == state {
			out = append(out, g)
		}
	}
	return out
}

func (w *modelWorld) removeGuest() string {
	gs := w.guestsIn(guestActive)
	g := gs[w.rng.IntN(len(gs))]
	var theirs []*mShare
	for _, s := range w.shares {
		if s.guest == g.id {
			theirs = append(theirs, s)
		}
	}
	w.op = fmt.Sprintf("remove guest %s from the organization (shares %s); expect 204", w.l(g.id), w.ls(shareIDs(theirs)))
	w.outcome("removeGuest 204")
	if msg := expect("DELETE /users/{id}", w.send(w.admin, w.org, "DELETE", "/users/"+g.id, ""), 204, ""); msg != "" {
		return msg
	}
	g.state = guestRemoved
	w.dropSharesWhere(func(s *mShare) bool { return s.guest == g.id })
	return ""
}

func (w *modelWorld) inviteGuest() string {
	gs := w.guestsIn(guestRemoved)
	g := gs[w.rng.IntN(len(gs))]
	w.op = fmt.Sprintf("invite the removed guest %s again; expect 201", w.l(g.id))
	w.outcome("inviteGuest 201")
	r := w.send(w.admin, w.org, "POST", "/invitations", jsonBody(map[string]string{"email": g.email, "name": "Guest " + g.label, "role": "guest"}))
	if msg := expect("POST /invitations", r, 201, ""); msg != "" {
		return msg
	}
	g.state = guestInvited
	return ""
}

func (w *modelWorld) acceptInvite() string {
	gs := w.guestsIn(guestInvited)
	g := gs[w.rng.IntN(len(gs))]
	w.op = fmt.Sprintf("guest %s accepts the invitation from its email; expect 200 and no access", w.l(g.id))
	w.outcome("acceptInvite 200")
	token, err := invitationToken(w.e.stack.SESEndpoint, g.email)
	if err != nil {
		return err.Error()
	}
	r := w.send(g.token, "", "POST", "/invitations/accept", jsonBody(map[string]string{"token": token}))
	if msg := expect("POST /invitations/accept", r, 200, ""); msg != "" {
		return msg
	}
	if o := r.body["organization"]; anyField(o, "id") != w.org || anyField(o, "role") != "guest" {
		return "accepted into " + r.raw
	}
	g.state = guestActive
	return ""
}

// invitationToken reads the token of the last invitation emailed to address, from
// aws-ses-v2-local's store, as the invitee would from the link.
func invitationToken(sesEndpoint, address string) (string, error) {
	res, err := http.Get(sesEndpoint + "/store")
	if err != nil {
		return "", fmt.Errorf("read the sent emails: %w", err)
	}
	defer res.Body.Close()
	var store struct{ Emails []sentEmail }
	if err := json.NewDecoder(res.Body).Decode(&store); err != nil {
		return "", fmt.Errorf("read the sent emails: %w", err)
	}
	for i := len(store.Emails) - 1; i >= 0; i-- {
		m := store.Emails[i]
		if !slices.ContainsFunc(m.Destination.To, func(to string) bool { return strings.EqualFold(to, address) }) {
			continue
		}
		link := linkToken.FindStringSubmatch(m.Body.Text)
		if link == nil {
			return "", fmt.Errorf("no accept link in the email to %s: %q", address, m.Body.Text)
		}
		return url.QueryUnescape(link[1])
	}
	return "", fmt.Errorf("no email to %s", address)
}

// Checks.

// probe is one request of a check and what the model expects of its answer.
type probe struct {
	what, token, path string
	check             func(r response) string
}

// runProbes sends every probe, a few at a time, and returns the answers in order.
func (w *modelWorld) runProbes(ps []probe) []response {
	out := make([]response, len(ps))
	sem := make(chan struct{}, modelProbeWorkers)
	var wg sync.WaitGroup
	for i, p := range ps {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i] = w.send(p.token, w.org, "GET", p.path, "")
		})
	}
	wg.Wait()
	return out
}

// sample returns n of ids, or all when fewer: the latest (for n = 1, half of the time) and
// older ones at random.
func (w *modelWorld) sample(ids []string, n int) []string {
	if len(ids) <= n {
		return ids
	}
	out := []string{ids[len(ids)-1]}
	if n == 1 && w.rng.IntN(2) == 0 {
		out = nil
	}
	for len(out) < n {
		out = append(out, ids[w.rng.IntN(len(ids)-1)])
	}
	return out
}

func wantStatus(status int, code string) func(response) string {
	return func(r response) string { return expect("", r, status, code) }
}

// check compares what every guest sees, and the people with access of every case, with the
// model.
func (w *modelWorld) check() string {
	var ps []probe
	type agreement struct {
		g                     *mGuest
		casesAt, clientsAt    int
		caseProbes, cliProbes []int
		caseIDs, clientIDs    []string
	}
	var agreements []agreement
	// Deleted ids answer 404 whoever asks: one guest a time asks for a few of them, in turn.
	var prober *mGuest
	if active := w.guestsIn(guestActive); len(active) > 0 {
		prober = active[max(w.step, 0)%len(active)]
	}
	for _, g := range w.guests {
		switch g.state {
		case guestRemoved:
			ps = append(ps, probe{g.label + " (removed) GET /cases", g.token, "/cases", wantStatus(403, casescribe.ENOTMEMBER)})
			continue
		case guestInvited:
			ps = append(ps, probe{g.label + " (invited) GET /cases", g.token, "/cases", wantStatus(403, casescribe.EINVITATIONPENDING)})
			continue
		}
		a := agreement{g: g, casesAt: len(ps)}
		wantCases := w.visibleCases(g.id, "")
		ps = append(ps, probe{g.label + " GET /cases", g.token, "/cases", func(r response) string {
			if msg := expect("", r, 200, ""); msg != "" {
				return msg
			}
			if got := ids(r); !slices.Equal(got, wantCases) {
				return fmt.Sprintf("cases %s, want %s", w.ls(got), w.ls(wantCases))
			}
			for _, it := range r.items() {
				if k := w.cases[anyField(it, "id").(string)]; anyField(it, "clientId") != k.client {
					return fmt.Sprintf("case %s listed under client %v, want %s", w.labels[k.id], anyField(it, "clientId"), w.l(k.client))
				}
			}
			return ""
		}})
		a.clientsAt = len(ps)
		wantClients := w.visibleClients(g.id)
		counts := map[string]float64{}
		for _, c := range w.clients {
			counts[c.id] = float64(w.guestCaseCount(g.id, c))
		}
		ps = append(ps, probe{g.label + " GET /clients", g.token, "/clients", func(r response) string {
			if msg := expect("", r, 200, ""); msg != "" {
				return msg
			}
			if got := ids(r); !slices.Equal(got, wantClients) {
				return fmt.Sprintf("clients %s, want %s", w.ls(got), w.ls(wantClients))
			}
			for _, it := range r.items() {
				if id := anyField(it, "id").(string); anyField(it, "caseCount") != counts[id] {
					return fmt.Sprintf("client %s caseCount %v, want %v", w.labels[id], anyField(it, "caseCount"), counts[id])
				}
			}
			return ""
		}})
		for _, k := range w.allCases() {
			a.caseProbes, a.caseIDs = append(a.caseProbes, len(ps)), append(a.caseIDs, k.id)
			scope, view, ok := w.access(g.id, k)
			what := fmt.Sprintf("%s GET /cases/%s", g.label, w.labels[k.id])
			if !ok {
				ps = append(ps, probe{what, g.token, "/cases/" + k.id, wantStatus(404, casescribe.ENOTFOUND)})
				continue
			}
			ps = append(ps, probe{what, g.token, "/cases/" + k.id, func(r response) string {
				if msg := expect("", r, 200, ""); msg != "" {
					return msg
				}
				got := fmt.Sprintf("id=%v clientId=%v scope=%v viewId=%v shareCount=%v", r.body["id"], r.body["clientId"],
					anyField(r.body["access"], "scope"), anyField(r.body["access"], "viewId"), r.body["shareCount"])
				want := fmt.Sprintf("id=%v clientId=%v scope=%v viewId=%v shareCount=%v", k.id, k.client, scope, orNil(view), nil)
				if got != want {
					return fmt.Sprintf("got %s, want %s", got, want)
				}
				return ""
			}})
		}
		if g == prober {
			for _, id := range w.sample(w.goneCases, 2) {
				ps = append(ps, probe{fmt.Sprintf("%s GET /cases/%s (deleted)", g.label, w.labels[id]), g.token, "/cases/" + id, wantStatus(404, casescribe.ENOTFOUND)})
			}
		}
		for _, c := range w.clients {
			a.cliProbes, a.clientIDs = append(a.cliProbes, len(ps)), append(a.clientIDs, c.id)
			what := fmt.Sprintf("%s GET /clients/%s", g.label, w.labels[c.id])
			if !slices.Contains(wantClients, c.id) {
				ps = append(ps, probe{what, g.token, "/clients/" + c.id, wantStatus(404, casescribe.ENOTFOUND)})
				continue
			}
			want := w.visibleCases(g.id, c.id)
			count := counts[c.id]
			ps = append(ps, probe{what, g.token, "/clients/" + c.id, func(r response) string {
				if msg := expect("", r, 200, ""); msg != "" {
					return msg
				}
				if got := refIDs(r.body["cases"], "id"); !slices.Equal(got, want) || r.body["caseCount"] != count {
					return fmt.Sprintf("cases %s caseCount %v, want %s caseCount %v", w.ls(got), r.body["caseCount"], w.ls(want), count)
				}
				return ""
			}})
		}
		if g == prober {
			for _, id := range w.sample(w.goneClients, 1) {
				ps = append(ps, probe{fmt.Sprintf("%s GET /clients/%s (deleted)", g.label, w.labels[id]), g.token, "/clients/" + id, wantStatus(404, casescribe.ENOTFOUND)})
			}
		}
		agreements = append(agreements, a)
	}
	for _, k := range w.allCases() {
		want := w.sharesOnCase(k)
		ps = append(ps, probe{"admin GET /cases/" + w.labels[k.id] + "/shares", w.admin, "/cases/" + k.id + "/shares", func(r response) string {
			if msg := expect("", r, 200, ""); msg != "" {
				return msg
			}
			people, _ := r.body["people"].([]any)
			if got := refIDs(people, "shareId"); r.body["shareCount"] != float64(len(want)) || !slices.Equal(got, shareIDs(want)) {
				return fmt.Sprintf("shareCount %v people %s, want %d people %s", r.body["shareCount"], w.ls(got), len(want), w.ls(shareIDs(want)))
			}
			for _, s := range want {
				for _, p := range people {
					if pm, _ := p.(map[string]any); pm["shareId"] == s.id {
						if msg := checkShareJSON(pm, s); msg != "" {
							return "share " + w.labels[s.id] + ": " + msg
						}
					}
				}
			}
			return ""
		}})
	}
	rs := w.runProbes(ps)
	for i, p := range ps {
		if msg := p.check(rs[i]); msg != "" {
			return p.what + ": " + msg
		}
	}
	// The lists and the single reads agree (each agrees with the model; this says it plainly).
	for _, a := range agreements {
		var seen []string
		for j, at := range a.caseProbes {
			if rs[at].status == 200 {
				seen = append(seen, a.caseIDs[j])
			}
		}
		slices.Sort(seen)
		if listed := ids(rs[a.casesAt]); !slices.Equal(seen, listed) {
			return fmt.Sprintf("%s: GET /cases lists %s but single reads open %s", a.g.label, w.ls(listed), w.ls(seen))
		}
		seen = nil
		for j, at := range a.cliProbes {
			if rs[at].status == 200 {
				seen = append(seen, a.clientIDs[j])
			}
		}
		slices.Sort(seen)
		if listed := ids(rs[a.clientsAt]); !slices.Equal(seen, listed) {
			return fmt.Sprintf("%s: GET /clients lists %s but single reads open %s", a.g.label, w.ls(listed), w.ls(seen))
		}
	}
	return ""
}

// sweep checks the staff views: every case and client, the badges and guest shares of each
// client, each guest's access in the users directory, and a few removed shares.
func (w *modelWorld) sweep() string {
	var ps []probe
	var allCases, allClients []string
	for _, k := range w.allCases() {
		allCases = append(allCases, k.id)
	}
	for _, c := range w.clients {
		allClients = append(allClients, c.id)
	}
	slices.Sort(allCases)
	slices.Sort(allClients)
	ps = append(ps, probe{"admin GET /cases", w.admin, "/cases?limit=100", func(r response) string {
		if got := ids(r); r.status != 200 || !slices.Equal(got, allCases) {
			return fmt.Sprintf("%d cases %s, want %s", r.status, w.ls(got), w.ls(allCases))
		}
		return ""
	}})
	ps = append(ps, probe{"member GET /clients", w.member, "/clients?limit=100", func(r response) string {
		if got := ids(r); r.status != 200 || !slices.Equal(got, allClients) {
			return fmt.Sprintf("%d clients %s, want %s", r.status, w.ls(got), w.ls(allClients))
		}
		return ""
	}})
	for _, c := range w.clients {
		cases := sortedStrings(c.cases)
		badges := map[string]float64{}
		for _, id := range c.cases {
			badges[id] = float64(len(w.sharesOnCase(w.cases[id])))
		}
		var shares []*mShare
		guests := map[string]bool{}
		for _, s := range w.shares {
			if s.client == c.id {
				shares = append(shares, s)
				guests[s.guest] = true
			}
		}
		ps = append(ps, probe{"admin GET /clients/" + w.labels[c.id], w.admin, "/clients/" + c.id, func(r response) string {
			if msg := expect("", r, 200, ""); msg != "" {
				return msg
			}
			if got := refIDs(r.body["cases"], "id"); !slices.Equal(got, cases) || r.body["caseCount"] != float64(len(cases)) {
				return fmt.Sprintf("cases %s caseCount %v, want %s", w.ls(got), r.body["caseCount"], w.ls(cases))
			}
			xs, _ := r.body["cases"].([]any)
			for _, x := range xs {
				id, _ := anyField(x, "id").(string)
				if anyField(x, "shareCount") != badges[id] {
					return fmt.Sprintf("case %s shareCount badge %v, want %v", w.labels[id], anyField(x, "shareCount"), badges[id])
				}
			}
			if got := refIDs(r.body["guestShares"], "shareId"); !slices.Equal(got, shareIDs(shares)) || r.body["guestCount"] != float64(len(guests)) {
				return fmt.Sprintf("guestShares %s guestCount %v, want %s guestCount %d", w.ls(got), r.body["guestCount"], w.ls(shareIDs(shares)), len(guests))
			}
			return ""
		}})
	}
	for _, g := range w.guests {
		what := "admin GET /users/" + g.label
		if g.state != guestActive {
			ps = append(ps, probe{what + " (not a member)", w.admin, "/users/" + g.id, wantStatus(404, casescribe.ENOTFOUND)})
			continue
		}
		var theirs []*mShare
		for _, s := range w.shares {
			if s.guest == g.id {
				theirs = append(theirs, s)
			}
		}
		ps = append(ps, probe{what, w.member, "/users/" + g.id, func(r response) string {
			if msg := expect("", r, 200, ""); msg != "" {
				return msg
			}
			if got := refIDs(r.body["access"], "shareId"); !slices.Equal(got, shareIDs(theirs)) {
				return fmt.Sprintf("access %s, want %s", w.ls(got), w.ls(shareIDs(theirs)))
			}
			return ""
		}})
	}
	for _, id := range w.sample(w.goneShares, 2) {
		ps = append(ps, probe{"admin GET /shares/" + w.labels[id] + " (removed)", w.admin, "/shares/" + id, wantStatus(404, casescribe.ENOTFOUND)})
	}
	rs := w.runProbes(ps)
	for i, p := range ps {
		if msg := p.check(rs[i]); msg != "" {
			return p.what + ": " + msg
		}
	}
	return ""
}

// envSeed is the random seed the environment variable name sets, else one from the clock.
func envSeed(t *testing.T, name string) int64 {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return time.Now().UnixNano()
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q is not an integer", name, s)
	}
	return n
}

// envCount is the positive count the environment variable name sets, else def.
func envCount(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q is not a positive integer", name, s)
	}
	return n
}
