// Command load is `make load`: a load test of the API on this machine, loopback only, bounded
// in time and in requests.
//
// It starts the emulators on free ports and serves the API in-process on a loopback listener,
// with the local server's handlers and authorizer (or, given -api, uses a local server already
// running), and seeds one organization through the API: staff and guests signed in through
// cognito-local, the guests joining through their invitation emails and holding a client
// share, a case share carrying a chat and a share limited to a saved view; clients, cases,
// facts, views, documents, comments, chats and summaries. Then N callers mix reads (about
// four in five) and writes for the duration, including deliberate races on versioned writes.
//
// Every request is recorded (route, status, latency). Any 5xx, any 4xx the caller did not
// expect and any answer that shows a guest more than was shared fails the run; expected 4xx
// (a stale version lost in a race, a guest refused) are counted apart. Afterwards every write
// the API acknowledged is read back and counted: none may be lost. The report (markdown, on
// standard output) gives p50, p99 and max per route, throughput, the machine and its load.
// The exit status is non-zero when the run fails.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	code, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

// options are the run's knobs.
type options struct {
	duration    time.Duration
	callers     int
	maxRequests int64
	addr        string
	apiURL      string
	stack       string
}

func parseFlags() (options, error) {
	var o options
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "how long the callers run")
	flag.IntVar(&o.callers, "callers", 16, "concurrent callers")
	flag.Int64Var(&o.maxRequests, "max-requests", 200000, "the most requests the callers send, whatever the time left")
	flag.StringVar(&o.addr, "addr", "127.0.0.1:0", "loopback address the in-process API listens on")
	flag.StringVar(&o.apiURL, "api", "", "load a local server already running (make run) at this loopback URL, such as http://127.0.0.1:3000, instead of starting one")
	flag.StringVar(&o.stack, "stack", ".local/stack.json", "with -api: the stack file the running server wrote")
	flag.Parse()
	switch {
	case flag.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %v", flag.Args())
	case o.duration <= 0 || o.duration > time.Hour:
		return o, errors.New("-duration must be more than 0 and at most 1h")
	case o.callers < 1 || o.callers > 1024:
		return o, errors.New("-callers must be from 1 to 1024")
	case o.maxRequests < 1:
		return o, errors.New("-max-requests must be at least 1")
	}
	if o.apiURL != "" {
		if err := loopbackURL(o.apiURL); err != nil {
			return o, fmt.Errorf("-api: %w", err)
		}
	} else if err := loopbackHostPort(o.addr); err != nil {
		return o, fmt.Errorf("-addr: %w", err)
	}
	return o, nil
}

// run returns the exit status: 0 when the run passes, 1 when it fails; an error when it could
// not run.
func run() (int, error) {
	opt, err := parseFlags()
	if err != nil {
		return 0, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r := &report{date: time.Now().UTC(), callers: opt.callers, duration: opt.duration, maxRequests: opt.maxRequests, loadBefore: loadAverage()}
	runID := newRunID()
	hc := newHTTPClient(opt.callers)

	var t *target
	if opt.apiURL != "" {
		progress("using the local server at %s", opt.apiURL)
		t, err = attach(ctx, opt.apiURL, opt.stack, hc)
	} else {
		progress("starting the emulators and the API")
		t, err = startInProcess(ctx, opt.addr, runID)
	}
	if err != nil {
		return 0, err
	}
	defer t.close()
	r.where = t.where

	progress("seeding through the API")
	began := time.Now()
	led := newLedger()
	w, c, err := seed(ctx, t, hc, led, runID)
	if err != nil {
		return 0, fmt.Errorf("seed: %w", err)
	}
	r.seedTime, r.seed = time.Since(began), w.counts

	progress("%d callers for %s, at most %d requests", opt.callers, opt.duration, opt.maxRequests)
	b := &budget{max: opt.maxRequests}
	start := time.Now()
	end := start.Add(opt.duration)
	var finished time.Time
	r.rec, r.isolation, r.races, finished = runWorkload(ctx, w, c, led, opt.callers, end, b)
	r.elapsed = finished.Sub(start)
	r.loadAfter = loadAverage()
	switch {
	case ctx.Err() != nil:
		r.stoppedBy = "an interrupt"
	case b.spent():
		r.stoppedBy = "the request budget"
	default:
		r.stoppedBy = "time"
	}
	stop() // a second interrupt now stops the program at once

	progress("reading back every acknowledged write")
	vctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	r.v, err = verify(vctx, c, w, led, t.st)
	if err != nil {
		progress("reading back failed: %v", err)
	}
	fmt.Print(r.markdown())
	if len(r.failures()) > 0 {
		return 1, nil
	}
	return 0, nil
}

// progress says on standard error what the run is doing.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "load: "+format+"\n", args...)
}
