package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/auth"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/invitation"
	"github.com/casescribe/sharing/pkg/sesmail"
	"github.com/casescribe/sharing/pkg/store"
	"github.com/oklog/ulid/v2"
)

// The knobs of TestConcurrentAccessChanges.
const (
	envRaceSeed   = "CASESCRIBE_RACE_SEED"
	envRaceRounds = "CASESCRIBE_RACE_ROUNDS"
	// defaultRaceRounds keeps the test near half a minute on a two-core machine.
	defaultRaceRounds = 80
	raceMinOps        = 4
	raceMaxOps        = 6
)

// Operation kinds of a race.
const (
	raceAdd          = "add share"
	raceChange       = "change share"
	raceRemove       = "remove share"
	raceRemoveMember = "remove member"
	raceRole         = "change role"
	raceDeleteCase   = "delete case"
	raceAccept       = "accept invitation"
)

// TestConcurrentAccessChanges races the operations that grant and take away access against
// each other, through the real handlers on DynamoDB Local, and checks that what they leave
// could have been left by running them one after the other.
//
// Each round builds a fresh organization directly in the store (two admins, a member, three
// active guests, a guest whose membership is still "invited", two people with a pending
// invitation, two clients of two cases, each case with a saved view and a chat, and random
// shares, some of them changed once already), picks raceMinOps to raceMaxOps random
// operations (add a share, apply a previewed change of a share, remove a share, remove a
// member, change a role, delete a case, accept an invitation), lets them go at once from a
// barrier, and records each answer. It then reads every item of the organization from the
// table and checks the invariants: no share of a gone case or client, none held by anyone but
// an active guest, grants exactly as the shares say, every counter equal to what it counts,
// at least one active admin. Finally it looks for a serial order of the operations that the
// reference model (raceState.apply) runs to the same answers (by class: 2xx or 4xx) and the
// same final state. An operation answered 409 where the model succeeds counts as aborted (it
// must then have changed nothing) only if another operation that succeeded touched the same
// share, guest, case, client or admin count: an optimistic check lost to a real concurrent
// write, which the client retries.
//
// CASESCRIBE_RACE_SEED replays a run (the seed is logged first and in every failure; the
// operations repeat exactly, their timing does not); CASESCRIBE_RACE_ROUNDS sets the rounds.
func TestConcurrentAccessChanges(t *testing.T) {
	seed := envSeed(t, envRaceSeed)
	rounds := envCount(t, envRaceRounds, defaultRaceRounds)
	reproduce := fmt.Sprintf("reproduce with %s=%d %s=%d", envRaceSeed, seed, envRaceRounds, rounds)
	t.Logf("seed %d, %d rounds; %s", seed, rounds, reproduce)

	e := setup(t)
	rig := newRaceRig(t, e, nil)
	start := time.Now()
	stats := raceStats{kinds: map[string]int{}, outcomes: map[string]int{}}
	for round := range rounds {
		w := rig.newRound(t, seed, round)
		if msg := w.run(&stats); msg != "" {
			t.Fatalf("round %d of seed %d: %s\n%s", round, seed, msg, reproduce)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d rounds, %d operations in %s; seed %d\n", rounds, stats.ops, time.Since(start).Round(time.Millisecond), seed)
	fmt.Fprintf(&b, "operations that succeeded %d, failed as the serial order has it %d, aborted by a concurrent write (409) %d;\n",
		stats.committed, stats.refused, stats.aborted)
	fmt.Fprintf(&b, "succeeded on a role their caller lost during the race %d\n", stats.staleRole)
	b.WriteString("operations by kind:\n")
	for _, k := range slices.Sorted(maps.Keys(stats.kinds)) {
		fmt.Fprintf(&b, "  %-18s %5d\n", k, stats.kinds[k])
	}
	b.WriteString("answers by kind:\n")
	for _, k := range slices.Sorted(maps.Keys(stats.outcomes)) {
		fmt.Fprintf(&b, "  %-30s %5d\n", k, stats.outcomes[k])
	}
	t.Log(b.String())
}

type raceStats struct {
	ops, committed, refused, aborted, staleRole int
	kinds, outcomes                             map[string]int
}

// raceRig is what every round shares: the people (logins), a table of its own so that the
// final state can be read item by item, and the handlers on it.
type raceRig struct {
	e      *env
	raw    *dynamodb.Client
	table  string
	st     *store.Store
	h      http.Handler
	people map[string]user // by label
}

// raceLabels are the people of every round: admins a1 (the founder) and a2, member m1, active
// guests g1-g3, w1 a guest whose membership is "invited", p1 and p2 invited by invitation.
var raceLabels = []string{"a1", "a2", "m1", "g1", "g2", "g3", "w1", "p1", "p2"}

// newRaceRig makes the people and serves the API on a fresh table, through wrap (when not
// nil) around the DynamoDB client.
func newRaceRig(t *testing.T, e *env, wrap func(store.DB) store.DB) *raceRig {
	t.Helper()
	raw := e.stack.DynamoDB()
	var db store.DB = raw
	if wrap != nil {
		db = wrap(raw)
	}
	r := &raceRig{e: e, raw: raw, table: localstack.NewTestTable(t), people: map[string]user{}}
	r.st = store.New(db, r.table)
	verifier, err := auth.NewVerifier(t.Context(), auth.VerifierConfig{Issuer: e.stack.CognitoIssuer(e.poolID), ClientID: e.clientID})
	if err != nil {
		t.Fatal(err)
	}
	r.h = api.NewServer(r.st, api.WithMailer(sesmail.New(e.stack.SES(), "no-reply@casescribe.test"), appBaseURL),
		api.WithFiles(e.files), api.WithLogger(slog.New(slog.DiscardHandler))).Local(auth.NewAuthorizer(verifier, r.st), nil)
	for _, l := range raceLabels {
		r.people[l] = e.person(t, "race-"+l)
	}
	return r
}

// send calls the handler in-process.
func (r *raceRig) send(token, org, method, path, body string) response {
	return decodedAnswer(serveInProcess(r.h, token, org, method, path, body))
}

// The reference model.

type raceMember struct {
	role   casescribe.Role
	status casescribe.MembershipStatus
}

type raceShare struct {
	id, guest            string // id is "" for a share made during the round
	scope                casescribe.ShareScope
	client, caseID, view string
	chats                []string
	version              int
}

// raceState is what the operations change: memberships, pending invitations (by invitee),
// cases (by id, to their client) and shares; and who has been staff or admin so far in the run.
type raceState struct {
	members            map[string]raceMember
	invites            map[string]bool
	cases              map[string]string
	shares             []raceShare
	wasStaff, wasAdmin map[string]bool
	// relaxed: a request may run on a role its caller held earlier in the run (authorized).
	relaxed bool
}

func (s raceState) clone() raceState {
	out := raceState{members: maps.Clone(s.members), invites: maps.Clone(s.invites), cases: maps.Clone(s.cases),
		wasStaff: maps.Clone(s.wasStaff), wasAdmin: maps.Clone(s.wasAdmin), relaxed: s.relaxed, shares: make([]raceShare, len(s.shares))}
	for i, sh := range s.shares {
		sh.chats = slices.Clone(sh.chats)
		out.shares[i] = sh
	}
	return out
}

func (s raceState) share(id string) int {
	return slices.IndexFunc(s.shares, func(sh raceShare) bool { return id != "" && sh.id == id })
}

func (s raceState) admins() int {
	n := 0
	for _, m := range s.members {
		if m.role == casescribe.RoleAdmin {
			n++
		}
	}
	return n
}

// holds reports whether guest holds the case: by a share of it or of its client.
func (s raceState) holds(guest, caseID string) bool {
	return slices.ContainsFunc(s.shares, func(sh raceShare) bool {
		return sh.guest == guest && ((sh.scope == casescribe.ScopeCase && sh.caseID == caseID) ||
			(sh.scope == casescribe.ScopeClient && sh.client == s.cases[caseID]))
	})
}

// allowed reports whether actor may act: an active staff member, an admin when admin is set.
func (s raceState) allowed(actor string, admin bool) bool {
	m, ok := s.members[actor]
	if !ok || m.status != casescribe.StatusActive {
		return false
	}
	return m.role == casescribe.RoleAdmin || (!admin && m.role == casescribe.RoleMember)
}

// authorized reports whether actor's request passes the authorizer. The authorizer reads the
// caller's membership once, when the request starts, and the write does not check it again: a
// request in flight while its caller is demoted or removed runs with the role it started with.
// So in a relaxed run a role held at any earlier point of the run counts; the request after
// the change is refused (the design's zero window).
func (s raceState) authorized(actor string, admin bool) bool {
	if admin {
		return s.allowed(actor, true) || s.wasAdmin[actor]
	}
	return s.allowed(actor, false) || s.wasStaff[actor]
}

// remember notes, in a relaxed run, who is staff and who is admin now, for authorized.
func (s *raceState) remember() {
	if !s.relaxed {
		return
	}
	if s.wasStaff == nil {
		s.wasStaff, s.wasAdmin = map[string]bool{}, map[string]bool{}
	}
	for id := range s.members {
		s.wasStaff[id] = s.wasStaff[id] || s.allowed(id, false)
		s.wasAdmin[id] = s.wasAdmin[id] || s.allowed(id, true)
	}
}

// raceOp is one operation of a round, its parameters fixed before the race.
type raceOp struct {
	kind, actor string // actor is a user id
	// add: guest, case, scope, view, chats. change: share, scope, case, view, chats, version.
	guest, share, caseID, view string
	scope                      casescribe.ShareScope
	chats                      []string
	version                    int
	// remove member, change role: target and role. accept: token.
	target, token string
	role          casescribe.Role
	// touches are the shares, guests, cases, clients and admin count the operation reads or
	// writes, for telling a lost optimistic check from a wrong answer.
	touches            map[string]bool
	desc               string
	method, path, body string
	withOrg            bool
	status             int
	answer             string
}

// apply runs op on s as the API would run it alone, and reports whether it succeeds. A failed
// operation leaves s as it was.
func (s *raceState) apply(op *raceOp) bool {
	next := s.clone()
	if !next.run(op) {
		return false
	}
	next.remember()
	*s = next
	return true
}

// accepts reports whether op succeeds on s, leaving s as it is.
func (s raceState) accepts(op *raceOp) bool {
	next := s.clone()
	return next.run(op)
}

func (s *raceState) run(op *raceOp) bool {
	switch op.kind {
	case raceAdd:
		client, ok := s.cases[op.caseID]
		g, member := s.members[op.guest]
		switch {
		case !s.authorized(op.actor, false), !ok, !member, g.role != casescribe.RoleGuest, g.status != casescribe.StatusActive:
			return false
		case op.scope == casescribe.ScopeCase && s.holds(op.guest, op.caseID):
			return false
		case op.scope == casescribe.ScopeClient && slices.ContainsFunc(s.shares, func(sh raceShare) bool {
			return sh.guest == op.guest && sh.client == client
		}):
			return false
		}
		sh := raceShare{guest: op.guest, scope: op.scope, client: client, version: 1}
		if op.scope == casescribe.ScopeCase {
			sh.caseID, sh.view, sh.chats = op.caseID, op.view, slices.Clone(op.chats)
		}
		s.shares = append(s.shares, sh)
		return true

	case raceChange:
		i := s.share(op.share)
		if !s.authorized(op.actor, false) || i < 0 {
			return false
		}
		sh := &s.shares[i]
		target, targetExists := s.cases[op.caseID]
		if op.caseID != "" && !targetExists {
			return false
		}
		switch {
		case sh.scope == casescribe.ScopeClient && op.scope == casescribe.ScopeClient:
			return false
		case sh.scope == casescribe.ScopeClient && target != sh.client: // narrow elsewhere
			return false
		case sh.scope == casescribe.ScopeCase && op.scope == casescribe.ScopeCase && op.caseID == sh.caseID &&
			op.view == sh.view && sameChats(op.chats, sh.chats): // no change
			return false
		case op.version != sh.version:
			return false
		case sh.scope == casescribe.ScopeCase && op.scope == casescribe.ScopeCase && op.caseID != sh.caseID &&
			s.holds(sh.guest, op.caseID): // move onto a case already held
			return false
		}
		id, guest, client := sh.id, sh.guest, sh.client
		sh.version++
		if op.scope == casescribe.ScopeClient { // expand: the guest's other case shares of the client go
			sh.scope, sh.caseID, sh.view, sh.chats = casescribe.ScopeClient, "", "", nil
			s.shares = slices.DeleteFunc(s.shares, func(x raceShare) bool {
				return x.id != id && x.guest == guest && x.client == client && x.scope == casescribe.ScopeCase
			})
			return true
		}
		sh.scope, sh.client, sh.caseID, sh.view, sh.chats = casescribe.ScopeCase, target, op.caseID, op.view, slices.Clone(op.chats)
		return true

	case raceRemove:
		i := s.share(op.share)
		if !s.authorized(op.actor, false) || i < 0 {
			return false
		}
		s.shares = slices.Delete(s.shares, i, i+1)
		return true

	case raceRemoveMember:
		m, ok := s.members[op.target]
		if !s.authorized(op.actor, true) || !ok || (m.role == casescribe.RoleAdmin && s.admins() == 1) {
			return false
		}
		delete(s.members, op.target)
		s.shares = slices.DeleteFunc(s.shares, func(sh raceShare) bool { return sh.guest == op.target })
		return true

	case raceRole:
		m, ok := s.members[op.target]
		switch {
		case !s.authorized(op.actor, true), !ok:
			return false
		case m.role == op.role:
			return true
		case m.role == casescribe.RoleAdmin && s.admins() == 1:
			return false
		case slices.ContainsFunc(s.shares, func(sh raceShare) bool { return sh.guest == op.target }):
			// Only guests hold shares: a guest who still holds some stays a guest.
			return false
		}
		m.role = op.role
		s.members[op.target] = m
		return true

	case raceDeleteCase:
		if _, ok := s.cases[op.caseID]; !s.authorized(op.actor, false) || !ok {
			return false
		}
		delete(s.cases, op.caseID)
		s.shares = slices.DeleteFunc(s.shares, func(sh raceShare) bool {
			return sh.scope == casescribe.ScopeCase && sh.caseID == op.caseID
		})
		return true

	case raceAccept:
		if _, member := s.members[op.actor]; !s.invites[op.actor] || member {
			return false
		}
		delete(s.invites, op.actor)
		s.members[op.actor] = raceMember{role: casescribe.RoleGuest, status: casescribe.StatusActive}
		return true
	}
	panic("unknown operation " + op.kind)
}

// shareTarget is what a share opens: its case, or its client.
func shareTarget(sh raceShare) string {
	if sh.caseID != "" {
		return sh.caseID
	}
	return sh.client
}

func sameChats(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// A round.

type raceWorld struct {
	rig       *raceRig
	seed      int64
	round     int
	rng       *rand.Rand
	org       string
	labels    map[string]string // id -> label
	ids       map[string]string // person label -> user id
	clients   []string
	views     map[string]string // case -> its saved view
	chats     map[string]string // case -> its chat
	initial   raceState
	initialID map[string]bool // ids of the shares made before the race
	ops       []*raceOp
}

func (r *raceRig) newRound(t *testing.T, seed int64, round int) *raceWorld {
	t.Helper()
	ctx := context.Background()
	w := &raceWorld{rig: r, seed: seed, round: round, rng: rand.New(rand.NewPCG(uint64(seed), uint64(round))),
		org: ulid.Make().String(), labels: map[string]string{}, ids: map[string]string{},
		views: map[string]string{}, chats: map[string]string{}, initialID: map[string]bool{},
		initial: raceState{members: map[string]raceMember{}, invites: map[string]bool{}, cases: map[string]string{}}}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("round %d (seed %d): %s: %v", round, seed, what, err)
		}
	}
	now := time.Now().UTC()
	for _, l := range raceLabels {
		w.ids[l], w.labels[r.people[l].id] = r.people[l].id, l
	}
	a1 := r.people["a1"]
	org := casescribe.Organization{ID: w.org, Name: fmt.Sprintf("Race %d", round), CreatedAt: now, CreatedBy: a1.id}
	must("create the organization", r.st.CreateOrganization(ctx, org, casescribe.User{ID: a1.id, Email: a1.email, Name: "a1"}))
	w.initial.members[a1.id] = raceMember{casescribe.RoleAdmin, casescribe.StatusActive}
	for _, p := range []struct {
		label  string
		role   casescribe.Role
		status casescribe.MembershipStatus
	}{
		{"a2", casescribe.RoleAdmin, casescribe.StatusActive}, {"m1", casescribe.RoleMember, casescribe.StatusActive},
		{"g1", casescribe.RoleGuest, casescribe.StatusActive}, {"g2", casescribe.RoleGuest, casescribe.StatusActive},
		{"g3", casescribe.RoleGuest, casescribe.StatusActive}, {"w1", casescribe.RoleGuest, casescribe.StatusInvited},
	} {
		u := r.people[p.label]
		must("add "+p.label, r.st.PutMembership(ctx, casescribe.Membership{OrgID: w.org, OrgName: org.Name, UserID: u.id,
			Email: u.email, Name: p.label, Role: p.role, Status: p.status, CreatedAt: now}))
		w.initial.members[u.id] = raceMember{p.role, p.status}
	}
	for _, l := range []string{"p1", "p2"} {
		u, id := r.people[l], ulid.Make().String()
		token, hash, err := invitation.NewToken(w.org, id)
		must("invitation token", err)
		must("invite "+l, r.st.CreateInvitation(ctx, casescribe.Invitation{OrgID: w.org, OrgName: org.Name, ID: id,
			Email: u.email, Name: l, Role: casescribe.RoleGuest, InvitedBy: a1.id, InviterName: "a1", TokenHash: hash,
			Issue: 1, IssuedAt: now, ExpiresAt: now.Add(invitation.Validity), MailStatus: casescribe.MailSent, CreatedAt: now}, ""))
		w.initial.invites[u.id] = true
		w.ids["token-"+l] = token
	}
	cases := map[string][]casescribe.Case{}
	for ci := range 2 {
		c := casescribe.Client{OrgID: w.org, ID: ulid.Make().String(), Name: fmt.Sprintf("Client %d", ci+1), CreatedAt: now, UpdatedAt: now}
		must("create a client", r.st.CreateClient(ctx, c))
		w.clients = append(w.clients, c.ID)
		w.labels[c.ID] = fmt.Sprintf("C%d", ci+1)
		for ki := range 2 {
			k := casescribe.Case{OrgID: w.org, ID: ulid.Make().String(), ClientID: c.ID, Name: fmt.Sprintf("Case %d", 2*ci+ki+1), CreatedAt: now, UpdatedAt: now}
			must("create a case", r.st.CreateCase(ctx, k))
			v := casescribe.SavedView{OrgID: w.org, CaseID: k.ID, ClientID: c.ID, ID: ulid.Make().String(), Name: "Key facts",
				Filter: casescribe.FactFilter{KeyOnly: true}, CreatedAt: now, UpdatedAt: now}
			must("create a view", r.st.CreateView(ctx, v))
			ch := casescribe.Chat{OrgID: w.org, CaseID: k.ID, ClientID: c.ID, ID: ulid.Make().String(), Title: "Chat",
				CreatedBy: a1.id, CreatedByName: "a1", CreatedAt: now}
			must("create a chat", r.st.CreateChat(ctx, ch))
			cases[c.ID] = append(cases[c.ID], k)
			w.initial.cases[k.ID] = c.ID
			w.views[k.ID], w.chats[k.ID] = v.ID, ch.ID
			n := strconv.Itoa(2*ci + ki + 1)
			w.labels[k.ID], w.labels[v.ID], w.labels[ch.ID] = "K"+n, "V"+n, "CH"+n
		}
	}

	// Shares: per guest and client none, the client, one case or both cases; some case shares
	// are changed once (a view set or cleared), so that versions differ.
	serial := 0
	for _, gl := range []string{"g1", "g2", "g3"} {
		g := r.people[gl]
		for _, c := range w.clients {
			var made []casescribe.Share
			share := func(scope casescribe.ShareScope, k *casescribe.Case) {
				serial++
				sh := casescribe.Share{OrgID: w.org, ID: ulid.Make().String(), GuestID: g.id, GuestName: gl, GuestEmail: g.email,
					Scope: scope, ClientID: c, Version: 1, CreatedBy: a1.id, CreatedAt: now, UpdatedAt: now}
				if k != nil {
					sh.CaseID, sh.ViewID, sh.ChatIDs = k.ID, w.randomView(k.ID), w.randomChats(k.ID)
				}
				must("share", r.st.CreateShare(ctx, sh))
				made = append(made, sh)
				w.labels[sh.ID] = "S" + strconv.Itoa(serial)
			}
			switch w.rng.IntN(5) {
			case 2:
				share(casescribe.ScopeClient, nil)
			case 3:
				share(casescribe.ScopeCase, &cases[c][w.rng.IntN(2)])
			case 4:
				share(casescribe.ScopeCase, &cases[c][0])
				share(casescribe.ScopeCase, &cases[c][1])
			}
			for i, sh := range made {
				if sh.Scope == casescribe.ScopeCase && w.rng.IntN(3) == 0 {
					view := w.views[sh.CaseID]
					if sh.ViewID != "" {
						view = ""
					}
					k := cases[c][slices.IndexFunc(cases[c], func(k casescribe.Case) bool { return k.ID == sh.CaseID })]
					var theirs []casescribe.Share
					for _, x := range made {
						if x.Scope == casescribe.ScopeCase {
							theirs = append(theirs, x)
						}
					}
					plan, err := access.PlanShareChange(access.PlanInput{Share: sh, GuestName: gl, ClientName: "client",
						ClientCases: cases[c], GuestCaseShares: theirs, Target: &k},
						access.ShareChange{Scope: casescribe.ScopeCase, CaseID: sh.CaseID, ViewID: view, ChatIDs: sh.ChatIDs})
					must("plan a change", err)
					plan.Result.UpdatedAt = now
					must("change a share", r.st.ApplyShareChange(ctx, sh, plan))
					made[i] = plan.Result
				}
			}
			for _, sh := range made {
				w.initial.shares = append(w.initial.shares, raceShare{id: sh.ID, guest: sh.GuestID, scope: sh.Scope,
					client: sh.ClientID, caseID: sh.CaseID, view: sh.ViewID, chats: sh.ChatIDs, version: sh.Version})
				w.initialID[sh.ID] = true
			}
		}
	}
	n := raceMinOps + w.rng.IntN(raceMaxOps-raceMinOps+1)
	for range n {
		w.ops = append(w.ops, w.newOp(t))
	}
	return w
}

func (w *raceWorld) randomView(caseID string) string {
	if w.rng.IntN(3) == 0 {
		return w.views[caseID]
	}
	return ""
}

func (w *raceWorld) randomChats(caseID string) []string {
	if w.rng.IntN(3) == 0 {
		return []string{w.chats[caseID]}
	}
	return nil
}

func (w *raceWorld) pickOf(labels ...string) string { return w.ids[labels[w.rng.IntN(len(labels))]] }

// staff picks who does a staff operation: mostly staff, sometimes a guest (refused).
func (w *raceWorld) staff() string {
	if w.rng.IntN(10) == 0 {
		return w.pickOf("g1", "m1")
	}
	return w.pickOf("a1", "a2", "m1")
}

// admin picks who does an admin operation: mostly an admin, sometimes the member (refused).
func (w *raceWorld) admin() string {
	if w.rng.IntN(10) == 0 {
		return w.ids["m1"]
	}
	return w.pickOf("a1", "a2")
}

func (w *raceWorld) randomCase() string {
	ks := slices.Sorted(maps.Keys(w.initial.cases))
	return ks[w.rng.IntN(len(ks))]
}

func (w *raceWorld) l(id string) string {
	if l, ok := w.labels[id]; ok {
		return l
	}
	if id == "" {
		return "-"
	}
	return id
}

func (w *raceWorld) ls(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = w.l(id)
	}
	slices.Sort(out)
	return "[" + strings.Join(out, " ") + "]"
}

// newOp picks a random operation on the round's starting state.
func (w *raceWorld) newOp(t *testing.T) *raceOp {
	t.Helper()
	kinds := []weighted{{raceAdd, 6}, {raceRemoveMember, 4}, {raceRole, 4}, {raceDeleteCase, 3}, {raceAccept, 3}}
	if len(w.initial.shares) > 0 {
		kinds = append(kinds, weighted{raceChange, 7}, weighted{raceRemove, 4})
	}
	sum := 0
	for _, k := range kinds {
		sum += k.weight
	}
	pick := w.rng.IntN(sum)
	kind := ""
	for _, k := range kinds {
		if pick < k.weight {
			kind = k.name
			break
		}
		pick -= k.weight
	}
	op := &raceOp{kind: kind, touches: map[string]bool{}, withOrg: true}
	touchShare := func(sh raceShare) {
		op.touches["share "+sh.id], op.touches["guest "+sh.guest], op.touches["client "+sh.client] = true, true, true
		if sh.caseID != "" {
			op.touches["case "+sh.caseID] = true
		}
	}
	touchCase := func(k string) {
		op.touches["case "+k], op.touches["client "+w.initial.cases[k]] = true, true
	}
	switch kind {
	case raceAdd:
		// Mostly a share that would be made at the start, so that adds meet the others.
		for try := 0; try == 0 || (try < 8 && w.rng.IntN(4) != 0 && !w.initial.accepts(op)); try++ {
			op.actor, op.guest, op.caseID = w.staff(), w.pickOf("g1", "g2", "g3", "g1", "g2", "g3", "p1", "p2", "w1"), w.randomCase()
			op.scope, op.view, op.chats = casescribe.ScopeCase, "", nil
			if w.rng.IntN(5) < 2 {
				op.scope = casescribe.ScopeClient
			} else {
				op.view, op.chats = w.randomView(op.caseID), w.randomChats(op.caseID)
			}
		}
		op.touches["guest "+op.guest] = true
		touchCase(op.caseID)
		op.method, op.path = "POST", "/cases/"+op.caseID+"/shares"
		op.body = jsonBody(newShareBody{GuestID: op.guest, Scope: string(op.scope), ViewID: op.view, ChatIDs: op.chats})
		op.desc = fmt.Sprintf("%s shares %s with %s, %s scope, view %s, chats %s", w.l(op.actor), w.l(op.caseID), w.l(op.guest), op.scope, w.l(op.view), w.ls(op.chats))

	case raceChange:
		sh := w.initial.shares[w.rng.IntN(len(w.initial.shares))]
		op.actor, op.share, op.version = w.staff(), sh.id, sh.version
		touchShare(sh)
		var siblings, others []string
		for _, k := range slices.Sorted(maps.Keys(w.initial.cases)) {
			if w.initial.cases[k] == sh.client && k != sh.caseID {
				siblings = append(siblings, k)
			} else if w.initial.cases[k] != sh.client {
				others = append(others, k)
			}
		}
		how := "narrow"
		if sh.scope == casescribe.ScopeCase {
			how = []string{"expand", "move within", "move across", "configure"}[w.rng.IntN(4)]
		}
		op.scope = casescribe.ScopeCase
		switch how {
		case "narrow":
			op.caseID = siblings[w.rng.IntN(len(siblings))]
		case "expand":
			op.scope = casescribe.ScopeClient
		case "move within":
			op.caseID = siblings[w.rng.IntN(len(siblings))]
		case "move across":
			op.caseID = others[w.rng.IntN(len(others))]
		case "configure":
			op.caseID, op.view, op.chats = sh.caseID, sh.view, sh.chats
			if w.rng.IntN(2) == 0 {
				op.view = w.views[sh.caseID]
				if sh.view != "" {
					op.view = ""
				}
			} else if len(sh.chats) > 0 {
				op.chats = nil
			} else {
				op.chats = []string{w.chats[sh.caseID]}
			}
		}
		if op.scope == casescribe.ScopeCase && how != "configure" {
			op.view, op.chats = w.randomView(op.caseID), w.randomChats(op.caseID)
		}
		if op.caseID != "" {
			touchCase(op.caseID)
		}
		if w.rng.IntN(8) == 0 {
			op.version += []int{-1, 1}[w.rng.IntN(2)] // a preview older or newer than the share
		}
		body := changeBody{Scope: string(op.scope), CaseID: op.caseID, ViewID: op.view, ChatIDs: op.chats}
		preview := w.rig.send(w.rig.people["a1"].token, w.org, "POST", "/shares/"+op.share+"/preview", jsonBody(body))
		if preview.status != 200 || preview.body["version"] != float64(sh.version) {
			t.Fatalf("round %d (seed %d): preview of %s %s: got %d %s, want 200 at version %d", w.round, w.seed, how, w.l(op.share), preview.status, preview.raw, sh.version)
		}
		body.Version = &op.version
		op.method, op.path, op.body = "PATCH", "/shares/"+op.share, jsonBody(body)
		op.desc = fmt.Sprintf("%s applies %s to %s (%s's, %s scope, %s, v%d): %s scope, case %s, view %s, chats %s, at version %d",
			w.l(op.actor), how, w.l(sh.id), w.l(sh.guest), sh.scope, w.l(shareTarget(sh)), sh.version, op.scope, w.l(op.caseID), w.l(op.view), w.ls(op.chats), op.version)

	case raceRemove:
		sh := w.initial.shares[w.rng.IntN(len(w.initial.shares))]
		op.actor, op.share = w.staff(), sh.id
		touchShare(sh)
		op.method, op.path = "DELETE", "/shares/"+op.share
		op.desc = fmt.Sprintf("%s removes %s (%s, %s of %s)", w.l(op.actor), w.l(sh.id), w.l(sh.guest), sh.scope, w.l(shareTarget(sh)))

	case raceRemoveMember:
		op.actor, op.target = w.admin(), w.pickOf("a1", "a2", "m1", "g1", "g2", "g3")
		op.touches["guest "+op.target] = true
		if w.initial.members[op.target].role == casescribe.RoleAdmin {
			op.touches["admins"] = true
		}
		for _, sh := range w.initial.shares {
			if sh.guest == op.target {
				touchShare(sh)
			}
		}
		op.method, op.path = "DELETE", "/users/"+op.target
		op.desc = fmt.Sprintf("%s removes %s from the organization", w.l(op.actor), w.l(op.target))

	case raceRole:
		op.actor, op.target = w.admin(), w.pickOf("a1", "a2", "m1", "g1", "g2", "g3")
		from := w.initial.members[op.target].role
		roles := slices.DeleteFunc([]casescribe.Role{casescribe.RoleAdmin, casescribe.RoleMember, casescribe.RoleGuest},
			func(r casescribe.Role) bool { return r == from && w.rng.IntN(6) != 0 })
		op.role = roles[w.rng.IntN(len(roles))]
		op.touches["guest "+op.target] = true
		if from == casescribe.RoleAdmin || op.role == casescribe.RoleAdmin {
			op.touches["admins"] = true
		}
		op.method, op.path, op.body = "PATCH", "/users/"+op.target, `{"role":"`+string(op.role)+`"}`
		op.desc = fmt.Sprintf("%s makes %s (%s) %s", w.l(op.actor), w.l(op.target), from, op.role)

	case raceDeleteCase:
		op.actor, op.caseID = w.staff(), w.randomCase()
		touchCase(op.caseID)
		for _, sh := range w.initial.shares {
			if sh.caseID == op.caseID {
				touchShare(sh)
			}
		}
		op.method, op.path = "DELETE", "/cases/"+op.caseID
		op.desc = fmt.Sprintf("%s deletes %s", w.l(op.actor), w.l(op.caseID))

	case raceAccept:
		who := []string{"p1", "p2"}[w.rng.IntN(2)]
		op.actor, op.token, op.withOrg = w.ids[who], w.ids["token-"+who], false
		op.touches["guest "+op.actor] = true
		op.method, op.path, op.body = "POST", "/invitations/accept", jsonBody(map[string]string{"token": op.token})
		op.desc = fmt.Sprintf("%s accepts the invitation", who)
	}
	return op
}

// run races the round's operations, then checks the invariants and looks for a serial order;
// it returns what disagreed, "" if nothing.
func (w *raceWorld) run(stats *raceStats) string {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, op := range w.ops {
		token := w.rig.people[w.labels[op.actor]].token
		org := ""
		if op.withOrg {
			org = w.org
		}
		wg.Go(func() {
			<-start
			r := w.rig.send(token, org, op.method, op.path, op.body)
			op.status, op.answer = r.status, strings.TrimSpace(r.raw)
		})
	}
	close(start)
	wg.Wait()

	for _, op := range w.ops {
		if op.status < 200 || (op.status >= 300 && op.status < 400) || op.status >= 500 {
			return fmt.Sprintf("%s answered %d %s\n%s", op.desc, op.status, op.answer, w.describe())
		}
	}
	final, problems := w.readFinal()
	if len(problems) > 0 {
		return "invariants broken:\n  " + strings.Join(problems, "\n  ") + "\n" + w.describe()
	}
	got := w.canonical(final)
	order, aborted, relaxed, closest := w.serialOrder(got)
	if order == nil {
		msg := "no serial order of the operations gives their answers and the final state\n" + w.describe()
		msg += "final state:\n  " + strings.Join(got, "\n  ") + "\n"
		if closest != nil {
			msg += fmt.Sprintf("closest serial order %v (answers agree) leaves:\n  %s\n", closest.order, strings.Join(closest.state, "\n  "))
		}
		return msg
	}
	stats.ops += len(w.ops)
	if relaxed {
		s := w.initial.clone()
		s.relaxed = true
		s.remember()
		for _, i := range order {
			op := w.ops[i]
			admin := op.kind == raceRemoveMember || op.kind == raceRole
			if op.status < 300 && op.kind != raceAccept && !s.allowed(op.actor, admin) {
				stats.staleRole++
			}
			if op.status < 300 {
				s.apply(op)
			}
		}
	}
	for i, op := range w.ops {
		stats.kinds[op.kind]++
		stats.outcomes[fmt.Sprintf("%s %d", op.kind, op.status)]++
		switch {
		case aborted[i]:
			stats.aborted++
		case op.status < 300:
			stats.committed++
		default:
			stats.refused++
		}
	}
	return ""
}

// describe lists the round's operations and their answers.
func (w *raceWorld) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "organization %s; starting shares:\n", w.org)
	for _, sh := range w.initial.shares {
		fmt.Fprintf(&b, "  %s\n", w.shareLine(sh))
	}
	b.WriteString("operations, raced:\n")
	for i, op := range w.ops {
		fmt.Fprintf(&b, "  #%d %s [%s %s]: %d %s\n", i, op.desc, op.method, op.path, op.status, op.answer)
	}
	return b.String()
}

func (w *raceWorld) shareLine(sh raceShare) string {
	id := "new"
	if w.initialID[sh.id] {
		id = w.l(sh.id)
	}
	return fmt.Sprintf("share %s of %s: %s %s case %s view %s chats %s v%d", id, w.l(sh.guest), sh.scope, w.l(sh.client),
		w.l(sh.caseID), w.l(sh.view), w.ls(sh.chats), sh.version)
}

// canonical writes a state as sorted lines, the same for the model and the table.
func (w *raceWorld) canonical(s raceState) []string {
	var out []string
	for id, m := range s.members {
		out = append(out, fmt.Sprintf("member %s %s %s", w.l(id), m.role, m.status))
	}
	for id := range s.invites {
		out = append(out, "invitation for "+w.l(id))
	}
	for k, c := range s.cases {
		out = append(out, fmt.Sprintf("case %s of %s", w.l(k), w.l(c)))
	}
	for _, sh := range s.shares {
		out = append(out, w.shareLine(sh))
	}
	slices.Sort(out)
	return out
}

type raceCandidate struct {
	order []int
	state []string
}

// serialOrder looks for an order of the operations whose serial run by the model gives their
// answers and the final state got. It returns the order, which operations it counts as
// aborted and whether a request had to run on a role its caller had lost; or nil and the
// first order whose answers agreed (for the failure message).
func (w *raceWorld) serialOrder(got []string) (order []int, aborted map[int]bool, relaxed bool, closest *raceCandidate) {
	committed := func(j int) bool { return w.ops[j].status < 300 }
	abortable := func(i int) bool {
		if w.ops[i].status != http.StatusConflict {
			return false
		}
		for j, other := range w.ops {
			if j != i && committed(j) {
				for k := range w.ops[i].touches {
					if other.touches[k] {
						return true
					}
				}
			}
		}
		return false
	}
	used := make([]bool, len(w.ops))
	var path []int
	var found []int
	var foundAborted map[int]bool
	var search func(s raceState, ab map[int]bool) bool
	search = func(s raceState, ab map[int]bool) bool {
		if len(path) == len(w.ops) {
			state := w.canonical(s)
			if slices.Equal(state, got) {
				found, foundAborted = slices.Clone(path), maps.Clone(ab)
				return true
			}
			if closest == nil {
				closest = &raceCandidate{order: slices.Clone(path), state: state}
			}
			return false
		}
		for i, op := range w.ops {
			if used[i] {
				continue
			}
			next := s.clone()
			ok := next.apply(op)
			switch {
			case committed(i) && !ok:
				continue
			case !committed(i) && ok && !abortable(i):
				continue
			case !committed(i):
				next = s // refused, or aborted: no effect
				if ok {
					ab[i] = true
				}
			}
			used[i] = true
			path = append(path, i)
			done := search(next, ab)
			path = path[:len(path)-1]
			used[i] = false
			delete(ab, i)
			if done {
				return true
			}
		}
		return false
	}
	// First with the role each request's caller has at its place in the order; only if no
	// order fits, with any role the caller held earlier in it (see authorized).
	for _, relaxed := range []bool{false, true} {
		start := w.initial.clone()
		start.relaxed = relaxed
		start.remember()
		if search(start, map[int]bool{}) {
			return found, foundAborted, relaxed, nil
		}
	}
	return nil, nil, false, closest
}

// Reading the table.

// readFinal reads every item of the organization, and of its cases' partitions, checks the
// invariants and returns the state as the model writes it.
func (w *raceWorld) readFinal() (raceState, []string) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	items, err := w.rig.query("ORG#" + w.org)
	if err != nil {
		return raceState{}, []string{err.Error()}
	}
	type grantEntry struct {
		share, view string
		chats       []string
	}
	type grant struct {
		clientShare string
		caseCount   int
		cases       map[string]grantEntry
	}
	var (
		adminCount = -1
		members    = map[string]map[string]any{}
		clients    = map[string]map[string]any{}
		cases      = map[string]map[string]any{}
		shares     = map[string]map[string]any{}
		invites    = map[string]string{} // invitation id -> email
		emails     = map[string]map[string]any{}
		grants     = map[[2]string]grant{}
	)
	for _, it := range items {
		switch str(it, "type") {
		case "organization":
			adminCount = num(it, "adminCount")
		case "membership":
			members[str(it, "userId")] = it
		case "client":
			clients[str(it, "id")] = it
		case "case":
			cases[str(it, "id")] = it
		case "share":
			shares[str(it, "id")] = it
		case "invitation":
			invites[str(it, "id")] = strings.ToLower(str(it, "email"))
		case "email":
			emails[strings.ToLower(str(it, "email"))] = it
		case "grant":
			g := grant{clientShare: str(it, "clientShare"), caseCount: num(it, "caseCount"), cases: map[string]grantEntry{}}
			for name, v := range it {
				if k, ok := strings.CutPrefix(name, "case_"); ok {
					m, _ := v.(map[string]any)
					g.cases[k] = grantEntry{share: str(m, "shareId"), view: str(m, "viewId"), chats: strList(m, "chatIds")}
				}
			}
			grants[[2]string{str(it, "guestId"), str(it, "clientId")}] = g
		}
	}
	views, chats := map[string]map[string]any{}, map[string]string{} // view -> item; chat -> case
	for k := range cases {
		content, err := w.rig.query("ORG#" + w.org + "#CASE#" + k)
		if err != nil {
			return raceState{}, []string{err.Error()}
		}
		for _, it := range content {
			switch str(it, "type") {
			case "view":
				views[str(it, "id")] = it
			case "chat":
				chats[str(it, "id")] = k
			}
		}
	}

	out := raceState{members: map[string]raceMember{}, invites: map[string]bool{}, cases: map[string]string{}}
	admins, activeAdmins := 0, 0
	for id, m := range members {
		role, status := casescribe.Role(str(m, "role")), casescribe.MembershipStatus(str(m, "status"))
		out.members[id] = raceMember{role, status}
		if role == casescribe.RoleAdmin {
			admins++
			if status == casescribe.StatusActive {
				activeAdmins++
			}
		}
		if e := emails[strings.ToLower(str(m, "email"))]; str(e, "userId") != id {
			bad("member %s: its email is reserved for %v", w.l(id), e)
		}
	}
	if activeAdmins == 0 {
		bad("the organization has no active admin")
	}
	if adminCount != admins {
		bad("the organization counts %d admins, %d memberships are admins", adminCount, admins)
	}
	byEmail := map[string]string{}
	for _, l := range raceLabels {
		byEmail[strings.ToLower(w.rig.people[l].email)] = w.ids[l]
	}
	for id, email := range invites {
		out.invites[byEmail[email]] = true
		if e := emails[email]; str(e, "invitationId") != id {
			bad("invitation for %s: its email is reserved for %v", w.l(byEmail[email]), e)
		}
	}
	for id, k := range cases {
		c := str(k, "clientId")
		out.cases[id] = c
		if clients[c] == nil {
			bad("case %s: its client %s is gone", w.l(id), w.l(c))
		}
	}

	perGuest, perCase, perClient, perView := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	wantGrants := map[[2]string]grant{}
	for id, it := range shares {
		sh := raceShare{id: id, guest: str(it, "guestId"), scope: casescribe.ShareScope(str(it, "scope")), client: str(it, "clientId"),
			caseID: str(it, "caseId"), view: str(it, "viewId"), chats: strList(it, "chatIds"), version: num(it, "version")}
		out.shares = append(out.shares, sh)
		line := w.shareLine(sh)
		if clients[sh.client] == nil {
			bad("%s: orphan, its client is gone", line)
		}
		m := members[sh.guest]
		switch {
		case m == nil:
			bad("%s: held by someone who is not a member", line)
		case str(m, "role") != string(casescribe.RoleGuest):
			bad("%s: held by a %s", line, str(m, "role"))
		case str(m, "status") != string(casescribe.StatusActive):
			bad("%s: held by a guest whose membership is %s", line, str(m, "status"))
		}
		perGuest[sh.guest]++
		key := [2]string{sh.guest, sh.client}
		g, seen := wantGrants[key]
		if !seen {
			g.cases = map[string]grantEntry{}
		}
		switch sh.scope {
		case casescribe.ScopeClient:
			perClient[sh.client]++
			if g.clientShare != "" {
				bad("%s: the guest has two client shares of the client", line)
			}
			g.clientShare = id
			if sh.caseID != "" || sh.view != "" || len(sh.chats) > 0 {
				bad("%s: a client share with a case, view or chats", line)
			}
		case casescribe.ScopeCase:
			perCase[sh.caseID]++
			if k := cases[sh.caseID]; k == nil || str(k, "clientId") != sh.client {
				bad("%s: orphan, its case is gone or belongs to another client", line)
			}
			if _, dup := g.cases[sh.caseID]; dup {
				bad("%s: the guest has two shares of the case", line)
			}
			g.cases[sh.caseID] = grantEntry{share: id, view: sh.view, chats: sh.chats}
			if sh.view != "" {
				perView[sh.view]++
				if v := views[sh.view]; v == nil || str(v, "caseId") != sh.caseID {
					bad("%s: its view is not a saved view of its case", line)
				}
			}
			for _, ch := range sh.chats {
				if chats[ch] != sh.caseID {
					bad("%s: chat %s is not a chat of its case", line, w.l(ch))
				}
			}
		default:
			bad("%s: unknown scope", line)
		}
		g.caseCount = len(g.cases)
		wantGrants[key] = g
	}
	for key := range wantGrants {
		if g := wantGrants[key]; g.clientShare != "" && len(g.cases) > 0 {
			bad("guest %s holds client %s both whole and case by case", w.l(key[0]), w.l(key[1]))
		}
	}
	keys := map[[2]string]bool{}
	for k := range grants {
		keys[k] = true
	}
	for k := range wantGrants {
		keys[k] = true
	}
	for key := range keys {
		got, want := grants[key], wantGrants[key]
		if got.clientShare != want.clientShare || got.caseCount != want.caseCount || len(got.cases) != len(want.cases) {
			bad("grant of %s in %s: client share %s, %d cases counted, entries %d; the shares say %s, %d",
				w.l(key[0]), w.l(key[1]), w.l(got.clientShare), got.caseCount, len(got.cases), w.l(want.clientShare), len(want.cases))
			continue
		}
		for k, e := range want.cases {
			if g := got.cases[k]; g.share != e.share || g.view != e.view || !sameChats(g.chats, e.chats) {
				bad("grant of %s in %s, case %s: %v; the share says %v", w.l(key[0]), w.l(key[1]), w.l(k), g, e)
			}
		}
	}
	for id, m := range members {
		if n := num(m, "shareCount"); n != perGuest[id] {
			bad("member %s counts %d shares, holds %d", w.l(id), n, perGuest[id])
		}
	}
	for id, k := range cases {
		if n := num(k, "shareCount"); n != perCase[id] {
			bad("case %s counts %d shares, has %d", w.l(id), n, perCase[id])
		}
	}
	for id, c := range clients {
		nCases := 0
		for _, k := range cases {
			if str(k, "clientId") == id {
				nCases++
			}
		}
		if num(c, "caseCount") != nCases || num(c, "shareCount") != perClient[id] {
			bad("client %s counts %d cases and %d shares, has %d and %d", w.l(id), num(c, "caseCount"), num(c, "shareCount"), nCases, perClient[id])
		}
	}
	for id, v := range views {
		if n := num(v, "shareCount"); n != perView[id] {
			bad("view %s counts %d shares, %d use it", w.l(id), n, perView[id])
		}
	}
	return out, problems
}

// query reads a whole partition, strongly consistent, as plain values.
func (r *raceRig) query(pk string) ([]map[string]any, error) {
	p := dynamodb.NewQueryPaginator(r.raw, &dynamodb.QueryInput{TableName: &r.table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}}})
	var out []map[string]any
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", pk, err)
		}
		for _, raw := range page.Items {
			var it map[string]any
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return nil, fmt.Errorf("decode an item of %s: %w", pk, err)
			}
			out = append(out, it)
		}
	}
	return out, nil
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// num reads a number attribute; an absent one is 0.
func num(m map[string]any, key string) int {
	f, _ := m[key].(float64)
	return int(f)
}

func strList(m map[string]any, key string) []string {
	xs, _ := m[key].([]any)
	var out []string
	for _, x := range xs {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// Conflicts at the API.

// conflictingDB fails the transactions and single-item writes of the DB it wraps, while
// armed, as DynamoDB does when another transaction holds one of their items.
type conflictingDB struct {
	store.DB
	mu   sync.Mutex
	left int
}

func (c *conflictingDB) arm(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.left = n
}

func (c *conflictingDB) fail() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.left == 0 {
		return false
	}
	c.left--
	return true
}

func (c *conflictingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if c.fail() {
		reasons := make([]types.CancellationReason, len(in.TransactItems))
		for i := range reasons {
			reasons[i].Code = aws.String("None")
		}
		reasons[0].Code = aws.String("TransactionConflict")
		return nil, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "TransactWriteItems",
			Err: &types.TransactionCanceledException{Message: aws.String("Transaction cancelled"), CancellationReasons: reasons}}
	}
	return c.DB.TransactWriteItems(ctx, in, opts...)
}

func (c *conflictingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if c.fail() {
		return nil, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "PutItem",
			Err: &types.TransactionConflictException{Message: aws.String("Transaction is ongoing for the item")}}
	}
	return c.DB.PutItem(ctx, in, opts...)
}

func (c *conflictingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if c.fail() {
		return nil, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "UpdateItem",
			Err: &types.TransactionConflictException{Message: aws.String("Transaction is ongoing for the item")}}
	}
	return c.DB.UpdateItem(ctx, in, opts...)
}

// A write that keeps losing to other transactions answers 409 conflict in the API's error
// shape and changes nothing; one that loses a couple of times succeeds.
func TestConflictInjectedAnswers409(t *testing.T) {
	e := setup(t)
	var db *conflictingDB
	rig := newRaceRig(t, e, func(d store.DB) store.DB {
		db = &conflictingDB{DB: d}
		return db
	})
	w := rig.newRound(t, time.Now().UnixNano(), 0)
	before, problems := w.readFinal()
	if len(problems) > 0 {
		t.Fatalf("starting state: %v", problems)
	}
	g1, m1 := w.ids["g1"], w.ids["m1"]
	k := w.randomCase()
	var sh raceShare
	if len(w.initial.shares) > 0 {
		sh = w.initial.shares[0]
	}
	// A guest who does not hold the case yet, if there is one.
	guest := ""
	for _, l := range []string{"g1", "g2", "g3"} {
		if !w.initial.holds(w.ids[l], k) {
			guest = w.ids[l]
		}
	}
	requests := []struct {
		name, who, method, path, body string
		withOrg                       bool
	}{
		{"create a client", "a1", "POST", "/clients", `{"name":"New client"}`, true},
		{"rename a case", "a1", "PATCH", "/cases/" + k, `{"name":"Renamed"}`, true},
		{"change a role", "a1", "PATCH", "/users/" + m1, `{"role":"admin"}`, true},
		{"remove a guest", "a2", "DELETE", "/users/" + g1, "", true},
		{"delete a case", "m1", "DELETE", "/cases/" + k, "", true},
		{"accept an invitation", "p1", "POST", "/invitations/accept", jsonBody(map[string]string{"token": w.ids["token-p1"]}), false},
	}
	if sh.id != "" {
		requests = append(requests, struct {
			name, who, method, path, body string
			withOrg                       bool
		}{"remove a share", "a2", "DELETE", "/shares/" + sh.id, "", true})
	}
	if guest != "" {
		requests = append(requests, struct {
			name, who, method, path, body string
			withOrg                       bool
		}{"share a case", "m1", "POST", "/cases/" + k + "/shares", jsonBody(newShareBody{GuestID: guest, Scope: "case"}), true})
	}
	for _, r := range requests {
		org := ""
		if r.withOrg {
			org = w.org
		}
		db.arm(1000)
		got := rig.sendValidated(t, w.rig.people[r.who].token, org, r.method, r.path, r.body)
		db.arm(0)
		want(t, r.name+" under conflicts", got, http.StatusConflict, casescribe.ECONFLICT)
		if msg, _ := anyField(got.body["error"], "message").(string); msg == "" || strings.Contains(msg, "Transaction") {
			t.Errorf("%s: message %q, want a message for people, not the SDK's", r.name, msg)
		}
	}
	after, _ := w.readFinal()
	if d := lineDiff(w.canonical(before), w.canonical(after)); d != "" {
		t.Errorf("writes refused for conflicts changed the state:\n%s", d)
	}
	// Two lost races are retried away.
	db.arm(2)
	got := rig.sendValidated(t, rig.people["a1"].token, w.org, "PATCH", "/users/"+m1, `{"role":"admin"}`)
	want(t, "change a role after two conflicts", got, http.StatusOK, "")
	db.arm(2)
	got = rig.sendValidated(t, rig.people["p1"].token, "", "POST", "/invitations/accept", jsonBody(map[string]string{"token": w.ids["token-p1"]}))
	want(t, "accept after two conflicts", got, http.StatusOK, "")
}

// sendValidated sends a request in-process and checks the answer against the OpenAPI
// document.
func (r *raceRig) sendValidated(t *testing.T, token, org, method, path, body string) response {
	t.Helper()
	res := serveInProcess(r.h, token, org, method, path, body).Result()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := response{status: res.StatusCode, raw: string(raw)}
	if err := json.Unmarshal(raw, &out.body); err != nil && len(raw) > 0 {
		t.Fatalf("%s %s: answer is not JSON: %q", method, path, raw)
	}
	if ct := res.Header.Get("Content-Type"); len(raw) > 0 && !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: content type %q", method, path, ct)
	}
	r.e.validate(t, method, path, body, org, "Bearer "+token, res, raw)
	return out
}

// lineDiff lists the lines only in want (-) and only in got (+); "" when equal.
func lineDiff(want, got []string) string {
	var b strings.Builder
	for _, l := range want {
		if !slices.Contains(got, l) {
			fmt.Fprintf(&b, "  - %s\n", l)
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			fmt.Fprintf(&b, "  + %s\n", l)
		}
	}
	return b.String()
}

// The two races TestConcurrentAccessChanges found, pinned: a guest promoted while being given
// a share, and a guest removed while one of their shares is removed. Whatever wins, no share
// is left with a non-guest, and removing a member never answers 404 for a member who exists.
func TestConcurrentShareAndMembershipChanges(t *testing.T) {
	e := setup(t)
	rig := newRaceRig(t, e, nil)
	w := rig.newRound(t, 1, 0)
	admin := rig.people["a1"].token
	g := w.ids["g1"]
	check := func(what string) {
		t.Helper()
		if _, problems := w.readFinal(); len(problems) > 0 {
			t.Fatalf("%s: %s", what, strings.Join(problems, "; "))
		}
	}
	shareOf := func(k string) string {
		t.Helper()
		r := rig.sendValidated(t, admin, w.org, "POST", "/cases/"+k+"/shares", jsonBody(newShareBody{GuestID: g, Scope: "client"}))
		want(t, "share", r, http.StatusCreated, "")
		return r.str("shareId")
	}
	// Start from a guest without shares.
	for _, sh := range w.initial.shares {
		if sh.guest == g {
			want(t, "remove a starting share", rig.sendValidated(t, admin, w.org, "DELETE", "/shares/"+sh.id, ""), http.StatusNoContent, "")
		}
	}
	k := w.randomCase()

	// Serially: a guest with a share stays a guest until the share is gone.
	id := shareOf(k)
	r := rig.sendValidated(t, admin, w.org, "PATCH", "/users/"+g, `{"role":"member"}`)
	want(t, "promote a guest who holds a share", r, http.StatusConflict, casescribe.ECONFLICT)
	if msg, _ := anyField(r.body["error"], "message").(string); !strings.Contains(msg, "share") {
		t.Errorf("message %q does not say why", msg)
	}
	want(t, "remove the share", rig.sendValidated(t, admin, w.org, "DELETE", "/shares/"+id, ""), http.StatusNoContent, "")
	want(t, "promote the guest without shares", rig.sendValidated(t, admin, w.org, "PATCH", "/users/"+g, `{"role":"member"}`), http.StatusOK, "")
	want(t, "make them a guest again", rig.sendValidated(t, admin, w.org, "PATCH", "/users/"+g, `{"role":"guest"}`), http.StatusOK, "")
	check("after the serial changes")

	const rounds = 8
	for i := range rounds {
		// A share and a promotion at once: at most one of them succeeds.
		var share, role response
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			share = rig.send(admin, w.org, "POST", "/cases/"+k+"/shares", jsonBody(newShareBody{GuestID: g, Scope: "client"}))
		})
		wg.Go(func() {
			<-start
			role = rig.send(rig.people["a2"].token, w.org, "PATCH", "/users/"+g, `{"role":"member"}`)
		})
		close(start)
		wg.Wait()
		if share.status == http.StatusCreated && role.status == http.StatusOK || share.status >= 500 || role.status >= 500 {
			t.Fatalf("race %d: share %d %s, promotion %d %s", i, share.status, share.raw, role.status, role.raw)
		}
		check(fmt.Sprintf("race %d of a share and a promotion", i))
		if share.status == http.StatusCreated {
			want(t, "remove the share", rig.send(admin, w.org, "DELETE", "/shares/"+share.str("shareId"), ""), http.StatusNoContent, "")
		}
		if role.status == http.StatusOK {
			want(t, "make them a guest again", rig.send(admin, w.org, "PATCH", "/users/"+g, `{"role":"guest"}`), http.StatusOK, "")
		}

		// A removal from the organization and a removal of one of the guest's shares at once.
		id := shareOf(k)
		var member, removal response
		start = make(chan struct{})
		wg.Go(func() { <-start; member = rig.send(admin, w.org, "DELETE", "/users/"+g, "") })
		wg.Go(func() { <-start; removal = rig.send(rig.people["m1"].token, w.org, "DELETE", "/shares/"+id, "") })
		close(start)
		wg.Wait()
		if member.status != http.StatusNoContent && member.status != http.StatusConflict ||
			removal.status != http.StatusNoContent && removal.status != http.StatusNotFound {
			t.Fatalf("race %d: member removal %d %s, share removal %d %s", i, member.status, member.raw, removal.status, removal.raw)
		}
		check(fmt.Sprintf("race %d of two removals", i))
		if member.status != http.StatusNoContent {
			want(t, "remove the guest", rig.send(admin, w.org, "DELETE", "/users/"+g, ""), http.StatusNoContent, "")
		}
		u := rig.people["g1"]
		if err := rig.st.PutMembership(context.Background(), casescribe.Membership{OrgID: w.org, OrgName: "Race 0", UserID: u.id,
			Email: u.email, Name: "g1", Role: casescribe.RoleGuest, Status: casescribe.StatusActive, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
}
