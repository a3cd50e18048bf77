// Command bench measures the backend against the budgets of DESIGN §5 and writes the report
// of `make bench`: DynamoDB round trips per route, Lambda cold start and size per function,
// request latency and CPU in-process, and how reads scale with the size of an organization.
// It prints the report (markdown) on standard output and writes it to docs/benchmarks.md;
// progress goes to standard error.
//
// Everything runs on this machine: the emulators come from localstack.Start, the functions
// run as their real bootstrap binaries under a Lambda Runtime API stub (infra/lambdastub), and
// the in-process measurements use the same handlers and authorizer as the functions.
//
// These are benchmarks, not timed tests: the machine may be shared and noisy, so every budget
// on time is judged against a reference measured in the same run (a hello-world Lambda), or on
// counts (DynamoDB calls) that noise cannot move.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/casescribe/sharing/infra/localstack"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the benchmark's knobs; the defaults keep the whole run within a few minutes on
// two cores.
type options struct {
	out      string
	starts   int
	requests int
	// scaleRequests is per target of the scale measurement: two per organization size and two
	// per guest in it.
	scaleRequests int
	warmup        int
	scale         []int
	// shares are the numbers of case shares the guests of the scale measurement hold.
	shares []int
}

func parseFlags() (options, error) {
	var o options
	var scale, shares string
	flag.StringVar(&o.out, "out", filepath.Join("docs", "benchmarks.md"), "where to write the report (a relative path is taken from the repository root)")
	flag.IntVar(&o.starts, "starts", 21, "measured cold starts per function (interleaved, after one warm-up start each)")
	flag.IntVar(&o.requests, "requests", 1000, "measured requests of each kind in the latency measurement")
	flag.IntVar(&o.scaleRequests, "scale-requests", 300, "measured requests of each kind and size in the scale measurement")
	flag.IntVar(&o.warmup, "warmup", 50, "warm-up requests per in-process measurement")
	flag.StringVar(&scale, "scale", "1,100,10000", "numbers of cases in the organizations of the scale measurement")
	flag.StringVar(&shares, "shares", "1,10,100", "numbers of case shares held by the guests of the scale measurement (at most 100)")
	flag.Parse()
	if o.starts < 1 || o.requests < 1 || o.scaleRequests < 1 || o.warmup < 0 {
		return o, errors.New("-starts, -requests and -scale-requests must be at least 1, -warmup at least 0")
	}
	var err error
	if o.scale, err = positiveInts("-scale", "a number of cases", scale, 0); err != nil {
		return o, err
	}
	if o.shares, err = positiveInts("-shares", "a number of shares from 1 to 100", shares, maxGuestShares); err != nil {
		return o, err
	}
	return o, nil
}

// maxGuestShares is the most case shares a scale guest may hold. Each is of a case in a client
// of its own, both made through the store, and past 100 a guest's list reads its cases in more
// than one batch, which the report says is not measured.
const maxGuestShares = 100

// positiveInts parses a comma-separated list of distinct numbers of at least 1 (and at most
// limit, if limit > 0), sorted ascending as given.
func positiveInts(flagName, what, list string, limit int) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || limit > 0 && n > limit {
			return nil, fmt.Errorf("%s: %q is not %s", flagName, f, what)
		}
		if len(out) > 0 && n <= out[len(out)-1] {
			return nil, fmt.Errorf("%s: list the numbers in ascending order, each once", flagName)
		}
		out = append(out, n)
	}
	return out, nil
}

func run() error {
	opt, err := parseFlags()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	began := time.Now()
	root, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return errors.New("run from the repository root (where go.mod is): make bench does")
	}
	functions, err := functionNames(root)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "casescribe-bench-")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)

	r := &results{opt: opt, machine: describeMachine(), functions: functions, date: began.UTC()}
	if r.memoryMB, err = lambdaMemory(root); err != nil {
		return err
	}

	// Phase 1, in parallel: nothing is timed yet. The emulators start and the data is seeded
	// while the functions build; the round-trip test (which starts emulators of its own and
	// compiles a test binary) runs once the builds are done, to keep two cores from drowning.
	var (
		env                     *environment
		envErr, buildErr, rtErr error
		hostBins, armBins       map[string]string
		wg                      sync.WaitGroup
	)
	wg.Go(func() {
		progress("starting the emulators and seeding")
		env, envErr = newEnvironment(ctx, root, opt.scale, opt.shares)
	})
	wg.Go(func() {
		progress("building %d functions and the reference Lambdas for %s/%s and linux/arm64", len(functions), runtime.GOOS, runtime.GOARCH)
		if hostBins, buildErr = buildAll(ctx, root, tmp, runtime.GOOS, runtime.GOARCH, functions); buildErr != nil {
			return
		}
		if armBins, buildErr = buildAll(ctx, root, tmp, "linux", "arm64", functions); buildErr != nil {
			return
		}
		if r.links, buildErr = linkages(ctx, root, functions); buildErr != nil {
			return
		}
		progress("running the round-trip test (pkg/api, TestRoundTripBudgets)")
		r.roundTrips, rtErr = runRoundTripTest(ctx, root, tmp)
	})
	wg.Wait()
	if env != nil {
		defer env.close()
	}
	if err := errors.Join(envErr, buildErr); err != nil {
		return err
	}
	r.roundTripErr = rtErr
	r.seedTime, r.factsSeedTime = env.seedTime, env.factsSeedTime
	r.latencyGuestCases = env.guestCases
	r.latencyView = env.latencyView
	if r.functionEnv, r.envStandIns, err = env.functionEnvs(root, functions); err != nil {
		return err
	}

	for _, name := range append(append([]string{}, functions...), referenceNames...) {
		s, err := measureSize(name, armBins[name])
		if err != nil {
			return err
		}
		r.sizes = append(r.sizes, s)
	}

	// Phase 2, one thing at a time on a machine left quiet.
	all := append(append([]string{}, referenceNames...), functions...)
	progress("cold starts: %d binaries x %d starts, interleaved", len(all), opt.starts)
	samples, err := measureColdStarts(ctx, hostBins, all, func(name string) map[string]string {
		if e, ok := r.functionEnv[name]; ok {
			return e
		}
		return env.functionEnv()
	}, opt.starts)
	if err != nil {
		return fmt.Errorf("cold starts: %w", err)
	}
	r.coldStarts = summarizeColdStarts(samples, all)
	if r.jwksFetch, err = measureJWKSFetch(ctx, env.jwksURL(), opt.starts); err != nil {
		return err
	}

	r.loadBefore = loadAverage()
	progress("latency and CPU: %d requests each after %d warm-up", opt.requests, opt.warmup)
	p := env.p
	if r.latency, err = p.measure(ctx, []target{
		{name: "authorizer", do: p.authorize(env.latencyOrg)},
		{name: "member case read", route: "GET /cases/{caseId}", do: p.readCase(p.member, env.latencyOrg, env.latencyCase)},
		{name: "guest case read", route: "GET /cases/{caseId}", do: p.readCase(env.guest, env.latencyOrg, env.latencyCase)},
		{name: "guest list", route: "GET /cases", do: p.listCases(env.guest, env.latencyOrg)},
		{name: "guest fact list under a view", route: "GET /cases/{caseId}/facts", do: p.listFacts(env.viewGuest, env.latencyOrg, env.latencyView.caseID)},
		{name: "share change", route: "PATCH /shares/{shareId}", do: p.changeShare(env.latencyOrg, env.changeShare, env.changeCase)},
	}, opt.warmup, opt.requests); err != nil {
		return fmt.Errorf("latency: %w", err)
	}

	progress("scale: organizations of %v cases, guests holding %v shares, %d requests each", opt.scale, opt.shares, opt.scaleRequests)
	if r.scale, r.scaleViews, r.factViews, err = measureScale(ctx, p, env, opt); err != nil {
		return err
	}
	r.loadAfter = loadAverage()

	r.elapsed = time.Since(began)
	md := r.markdown()
	if _, err := os.Stdout.WriteString(md); err != nil {
		return fmt.Errorf("print the report: %w", err)
	}
	out := opt.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	progress("report written to %s in %v", opt.out, r.elapsed.Round(time.Second))
	return nil
}

// progress says on standard error what the benchmark is doing.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// environment is the running emulators and the seeded data of the in-process measurements.
type environment struct {
	stack            *localstack.Stack
	poolID, clientID string
	p                *inProcess
	// latencyOrg is the organization of the latency measurement: the member and guest read
	// latencyCase; guest holds a share of it and a client share of another client, guestCases
	// cases in all; the admin changes changeShare, another guest's client share, to and from a
	// share of changeCase.
	latencyOrg, latencyCase string
	guest                   account
	guestCases              int
	changeShare, changeCase string
	// viewGuest is a guest, with a login, holding case shares limited to a saved view: of
	// latencyView's case in the latency organization, of scaleViews' cases in the scale
	// organizations (one each) and of factViews' cases in an organization of their own.
	viewGuest   account
	latencyView viewCase
	scaleViews  []viewCase
	factViews   []viewCase
	scale       []scaleOrg
	// seedTime is how long the scale organizations took to seed, factsSeedTime how long their
	// facts and the facts organization did.
	seedTime, factsSeedTime time.Duration
	closeOnce               sync.Once
}

// newEnvironment starts the emulators, creates the table and the user pool, and seeds an
// organization for the latency measurement and one per scale size, with guests holding each
// number of shares in shares.
func newEnvironment(ctx context.Context, root string, scale, shares []int) (*environment, error) {
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	stack, err := localstack.Start(startCtx, localstack.Options{Root: root})
	if err != nil {
		return nil, err
	}
	e := &environment{stack: stack}
	if e.poolID, e.clientID, err = localstack.CreateUserPool(ctx, stack.Cognito(), "bench"); err != nil {
		return e, err
	}
	if e.p, err = newInProcess(ctx, stack, root, e.poolID, e.clientID); err != nil {
		return e, err
	}
	if e.viewGuest, err = e.p.newAccount(ctx, "view-guest@bench.example", "Bench View Guest"); err != nil {
		return e, err
	}
	if err := e.seedLatency(ctx); err != nil {
		return e, err
	}
	var guests []scaleGuest
	for _, n := range shares {
		acc, err := e.p.newAccount(ctx, fmt.Sprintf("guest-%d@bench.example", n), fmt.Sprintf("Bench Guest %d", n))
		if err != nil {
			return e, err
		}
		guests = append(guests, scaleGuest{shares: n, acc: acc})
	}
	start := time.Now()
	for _, n := range scale {
		o, err := e.p.seedScaleOrg(ctx, n, guests)
		if err != nil {
			return e, err
		}
		e.scale = append(e.scale, o)
	}
	e.seedTime = time.Since(start)
	start = time.Now()
	if err := e.seedFacts(ctx); err != nil {
		return e, err
	}
	e.factsSeedTime = time.Since(start)
	for _, o := range e.scale {
		for i := range o.guests {
			g := &o.guests[i]
			if g.listed, err = e.p.guestSees(ctx, g.acc, o.orgID, g.shares); err != nil {
				return e, err
			}
		}
	}
	for _, vcs := range [][]viewCase{e.scaleViews, e.factViews} {
		for i := range vcs {
			if err := e.p.checkViewCase(ctx, &vcs[i], e.viewGuest); err != nil {
				return e, err
			}
		}
	}
	return e, nil
}

// seedFacts gives the first case of every scale organization viewFacts facts and a saved view,
// shared with the view guest limited to that view; and creates the facts organization: one
// client with a case of each size in factSizes, each with its view, shared the same way.
func (e *environment) seedFacts(ctx context.Context) error {
	p := e.p
	for _, o := range e.scale {
		if err := p.addGuest(ctx, o.orgID, o.name, e.viewGuest.user); err != nil {
			return err
		}
		vc, err := p.seedViewCase(ctx, o.orgID, o.firstClient, o.firstCase, o.cases, viewFacts, e.viewGuest.user)
		if err != nil {
			return err
		}
		e.scaleViews = append(e.scaleViews, vc)
	}
	const name = "Facts LLP"
	org, client, err := p.newOrg(ctx, name)
	if err != nil {
		return err
	}
	if err := p.addGuest(ctx, org, name, e.viewGuest.user); err != nil {
		return err
	}
	var cases []string
	for _, n := range factSizes {
		id, err := p.newCase(ctx, org, client, fmt.Sprintf("%d facts", n))
		if err != nil {
			return err
		}
		cases = append(cases, id)
	}
	for i, n := range factSizes {
		vc, err := p.seedViewCase(ctx, org, client, cases[i], len(factSizes), n, e.viewGuest.user)
		if err != nil {
			return err
		}
		e.factViews = append(e.factViews, vc)
	}
	return nil
}

// seedLatency creates the organization of the latency measurement: client Smith with three
// cases, client Doe with two and client Roe with one, which holds viewFacts facts and a saved
// view; a guest with a login holding a share of Smith's last case and a client share of Doe;
// the view guest holding a share of Roe's case limited to the view; a guest without a login
// holding a client share of Smith, for the admin to change. It checks that the guests see
// what was shared and nothing else.
func (e *environment) seedLatency(ctx context.Context) error {
	const name = "Latency LLP"
	p := e.p
	org, smith, err := p.newOrg(ctx, name)
	if err != nil {
		return err
	}
	var smithCases []string
	for _, n := range []string{"Knee MRI", "Back injury", "Car accident"} {
		id, err := p.newCase(ctx, org, smith, n)
		if err != nil {
			return err
		}
		smithCases = append(smithCases, id)
	}
	doe, err := p.newClient(ctx, org, "Doe, Jane")
	if err != nil {
		return err
	}
	for _, n := range []string{"Hip replacement", "Shoulder"} {
		if _, err := p.newCase(ctx, org, doe, n); err != nil {
			return err
		}
	}
	e.latencyOrg, e.latencyCase, e.changeCase = org, smithCases[2], smithCases[0]
	if e.guest, err = p.newAccount(ctx, "guest@bench.example", "Bench Guest"); err != nil {
		return err
	}
	if err := p.addGuest(ctx, org, name, e.guest.user); err != nil {
		return err
	}
	if _, err := p.share(ctx, org, e.guest.user, smith, e.latencyCase); err != nil {
		return err
	}
	if _, err := p.share(ctx, org, e.guest.user, doe, ""); err != nil {
		return err
	}
	changing := syntheticGuest("Bench Changing Guest")
	if err := p.addGuest(ctx, org, name, changing); err != nil {
		return err
	}
	if e.changeShare, err = p.share(ctx, org, changing, smith, ""); err != nil {
		return err
	}
	if e.guestCases, err = p.guestSees(ctx, e.guest, org, 3); err != nil {
		return err
	}
	if err := p.guestBlind(ctx, e.guest, org, e.changeCase); err != nil {
		return err
	}
	roe, err := p.newClient(ctx, org, "Roe, Mary")
	if err != nil {
		return err
	}
	roeCase, err := p.newCase(ctx, org, roe, "Slip and fall")
	if err != nil {
		return err
	}
	if err := p.addGuest(ctx, org, name, e.viewGuest.user); err != nil {
		return err
	}
	orgCases := len(smithCases) + 2 + 1 // Smith's, Doe's and Roe's
	if e.latencyView, err = p.seedViewCase(ctx, org, roe, roeCase, orgCases, viewFacts, e.viewGuest.user); err != nil {
		return err
	}
	if err := p.checkViewCase(ctx, &e.latencyView, e.viewGuest); err != nil {
		return err
	}
	return p.guestBlind(ctx, e.viewGuest, org, e.latencyCase)
}

// measureScale measures, for every scale organization, the authorizer and the member's case
// read, and for every guest in it the guest's case read and list; the view guest's fact list
// of every view case (scaleViews, then factViews) and the member's of factViews' cases: all
// interleaved request by request.
func measureScale(ctx context.Context, p *inProcess, env *environment, opt options) ([]scaleRow, []factListRow, []factListRow, error) {
	orgs := env.scale
	var targets []target
	for _, o := range orgs {
		targets = append(targets,
			target{name: "authorizer", do: p.authorize(o.orgID)},
			target{name: "member case read", route: "GET /cases/{caseId}", do: p.readCase(p.member, o.orgID, o.caseID)})
		for _, g := range o.guests {
			targets = append(targets,
				target{name: "guest case read, " + plural(g.shares, "share"), route: "GET /cases/{caseId}", do: p.readCase(g.acc, o.orgID, g.caseID)},
				target{name: "guest list, " + plural(g.shares, "share"), route: "GET /cases", do: p.listCases(g.acc, o.orgID)})
		}
	}
	for _, vc := range env.scaleViews {
		targets = append(targets, target{name: "guest fact list under a view, " + plural(vc.orgCases, "case"),
			route: "GET /cases/{caseId}/facts", do: p.listFacts(env.viewGuest, vc.orgID, vc.caseID)})
	}
	for _, vc := range env.factViews {
		targets = append(targets,
			target{name: "guest fact list under a view, " + plural(vc.facts, "fact"),
				route: "GET /cases/{caseId}/facts", do: p.listFacts(env.viewGuest, vc.orgID, vc.caseID)},
			target{name: "member fact list, " + plural(vc.facts, "fact"),
				route: "GET /cases/{caseId}/facts", do: p.listFacts(p.member, vc.orgID, vc.caseID)})
	}
	measured, err := p.measure(ctx, targets, opt.warmup/len(orgs)+1, opt.scaleRequests)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("scale: %w", err)
	}
	var rows []scaleRow
	for _, o := range orgs {
		row := scaleRow{cases: o.cases, clients: o.clients, authorizer: measured[0], read: measured[1]}
		measured = measured[2:]
		for _, g := range o.guests {
			row.guests = append(row.guests, guestScale{shares: g.shares, listed: g.listed, read: measured[0], list: measured[1]})
			measured = measured[2:]
		}
		rows = append(rows, row)
	}
	var scaleViews, factViews []factListRow
	for _, vc := range env.scaleViews {
		scaleViews = append(scaleViews, factListRow{viewCase: vc, list: measured[0]})
		measured = measured[1:]
	}
	for _, vc := range env.factViews {
		factViews = append(factViews, factListRow{viewCase: vc, list: measured[0], member: measured[1]})
		measured = measured[2:]
	}
	return rows, scaleViews, factViews, nil
}

// functionEnv is the configuration the functions read (template.yaml), pointing at the
// emulators.
func (e *environment) functionEnv() map[string]string {
	return map[string]string{
		"TABLE_NAME":          benchTable,
		"USER_POOL_ID":        e.poolID,
		"USER_POOL_CLIENT_ID": e.clientID,
		"COGNITO_ISSUER":      e.stack.CognitoIssuer(e.poolID),
		"DYNAMODB_ENDPOINT":   e.stack.DynamoDBEndpoint,
		// The functions that keep document files need their bucket; nothing is fetched from it
		// at init.
		"DOCUMENTS_BUCKET": "casescribe-bench-documents",
		"S3_ENDPOINT":      e.stack.S3Endpoint,
	}
}

// jwksURL is where the authorizer fetches the pool's signing keys at init.
func (e *environment) jwksURL() string {
	return e.stack.CognitoIssuer(e.poolID) + "/.well-known/jwks.json"
}

// close stops the emulators, reporting a failure to stop on standard error.
func (e *environment) close() {
	e.closeOnce.Do(func() {
		if err := e.stack.Close(); err != nil {
			progress("%v", err)
		}
	})
}
