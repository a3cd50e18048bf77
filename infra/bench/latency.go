package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/oklog/ulid/v2"

	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/auth"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/roundtrip"
	"github.com/casescribe/sharing/pkg/store"
)

// benchTable is the table the in-process measurements use, in the benchmark's own emulators.
const benchTable = "bench"

// account is a signed-in login of the benchmark's user pool.
type account struct {
	user  casescribe.User
	token string
}

// inProcess is the code under measurement, wired as the local server wires it (the same
// handlers and authorizer as the functions), on DynamoDB Local and cognito-local. Every call
// of its DynamoDB client is recorded.
type inProcess struct {
	// seed and seedDB go through a client that records nothing, for seeding.
	seed          *store.Store
	seedDB        *dynamodb.Client
	db            *dynamodb.Client
	rec           *roundtrip.Recorder
	items         *itemCounter
	authorizer    *auth.Authorizer
	handler       http.Handler
	admin, member account
	// cognito, poolID and clientID are where newAccount creates logins.
	cognito          *cognitoidentityprovider.Client
	poolID, clientID string
}

// benchPassword is the password of every login the benchmark creates.
const benchPassword = "Bench-password-2026"

// newInProcess creates the table and two logins in the stack's emulators (an admin and a
// member of every organization newOrg creates) and wires the code under measurement.
func newInProcess(ctx context.Context, stack *localstack.Stack, root, poolID, clientID string) (*inProcess, error) {
	if err := localstack.CreateTable(ctx, stack.DynamoDB(), root, benchTable); err != nil {
		return nil, err
	}
	p := &inProcess{seed: store.New(stack.DynamoDB(), benchTable), seedDB: stack.DynamoDB(), rec: &roundtrip.Recorder{},
		items: &itemCounter{}, cognito: stack.Cognito(), poolID: poolID, clientID: clientID}
	var err error
	if p.admin, err = p.newAccount(ctx, "admin@bench.example", "Bench Admin"); err != nil {
		return nil, err
	}
	if p.member, err = p.newAccount(ctx, "member@bench.example", "Bench Member"); err != nil {
		return nil, err
	}
	verifier, err := auth.NewVerifier(ctx, auth.VerifierConfig{Issuer: stack.CognitoIssuer(poolID), ClientID: clientID})
	if err != nil {
		return nil, err
	}
	p.db = dynamodb.New(stack.DynamoDB().Options(), p.rec.Options, p.items.Options)
	st := store.New(p.db, benchTable)
	p.authorizer = auth.NewAuthorizer(verifier, st)
	p.handler = api.NewServer(st, api.WithLogger(api.NewLogger(io.Discard))).Local(p.authorizer, nil)
	return p, nil
}

// newAccount creates a login in the user pool and signs it in: its ID token is a real one.
func (p *inProcess) newAccount(ctx context.Context, email, name string) (account, error) {
	sub, err := localstack.CreateUser(ctx, p.cognito, p.poolID, email, benchPassword)
	if err != nil {
		return account{}, fmt.Errorf("create login %s: %w", email, err)
	}
	token, _, err := localstack.SignIn(ctx, p.cognito, p.clientID, email, benchPassword)
	if err != nil {
		return account{}, fmt.Errorf("sign in %s: %w", email, err)
	}
	return account{user: casescribe.User{ID: sub, Email: email, Name: name}, token: token}, nil
}

// newOrg creates an organization founded by the admin, with the member in it, and one client.
func (p *inProcess) newOrg(ctx context.Context, name string) (orgID, clientID string, err error) {
	now := time.Now().UTC()
	orgID = ulid.Make().String()
	org := casescribe.Organization{ID: orgID, Name: name, CreatedAt: now, CreatedBy: p.admin.user.ID}
	if err := p.seed.CreateOrganization(ctx, org, p.admin.user); err != nil {
		return "", "", fmt.Errorf("seed %s: %w", name, err)
	}
	m := casescribe.Membership{OrgID: orgID, OrgName: name, UserID: p.member.user.ID, Email: p.member.user.Email,
		Name: p.member.user.Name, Role: casescribe.RoleMember, Status: casescribe.StatusActive, CreatedAt: now}
	if err := p.seed.PutMembership(ctx, m); err != nil {
		return "", "", fmt.Errorf("seed member of %s: %w", name, err)
	}
	if clientID, err = p.newClient(ctx, orgID, "Smith, John"); err != nil {
		return "", "", fmt.Errorf("seed %s: %w", name, err)
	}
	return orgID, clientID, nil
}

// newClient creates one client through the store.
func (p *inProcess) newClient(ctx context.Context, orgID, name string) (string, error) {
	now := time.Now().UTC()
	client := casescribe.Client{OrgID: orgID, ID: ulid.Make().String(), Name: name, CreatedAt: now, UpdatedAt: now}
	if err := p.seed.CreateClient(ctx, client); err != nil {
		return "", fmt.Errorf("seed client %s: %w", name, err)
	}
	return client.ID, nil
}

// newCase creates one case through the store.
func (p *inProcess) newCase(ctx context.Context, orgID, clientID, name string) (string, error) {
	now := time.Now().UTC()
	k := casescribe.Case{OrgID: orgID, ID: ulid.Make().String(), ClientID: clientID, Name: name, CreatedAt: now, UpdatedAt: now}
	if err := p.seed.CreateCase(ctx, k); err != nil {
		return "", fmt.Errorf("seed case: %w", err)
	}
	return k.ID, nil
}

// authorize is the authorizer's work for an organization route, as the member.
func (p *inProcess) authorize(orgID string) func(context.Context) error {
	return func(ctx context.Context) error {
		c, err := p.authorizer.Authenticate(ctx, "Bearer "+p.member.token, orgID, access.NeedOrganization)
		if err != nil {
			return fmt.Errorf("authorize: %w", err)
		}
		if c.Role != casescribe.RoleMember {
			return fmt.Errorf("authorize: role %q, want member", c.Role)
		}
		return nil
	}
}

// serve sends one request through the local handler stack (authorizer middleware and route)
// as acc, in organization orgID, and returns the answer.
func (p *inProcess) serve(ctx context.Context, acc account, orgID, method, path, body string) *httptest.ResponseRecorder {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequestWithContext(ctx, method, path, r)
	req.Header.Set("Authorization", "Bearer "+acc.token)
	req.Header.Set(api.OrgHeader, orgID)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	p.handler.ServeHTTP(w, req)
	return w
}

// get is a request that must answer 200 OK: GET path as acc.
func (p *inProcess) get(acc account, orgID, path string) func(context.Context) error {
	return func(ctx context.Context) error {
		if w := p.serve(ctx, acc, orgID, http.MethodGet, path, ""); w.Code != http.StatusOK {
			return fmt.Errorf("GET %s: status %d: %s", path, w.Code, w.Body)
		}
		return nil
	}
}

// readCase is GET /cases/{caseId} through the local handler stack (authorizer middleware and
// route), as acc: the member, or a guest holding a share of the case.
func (p *inProcess) readCase(acc account, orgID, caseID string) func(context.Context) error {
	return p.get(acc, orgID, "/cases/"+caseID)
}

// listCases is GET /cases through the local handler stack as acc: for a guest, every case
// shared with them.
func (p *inProcess) listCases(acc account, orgID string) func(context.Context) error {
	return p.get(acc, orgID, "/cases")
}

// changeShare is PATCH /shares/{shareId} as the admin, on a client share: the first request
// narrows it to caseID (a case of its client), the next expands it back to the whole client,
// and so on, each with the version the previous change left. A change refused (a stale
// version, say) stops the measurement.
func (p *inProcess) changeShare(orgID, shareID, caseID string) func(context.Context) error {
	version, narrow := 1, true
	return func(ctx context.Context) error {
		body := fmt.Sprintf(`{"scope":"client","version":%d}`, version)
		if narrow {
			body = fmt.Sprintf(`{"scope":"case","caseId":%q,"version":%d}`, caseID, version)
		}
		if w := p.serve(ctx, p.admin, orgID, http.MethodPatch, "/shares/"+shareID, body); w.Code != http.StatusOK {
			return fmt.Errorf("PATCH /shares/%s %s: status %d: %s", shareID, body, w.Code, w.Body)
		}
		version, narrow = version+1, !narrow
		return nil
	}
}

// target is one thing to measure: do is one request. name says what it is ("guest case
// read"), route which route it calls, if any.
type target struct {
	name, route string
	do          func(context.Context) error
}

// measurement is what measure found for one target.
type measurement struct {
	name, route string
	// Per request: wall time, time with a DynamoDB call in the SDK (the sum of its waves), time
	// on the wire, and total - DynamoDB wait.
	total, wait, wire, overhead []time.Duration
	// cpu is the process's CPU time over the measured requests; cpuOK is false where it cannot
	// be read.
	cpu   time.Duration
	cpuOK bool
	// calls, waves and items are the DynamoDB calls, waves and items read (itemsRead) per
	// request: the lowest and highest counts seen.
	callsMin, callsMax, wavesMin, wavesMax, itemsMin, itemsMax int
	// waves are the DynamoDB waves of each measured request. Waves are counted from the times
	// of the calls, so a busy machine can add one (see typicalWaves).
	waves []int
	// ops are the durations of the DynamoDB calls of the measured requests, by operation.
	ops map[string][]time.Duration
	// gcCycles is how many garbage collections ran while the measured requests of this target
	// and of the others measured with it ran.
	gcCycles uint32
}

// cpuPerRequest is the process's CPU time per measured request.
func (m *measurement) cpuPerRequest() time.Duration {
	if len(m.total) == 0 {
		return 0
	}
	return m.cpu / time.Duration(len(m.total))
}

// measure runs warmup requests of every target, then n measured requests of each, round
// robin (each round begins one target further along), one request at a time so that the
// recorder's waves are the request's own.
func (p *inProcess) measure(ctx context.Context, targets []target, warmup, n int) ([]*measurement, error) {
	for range warmup {
		for _, t := range targets {
			if err := t.do(ctx); err != nil {
				return nil, fmt.Errorf("%s (warm-up): %w", t.name, err)
			}
		}
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out := make([]*measurement, len(targets))
	for i, t := range targets {
		out[i] = &measurement{name: t.name, route: t.route, cpuOK: true, ops: map[string][]time.Duration{}}
	}
	for round := range n {
		for j := range targets {
			i := (round + j) % len(targets)
			m := out[i]
			p.rec.Reset()
			p.items.Take()
			cpu0, ok0 := processCPU()
			start := time.Now()
			err := targets[i].do(ctx)
			total := time.Since(start)
			cpu1, ok1 := processCPU()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m.name, err)
			}
			calls := p.rec.Take()
			items := p.items.Take()
			s := roundtrip.Summarize(calls)
			for _, c := range calls {
				m.ops[c.Operation] = append(m.ops[c.Operation], c.Duration())
			}
			m.total = append(m.total, total)
			m.wait = append(m.wait, s.Wait)
			m.wire = append(m.wire, s.WireWait)
			m.overhead = append(m.overhead, total-s.Wait)
			m.waves = append(m.waves, s.Waves)
			m.cpu += cpu1 - cpu0
			m.cpuOK = m.cpuOK && ok0 && ok1
			if len(m.total) == 1 {
				m.callsMin, m.callsMax, m.wavesMin, m.wavesMax = s.Calls, s.Calls, s.Waves, s.Waves
				m.itemsMin, m.itemsMax = items, items
			}
			m.callsMin, m.callsMax = min(m.callsMin, s.Calls), max(m.callsMax, s.Calls)
			m.wavesMin, m.wavesMax = min(m.wavesMin, s.Waves), max(m.wavesMax, s.Waves)
			m.itemsMin, m.itemsMax = min(m.itemsMin, items), max(m.itemsMax, items)
		}
	}
	runtime.ReadMemStats(&after)
	for _, m := range out {
		m.gcCycles = after.NumGC - before.NumGC
	}
	return out, nil
}

// typicalWaves is the median number of DynamoDB waves per request. Two calls a request makes
// at once make one wave only if their times overlap; on a busy machine one of them sometimes
// starts after the other has ended, and that request counts a wave more. The median is what
// the code does; the maximum, what the machine let it do at worst.
func (m *measurement) typicalWaves() int {
	if len(m.waves) == 0 {
		return 0
	}
	w := slices.Clone(m.waves)
	slices.Sort(w)
	return w[(len(w)-1)/2]
}

// moreWaves is the share of requests that counted more waves than typicalWaves.
func (m *measurement) moreWaves() float64 {
	if len(m.waves) == 0 {
		return 0
	}
	typical, n := m.typicalWaves(), 0
	for _, w := range m.waves {
		if w > typical {
			n++
		}
	}
	return float64(n) / float64(len(m.waves))
}

// counts formats a min..max count.
func counts(lo, hi int) string {
	if lo == hi {
		return thousands(lo)
	}
	return thousands(lo) + "–" + thousands(hi)
}
