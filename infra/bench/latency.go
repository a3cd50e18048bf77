package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"time"

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
	authorizer    *auth.Authorizer
	handler       http.Handler
	admin, member account
}

// newInProcess creates the table and two logins in the stack's emulators (an admin and a
// member of every organization newOrg creates) and wires the code under measurement.
func newInProcess(ctx context.Context, stack *localstack.Stack, root, poolID, clientID string) (*inProcess, error) {
	if err := localstack.CreateTable(ctx, stack.DynamoDB(), root, benchTable); err != nil {
		return nil, err
	}
	p := &inProcess{seed: store.New(stack.DynamoDB(), benchTable), seedDB: stack.DynamoDB(), rec: &roundtrip.Recorder{}}
	for _, a := range []struct {
		acc         *account
		email, name string
	}{{&p.admin, "admin@bench.example", "Bench Admin"}, {&p.member, "member@bench.example", "Bench Member"}} {
		const password = "Bench-password-2026"
		sub, err := localstack.CreateUser(ctx, stack.Cognito(), poolID, a.email, password)
		if err != nil {
			return nil, err
		}
		token, _, err := localstack.SignIn(ctx, stack.Cognito(), clientID, a.email, password)
		if err != nil {
			return nil, err
		}
		*a.acc = account{user: casescribe.User{ID: sub, Email: a.email, Name: a.name}, token: token}
	}
	verifier, err := auth.NewVerifier(ctx, auth.VerifierConfig{Issuer: stack.CognitoIssuer(poolID), ClientID: clientID})
	if err != nil {
		return nil, err
	}
	p.db = dynamodb.New(stack.DynamoDB().Options(), p.rec.Options)
	st := store.New(p.db, benchTable)
	p.authorizer = auth.NewAuthorizer(verifier, st)
	p.handler = api.NewServer(st).Local(p.authorizer, nil)
	return p, nil
}

// newOrg creates an organization founded by the admin, with the member in it, and one client.
func (p *inProcess) newOrg(ctx context.Context, name string) (orgID, clientID string, err error) {
	now := time.Now().UTC()
	orgID, clientID = ulid.Make().String(), ulid.Make().String()
	org := casescribe.Organization{ID: orgID, Name: name, CreatedAt: now, CreatedBy: p.admin.user.ID}
	if err := p.seed.CreateOrganization(ctx, org, p.admin.user); err != nil {
		return "", "", fmt.Errorf("seed %s: %w", name, err)
	}
	m := casescribe.Membership{OrgID: orgID, OrgName: name, UserID: p.member.user.ID, Email: p.member.user.Email,
		Name: p.member.user.Name, Role: casescribe.RoleMember, Status: casescribe.StatusActive, CreatedAt: now}
	if err := p.seed.PutMembership(ctx, m); err != nil {
		return "", "", fmt.Errorf("seed member of %s: %w", name, err)
	}
	client := casescribe.Client{OrgID: orgID, ID: clientID, Name: "Smith, John", CreatedAt: now, UpdatedAt: now}
	if err := p.seed.CreateClient(ctx, client); err != nil {
		return "", "", fmt.Errorf("seed client of %s: %w", name, err)
	}
	return orgID, clientID, nil
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

// readCase is GET /cases/{caseId} through the local handler stack (authorizer middleware and
// route), as the member.
func (p *inProcess) readCase(orgID, caseID string) func(context.Context) error {
	return func(ctx context.Context) error {
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/cases/"+caseID, nil)
		req.Header.Set("Authorization", "Bearer "+p.member.token)
		req.Header.Set(api.OrgHeader, orgID)
		w := httptest.NewRecorder()
		p.handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			return fmt.Errorf("GET /cases/%s: status %d: %s", caseID, w.Code, w.Body)
		}
		return nil
	}
}

// target is one thing to measure: do is one request.
type target struct {
	name string
	do   func(context.Context) error
}

// measurement is what measure found for one target.
type measurement struct {
	name string
	// Per request: wall time, time with a DynamoDB call in the SDK (the sum of its waves), time
	// on the wire, and total - DynamoDB wait.
	total, wait, wire, overhead []time.Duration
	// cpu is the process's CPU time over the measured requests; cpuOK is false where it cannot
	// be read.
	cpu   time.Duration
	cpuOK bool
	// calls and waves are the DynamoDB calls and waves per request: the lowest and highest
	// counts seen.
	callsMin, callsMax, wavesMin, wavesMax int
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
		out[i] = &measurement{name: t.name, cpuOK: true}
	}
	for round := range n {
		for j := range targets {
			i := (round + j) % len(targets)
			m := out[i]
			p.rec.Reset()
			cpu0, ok0 := processCPU()
			start := time.Now()
			err := targets[i].do(ctx)
			total := time.Since(start)
			cpu1, ok1 := processCPU()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m.name, err)
			}
			s := roundtrip.Summarize(p.rec.Take())
			m.total = append(m.total, total)
			m.wait = append(m.wait, s.Wait)
			m.wire = append(m.wire, s.WireWait)
			m.overhead = append(m.overhead, total-s.Wait)
			m.cpu += cpu1 - cpu0
			m.cpuOK = m.cpuOK && ok0 && ok1
			if len(m.total) == 1 {
				m.callsMin, m.callsMax, m.wavesMin, m.wavesMax = s.Calls, s.Calls, s.Waves, s.Waves
			}
			m.callsMin, m.callsMax = min(m.callsMin, s.Calls), max(m.callsMax, s.Calls)
			m.wavesMin, m.wavesMax = min(m.wavesMin, s.Waves), max(m.wavesMax, s.Waves)
		}
	}
	runtime.ReadMemStats(&after)
	for _, m := range out {
		m.gcCycles = after.NumGC - before.NumGC
	}
	return out, nil
}

// counts formats a min..max count.
func counts(lo, hi int) string {
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}
