package main

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// report is everything the run prints.
type report struct {
	date                  time.Time
	where                 string
	callers               int
	duration, elapsed     time.Duration
	maxRequests           int64
	stoppedBy             string
	seedTime              time.Duration
	seed                  []seedCount
	rec                   *recorder
	isolation             int
	races                 races
	v                     *verification
	loadBefore, loadAfter string
}

// failures lists why the run fails; none means it passes.
func (r *report) failures() []string {
	var out []string
	var fivexx, unexpected, other int
	for _, s := range r.rec.routes {
		fivexx += s.server5xx
		unexpected += s.unexpected4xx
		other += s.other + s.noAnswer
	}
	if fivexx > 0 {
		out = append(out, fmt.Sprintf("%d answers 5xx", fivexx))
	}
	if unexpected > 0 {
		out = append(out, fmt.Sprintf("%d unexpected 4xx answers", unexpected))
	}
	if other > 0 {
		out = append(out, fmt.Sprintf("%d requests without the expected answer (wrong status or no answer)", other))
	}
	if r.races.two > 0 {
		out = append(out, fmt.Sprintf("%d races of two writes with one version were both acknowledged (a lost update)", r.races.two))
	}
	if r.isolation > 0 {
		out = append(out, fmt.Sprintf("%d answers showed a guest more than was shared", r.isolation))
	}
	if r.v == nil {
		out = append(out, "the writes could not be read back")
	} else {
		if lost := r.v.t.total(r.v.t.lost); lost > 0 {
			out = append(out, fmt.Sprintf("%d acknowledged writes lost", lost))
		}
		if n := r.v.t.anomalies; n > 0 {
			out = append(out, fmt.Sprintf("%d other inconsistencies found reading back", n))
		}
	}
	return out
}

// markdown renders the report.
func (r *report) markdown() string {
	var b strings.Builder
	m := describeMachine()
	fmt.Fprintf(&b, "# make load: %s\n\n", r.date.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- Machine: %s, %d cores, %s, %s, %s; load average (1, 5, 15 min) %s before the run, %s at its end (the emulators and the API share the machine with the callers)\n",
		m.cpu, m.cores, m.memory, m.goVersion, m.osArch, orUnknown(r.loadBefore), orUnknown(r.loadAfter))
	fmt.Fprintf(&b, "- Server: %s; loopback only\n", r.where)
	fmt.Fprintf(&b, "- Run: %d concurrent callers for %s (asked %s, at most %d requests; ended by %s)\n",
		r.callers, r.elapsed.Round(10*time.Millisecond), r.duration, r.maxRequests, r.stoppedBy)
	var seeded []string
	for _, c := range r.seed {
		seeded = append(seeded, fmt.Sprintf("%d %s", c.n, c.what))
	}
	fmt.Fprintf(&b, "- Seeded through the API in %s: one organization; %s\n\n", r.seedTime.Round(100*time.Millisecond), strings.Join(seeded, ", "))

	rows := make([]summary, 0, len(r.rec.routes))
	var all []time.Duration
	var total, reads, writes, fourxx, unexpected, fivexx int
	for k, s := range r.rec.routes {
		row := summarize(k, s)
		rows = append(rows, row)
		all = append(all, s.latencies...)
		total += row.count
		if s.write {
			writes += row.count
		} else {
			reads += row.count
		}
		fourxx += row.fourxx
		unexpected += row.unexpected
		fivexx += row.fivexx
	}
	slices.SortFunc(rows, func(a, b summary) int {
		return cmp.Or(cmp.Compare(pathOf(a.key.route), pathOf(b.key.route)), cmp.Compare(a.key.route, b.key.route), cmp.Compare(a.key.label, b.key.label))
	})
	b.WriteString("| route | count | p50 | p99 | max | 4xx | unexpected 4xx | 5xx |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, row := range rows {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %d | %d | %d |\n", row.key, row.count, ms(row.p50), ms(row.p99), ms(row.max), row.fourxx, row.unexpected, row.fivexx)
	}
	slices.Sort(all)
	fmt.Fprintf(&b, "| **all** | **%d** | **%s** | **%s** | **%s** | **%d** | **%d** | **%d** |\n\n", total, ms(percentile(all, 50)), ms(percentile(all, 99)),
		ms(last(all)), fourxx, unexpected, fivexx)
	secs := r.elapsed.Seconds()
	fmt.Fprintf(&b, "%d requests in %.1f s: **%.0f requests/s** (%.0f per core); reads %s, writes %s (a preview is a read).\n\n",
		total, secs, float64(total)/secs, float64(total)/secs/float64(m.cores), pct(reads, total), pct(writes, total))

	if len(r.rec.expected) > 0 {
		b.WriteString("Expected 4xx, counted apart:\n\n| route | status | why | the API's message | count |\n|---|---:|---|---|---:|\n")
		keys := make([]expectedKey, 0, len(r.rec.expected))
		for k := range r.rec.expected {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b expectedKey) int {
			return cmp.Or(cmp.Compare(a.route, b.route), cmp.Compare(a.status, b.status), cmp.Compare(a.why, b.why), cmp.Compare(a.message, b.message))
		})
		for _, k := range keys {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %d |\n", k.route, k.status, k.why, k.message, r.rec.expected[k])
		}
		b.WriteString("\n")
	}

	if n := r.races.one + r.races.none + r.races.two; n > 0 {
		fmt.Fprintf(&b, "Deliberate races, two writes sent at once with the same version: %d pairs; exactly one won in %d, neither in %d (a third write came first), both in %d (must be 0).\n\n",
			n, r.races.one, r.races.none, r.races.two)
	}

	if r.v != nil {
		t := r.v.t
		fmt.Fprintf(&b, "Acknowledged writes, read back through the API afterwards (%d reads):\n\n| write | acknowledged | verified | lost |\n|---|---:|---:|---:|\n", r.v.requests)
		for _, k := range kinds {
			if t.acked[k] > 0 {
				fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", k, t.acked[k], t.verified[k], t.lost[k])
			}
		}
		fmt.Fprintf(&b, "| **all** | **%d** | **%d** | **%d** |\n\n", t.total(t.acked), t.total(t.verified), t.total(t.lost))
		if r.v.storeFacts > 0 {
			fmt.Fprintf(&b, "The table itself, read directly: %d facts, %d differ from what the API answered.\n\n", r.v.storeFacts, r.v.storeMismatches)
		}
		if len(t.problems) > 0 {
			b.WriteString("Found reading back:\n\n")
			for i, p := range t.problems {
				if i == 30 {
					fmt.Fprintf(&b, "- … and %d more\n", len(t.problems)-30)
					break
				}
				fmt.Fprintf(&b, "- %s\n", p)
			}
			b.WriteString("\n")
		}
	}

	if len(r.rec.failures) > 0 {
		fmt.Fprintf(&b, "Failed requests (%d; the first %d, as reproducers):\n\n", r.rec.failed, len(r.rec.failures))
		for _, f := range r.rec.failures {
			fmt.Fprintf(&b, "- %s as %s: `%s` body `%s` → %d `%s`\n", f.route, f.who, f.path, f.request, f.status, f.answer)
		}
		b.WriteString("\n")
	}
	if fails := r.failures(); len(fails) > 0 {
		fmt.Fprintf(&b, "**FAIL**: %s.\n", strings.Join(fails, "; "))
	} else {
		b.WriteString("**PASS**: no 5xx, no unexpected 4xx, every acknowledged write found again.\n")
	}
	return b.String()
}

// pathOf is the path of a route key, to sort rows by path, then method.
func pathOf(route string) string {
	_, p, _ := strings.Cut(route, " ")
	return p
}

func last(sorted []time.Duration) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[len(sorted)-1]
}

// ms formats a latency in milliseconds: "3.2 ms".
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func pct(n, total int) string {
	if total == 0 {
		return "0 %"
	}
	return fmt.Sprintf("%.1f %%", 100*float64(n)/float64(total))
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// machine is where the run ran: enough to compare runs, nothing naming the host.
type machine struct {
	cpu, memory, goVersion, osArch string
	cores                          int
}

func describeMachine() machine {
	m := machine{cpu: "unknown CPU", memory: "unknown memory", goVersion: runtime.Version(), osArch: runtime.GOOS + "/" + runtime.GOARCH, cores: runtime.NumCPU()}
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if v := field(raw, "model name"); v != "" {
			m.cpu = v
		}
	}
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(field(raw, "MemTotal"), "%d kB", &kb); err == nil {
			m.memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	return m
}

// field is the value of the first "key: value" line of a /proc file.
func field(raw []byte, key string) string {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAverage is the machine's load average over 1, 5 and 15 minutes, "" where unknown.
func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
