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
	// scaleRequests is per target of the scale measurement, which has six.
	scaleRequests int
	warmup        int
	scale         []int
}

func parseFlags() (options, error) {
	var o options
	var scale string
	flag.StringVar(&o.out, "out", filepath.Join("docs", "benchmarks.md"), "where to write the report (a relative path is taken from the repository root)")
	flag.IntVar(&o.starts, "starts", 21, "measured cold starts per function (interleaved, after one warm-up start each)")
	flag.IntVar(&o.requests, "requests", 1000, "measured requests of each kind in the latency measurement")
	flag.IntVar(&o.scaleRequests, "scale-requests", 300, "measured requests of each kind and size in the scale measurement")
	flag.IntVar(&o.warmup, "warmup", 50, "warm-up requests per in-process measurement")
	flag.StringVar(&scale, "scale", "1,100,10000", "numbers of cases in the organizations of the scale measurement")
	flag.Parse()
	if o.starts < 1 || o.requests < 1 || o.scaleRequests < 1 || o.warmup < 0 {
		return o, errors.New("-starts, -requests and -scale-requests must be at least 1, -warmup at least 0")
	}
	for _, f := range strings.Split(scale, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return o, fmt.Errorf("-scale: %q is not a number of cases", f)
		}
		o.scale = append(o.scale, n)
	}
	return o, nil
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
		env, envErr = newEnvironment(ctx, root, opt.scale)
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
	r.seedTime = env.seedTime

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
	samples, err := measureColdStarts(ctx, hostBins, all, env.functionEnv(), opt.starts)
	if err != nil {
		return fmt.Errorf("cold starts: %w", err)
	}
	r.coldStarts = summarizeColdStarts(samples, all)
	if r.jwksFetch, err = measureJWKSFetch(ctx, env.jwksURL(), opt.starts); err != nil {
		return err
	}

	progress("latency and CPU: %d requests each after %d warm-up", opt.requests, opt.warmup)
	if r.latency, err = env.p.measure(ctx, []target{
		{name: "authorizer", do: env.p.authorize(env.latencyOrg)},
		{name: "GET /cases/{caseId}", do: env.p.readCase(env.latencyOrg, env.latencyCase)},
	}, opt.warmup, opt.requests); err != nil {
		return fmt.Errorf("latency: %w", err)
	}

	progress("scale: organizations of %v cases, %d requests each", opt.scale, opt.scaleRequests)
	var scaleTargets []target
	for _, o := range env.scale {
		scaleTargets = append(scaleTargets,
			target{name: "authorizer", do: env.p.authorize(o.orgID)},
			target{name: "GET /cases/{caseId}", do: env.p.readCase(o.orgID, o.caseID)})
	}
	measured, err := env.p.measure(ctx, scaleTargets, opt.warmup/len(env.scale)+1, opt.scaleRequests)
	if err != nil {
		return fmt.Errorf("scale: %w", err)
	}
	for i, o := range env.scale {
		r.scale = append(r.scale, scaleRow{cases: o.cases, authorizer: measured[2*i], read: measured[2*i+1]})
	}

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
	latencyOrg       string
	latencyCase      string
	scale            []scaleOrg
	seedTime         time.Duration
	closeOnce        sync.Once
}

// newEnvironment starts the emulators, creates the table and the user pool, and seeds an
// organization for the latency measurement and one per scale size.
func newEnvironment(ctx context.Context, root string, scale []int) (*environment, error) {
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
	org, client, err := e.p.newOrg(ctx, "Latency LLP")
	if err != nil {
		return e, err
	}
	for _, name := range []string{"Knee MRI", "Back injury", "Car accident"} {
		if e.latencyCase, err = e.p.newCase(ctx, org, client, name); err != nil {
			return e, err
		}
	}
	e.latencyOrg = org
	start := time.Now()
	for _, n := range scale {
		o, err := e.p.seedScaleOrg(ctx, n)
		if err != nil {
			return e, err
		}
		e.scale = append(e.scale, o)
	}
	e.seedTime = time.Since(start)
	return e, nil
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
