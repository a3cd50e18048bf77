package main

import (
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"time"
)

// routeKey names a row of the report: a route and the variant of it a caller used.
type routeKey struct {
	route, label string
}

func (k routeKey) String() string {
	if k.label == "" {
		return k.route
	}
	return k.route + " (" + k.label + ")"
}

// routeStats is what one route's requests came to.
type routeStats struct {
	write     bool
	latencies []time.Duration
	// expected4xx are answers the caller meant to provoke or knew could come (a stale version
	// in a deliberate race); unexpected4xx, server5xx, other (a status that is neither) and
	// noAnswer (no HTTP answer) fail the run.
	expected4xx, unexpected4xx, server5xx, other, noAnswer int
}

func (s *routeStats) count() int { return len(s.latencies) + s.noAnswer }

// expectedKey groups the expected 4xx answers of the report: why the caller expected it, and
// what the API said.
type expectedKey struct {
	route   string
	status  int
	why     string
	message string
}

// failure is one answer that fails the run, kept as a reproducer.
type failure struct {
	route, who, path, request, answer string
	status                            int
}

// digits are replaced by N in the API's messages, so that "changed since version 7" and
// "changed since version 9" count as one.
var digits = regexp.MustCompile(`[0-9]+`)

// outcome is how one answer is judged.
type outcome int

const (
	succeeded outcome = iota
	expected
	failed
)

// maxFailures bounds the reproducers kept per recorder.
const maxFailures = 20

// recorder holds what one caller saw; callers never share one, and they are merged at the end.
type recorder struct {
	routes   map[routeKey]*routeStats
	expected map[expectedKey]int
	failures []failure
	failed   int
}

func newRecorder() *recorder {
	return &recorder{routes: map[routeKey]*routeStats{}, expected: map[expectedKey]int{}}
}

// record judges an answer to cl and counts it.
func (r *recorder) record(cl call, a answer) outcome {
	k := routeKey{cl.route, cl.label}
	s := r.routes[k]
	if s == nil {
		s = &routeStats{write: cl.write}
		r.routes[k] = s
	}
	o := judge(cl, a)
	switch {
	case a.err != nil:
		s.noAnswer++
	default:
		s.latencies = append(s.latencies, a.latency)
		switch {
		case o == expected:
			s.expected4xx++
			_, msg := a.apiError()
			r.expected[expectedKey{cl.route, a.status, cl.expect[a.status], digits.ReplaceAllString(msg, "N")}]++
		case o == succeeded:
		case a.status >= 500:
			s.server5xx++
		case a.status >= 400:
			s.unexpected4xx++
		default:
			s.other++
		}
	}
	if o == failed {
		r.failed++
		if len(r.failures) < maxFailures {
			f := failure{route: cl.route, who: whoLabel(cl.who), path: cl.path, status: a.status, answer: truncate(string(a.body), 400)}
			if cl.body != nil {
				raw, _ := json.Marshal(cl.body)
				f.request = truncate(string(raw), 400)
			}
			if a.err != nil {
				f.answer = a.err.Error()
			}
			r.failures = append(r.failures, f)
		}
	}
	return o
}

// judge says whether an answer is the call's success, an answer it expected, or a failure.
func judge(cl call, a answer) outcome {
	switch {
	case a.err != nil:
		return failed
	case a.status == cl.want:
		return succeeded
	case a.status >= 400 && a.status < 500 && cl.expect[a.status] != "":
		return expected
	}
	return failed
}

// merge adds o's counts to r.
func (r *recorder) merge(o *recorder) {
	for k, s := range o.routes {
		t := r.routes[k]
		if t == nil {
			t = &routeStats{write: s.write}
			r.routes[k] = t
		}
		t.latencies = append(t.latencies, s.latencies...)
		t.expected4xx += s.expected4xx
		t.unexpected4xx += s.unexpected4xx
		t.server5xx += s.server5xx
		t.other += s.other
		t.noAnswer += s.noAnswer
	}
	for k, n := range o.expected {
		r.expected[k] += n
	}
	r.failed += o.failed
	for _, f := range o.failures {
		if len(r.failures) < 3*maxFailures {
			r.failures = append(r.failures, f)
		}
	}
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of sorted, an ascending
// slice: the smallest value with at least p percent of the values at or below it; 0 for none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = max(1, min(rank, n))
	return sorted[rank-1]
}

// summary is one row of the report.
type summary struct {
	key                        routeKey
	write                      bool
	count                      int
	p50, p99, max              time.Duration
	fourxx, unexpected, fivexx int
	failed                     int
}

// summarize turns the stats of one route into its row.
func summarize(k routeKey, s *routeStats) summary {
	sorted := slices.Clone(s.latencies)
	slices.Sort(sorted)
	row := summary{key: k, write: s.write, count: s.count(),
		p50: percentile(sorted, 50), p99: percentile(sorted, 99),
		fourxx: s.expected4xx + s.unexpected4xx, unexpected: s.unexpected4xx, fivexx: s.server5xx,
		failed: s.unexpected4xx + s.server5xx + s.other + s.noAnswer}
	if len(sorted) > 0 {
		row.max = sorted[len(sorted)-1]
	}
	return row
}
