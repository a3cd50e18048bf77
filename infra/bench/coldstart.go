package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/casescribe/sharing/infra/lambdastub"
	"github.com/casescribe/sharing/infra/localstack"
)

// initTimeout bounds one function's init: far above any healthy figure, so that a function
// that hangs fails the benchmark instead of stalling it.
const initTimeout = 15 * time.Second

// lambdaEnv is the environment Lambda gives a function, with the emulators' region and
// credentials, plus extra.
func lambdaEnv(name, bin, runtimeAPI string, extra map[string]string) []string {
	vars := map[string]string{
		"AWS_REGION":            localstack.Region,
		"AWS_DEFAULT_REGION":    localstack.Region,
		"AWS_ACCESS_KEY_ID":     localstack.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": localstack.SecretAccessKey,
	}
	maps.Copy(vars, extra)
	return lambdastub.Env(name, bin, runtimeAPI, vars)
}

// coldStartOnce starts bin under a fresh Runtime API stub and returns the time from just
// before the exec to the function's first GET .../invocation/next, which is when its init is
// over. The process is killed as soon as it asks for an event.
func coldStartOnce(ctx context.Context, name, bin string, extra map[string]string) (time.Duration, error) {
	stub, err := lambdastub.New(name)
	if err != nil {
		return 0, err
	}
	defer stub.Close()
	var output bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Dir = filepath.Dir(bin)
	cmd.Env = lambdaEnv(name, bin, stub.Addr(), extra)
	cmd.Stdout, cmd.Stderr = &output, &output

	started := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill() // an already exited process only makes this return an error
		<-exited
	}
	timer := time.NewTimer(initTimeout)
	defer timer.Stop()
	select {
	case <-stub.Ready():
		d := stub.FirstNext().Sub(started)
		stop()
		return d, nil
	case err := <-exited:
		return 0, fmt.Errorf("%s exited during init (%v): %s", name, err, strings.TrimSpace(output.String()))
	case <-timer.C:
		stop()
		return 0, fmt.Errorf("%s did not finish its init within %v: %s", name, initTimeout, strings.TrimSpace(output.String()))
	case <-ctx.Done():
		stop()
		return 0, fmt.Errorf("cold start of %s: %w", name, context.Cause(ctx))
	}
}

// measureColdStarts starts every binary once to warm the page cache, then starts times more
// each, interleaved: each round starts every binary once, beginning one further along the list
// than the round before, so that drift in the machine's load spreads over all of them. env
// is the configuration of each binary. It returns the measured inits by name.
func measureColdStarts(ctx context.Context, bins map[string]string, names []string, env func(name string) map[string]string, times int) (map[string][]time.Duration, error) {
	for _, name := range names {
		if _, err := coldStartOnce(ctx, name, bins[name], env(name)); err != nil {
			return nil, err
		}
	}
	samples := map[string][]time.Duration{}
	for round := range times {
		for i := range names {
			name := names[(round+i)%len(names)]
			d, err := coldStartOnce(ctx, name, bins[name], env(name))
			if err != nil {
				return nil, err
			}
			samples[name] = append(samples[name], d)
		}
	}
	return samples, nil
}

// measureJWKSFetch times what the authorizer's init does beyond the other functions: one GET of
// the user pool's JWKS, on a new connection as in a fresh process. It returns the median of
// times fetches.
func measureJWKSFetch(ctx context.Context, url string, times int) (time.Duration, error) {
	var ds []time.Duration
	for range times {
		client := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, fmt.Errorf("JWKS fetch: %w", err)
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, fmt.Errorf("JWKS fetch: %w", err)
		}
		var body bytes.Buffer
		_, err = body.ReadFrom(resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		client.CloseIdleConnections()
		if err != nil || resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("JWKS fetch: status %d, %v", resp.StatusCode, err)
		}
		ds = append(ds, d)
	}
	return median(ds), nil
}

// coldStartRow is one line of the cold-start table.
type coldStartRow struct {
	Name    string
	Median  time.Duration
	Min     time.Duration
	Samples int
}

// summarizeColdStarts turns samples into rows, in the order of names.
func summarizeColdStarts(samples map[string][]time.Duration, names []string) []coldStartRow {
	var rows []coldStartRow
	for _, n := range names {
		s := samples[n]
		if len(s) == 0 {
			continue
		}
		rows = append(rows, coldStartRow{Name: n, Median: median(s), Min: slices.Min(s), Samples: len(s)})
	}
	return rows
}
