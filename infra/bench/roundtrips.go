package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// roundTripReportEnv is the variable through which TestRoundTripBudgets (pkg/api) writes its
// measurements for the report.
const roundTripReportEnv = "CASESCRIBE_ROUNDTRIP_REPORT"

// roundTripRow is one row TestRoundTripBudgets writes: a route, or the authorizer.
type roundTripRow struct {
	ID         string   `json:"id"`
	Route      string   `json:"route"`
	Kind       string   `json:"kind"`
	Status     int      `json:"status"`
	Calls      int      `json:"calls"`
	Writes     int      `json:"writes"`
	Waves      int      `json:"waves"`
	Operations []string `json:"operations"`
	Budget     string   `json:"budget"`
	Met        bool     `json:"met"`
	Problem    string   `json:"problem"`
}

// roundTrips is the outcome of the round-trip test.
type roundTrips struct {
	rows []roundTripRow
	// passed is whether the test passed; output is its failure output, if any.
	passed bool
	output string
}

// runRoundTripTest runs TestRoundTripBudgets, the test `make test` runs too, so that the one
// table of route fixtures (in pkg/api) serves both, and reads the measurements it writes. The
// test starts emulators of its own. A failing test is reported, not returned as an error;
// only a test that could not report anything is an error.
func runRoundTripTest(ctx context.Context, root, dir string) (roundTrips, error) {
	out := filepath.Join(dir, "roundtrips.json")
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-run", "^TestRoundTripBudgets$", "./pkg/api/")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CASESCRIBE_REQUIRE_EMULATORS=1", roundTripReportEnv+"="+out)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	runErr := cmd.Run()
	rt := roundTrips{passed: runErr == nil}
	if runErr != nil {
		rt.output = failureLines(output.String(), root)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		return rt, fmt.Errorf("round-trip test wrote no measurements (%v):\n%s", runErr, rt.output)
	}
	if err := json.Unmarshal(raw, &rt.rows); err != nil {
		return rt, fmt.Errorf("round-trip measurements: %w", err)
	}
	return rt, nil
}

// failureLines keeps the lines of go test's output that say what failed, at most 40, with
// the repository's location removed.
func failureLines(output, root string) string {
	var keep []string
	for _, line := range strings.Split(output, "\n") {
		line = strings.ReplaceAll(line, root+string(filepath.Separator), "")
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "=== RUN") || strings.HasPrefix(t, "--- PASS") {
			continue
		}
		keep = append(keep, t)
		if len(keep) == 40 {
			keep = append(keep, "…")
			break
		}
	}
	return strings.Join(keep, "\n")
}
