package main

import (
	"errors"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of four is the second", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"median of five is the third", ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{"p99 of 100 is the 99th", hundred, 99, 99 * time.Millisecond},
		{"p100 is the max", hundred, 100, 100 * time.Millisecond},
		{"p99 of 10 is the max", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"a tiny p is the min", hundred, 0.001, time.Millisecond},
	}
	for _, tt := range tests {
		if got := percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("%s: percentile(p%v) = %v, want %v", tt.name, tt.p, got, tt.want)
		}
	}
}

func TestJudge(t *testing.T) {
	race := map[int]string{409: "stale version"}
	tests := []struct {
		name string
		cl   call
		a    answer
		want outcome
	}{
		{"success", call{want: 200}, answer{status: 200}, succeeded},
		{"created", call{want: 201}, answer{status: 201}, succeeded},
		{"another 2xx is not the success", call{want: 201}, answer{status: 200}, failed},
		{"expected refusal as the success", call{want: 404}, answer{status: 404}, succeeded},
		{"404 where 200 was wanted", call{want: 200}, answer{status: 404}, failed},
		{"expected 409", call{want: 200, expect: race}, answer{status: 409}, expected},
		{"409 not expected", call{want: 200}, answer{status: 409}, failed},
		{"5xx is never expected", call{want: 200, expect: map[int]string{500: "no"}}, answer{status: 500}, failed},
		{"no answer", call{want: 200, expect: race}, answer{err: errors.New("reset")}, failed},
	}
	for _, tt := range tests {
		if got := judge(tt.cl, tt.a); got != tt.want {
			t.Errorf("%s: judge = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRecorder(t *testing.T) {
	r := newRecorder()
	cl := call{route: "PATCH /facts/{factId}", want: 200, write: true, expect: map[int]string{409: "race"}, path: "/facts/x", body: map[string]int{"version": 2}}
	for i := range 10 {
		r.record(cl, answer{status: 200, latency: time.Duration(i+1) * time.Millisecond})
	}
	r.record(cl, answer{status: 409, latency: time.Millisecond, body: []byte(`{"error":{"code":"conflict","message":"changed since version 7"}}`)})
	r.record(cl, answer{status: 400, latency: time.Millisecond})
	r.record(cl, answer{status: 503, latency: 50 * time.Millisecond})
	r.record(cl, answer{err: errors.New("reset")})

	all := newRecorder()
	all.merge(r)
	all.merge(newRecorder())
	row := summarize(routeKey{route: cl.route}, all.routes[routeKey{route: cl.route}])
	if row.count != 14 || row.fourxx != 2 || row.unexpected != 1 || row.fivexx != 1 || row.failed != 3 || !row.write {
		t.Errorf("row = %+v, want 14 requests, 2 4xx of which 1 unexpected, 1 5xx, 3 failed", row)
	}
	if row.max != 50*time.Millisecond || row.p50 != 5*time.Millisecond {
		t.Errorf("p50 %v max %v, want 5ms and 50ms", row.p50, row.max)
	}
	if got := all.expected[expectedKey{cl.route, 409, "race", "changed since version N"}]; got != 1 {
		t.Errorf("expected 409s = %d, want 1", got)
	}
	if all.failed != 3 || len(all.failures) != 3 || !strings.Contains(all.failures[0].request, `"version":2`) {
		t.Errorf("failures = %d %+v, want 3 with their request bodies", all.failed, all.failures)
	}
}

func TestCheckFact(t *testing.T) {
	acks := func(m map[int]factState) map[int]factState { return m }
	v1 := factState{text: "a", tags: []string{"imaging"}}
	v2 := factState{text: "b", tags: []string{"imaging"}}
	v3 := factState{text: "b", tags: []string{"imaging", "reviewed"}}
	tests := []struct {
		name          string
		r             factRecord
		s             *storedFact
		lost, anomaly int
		verified      int
	}{
		{"created and found", factRecord{created: true, acks: acks(map[int]factState{1: v1})},
			&storedFact{1, "a", []string{"imaging"}}, 0, 0, 1},
		{"created, not found", factRecord{created: true, acks: acks(map[int]factState{1: v1})}, nil, 1, 0, 0},
		{"edits and a tag reflected", factRecord{acks: acks(map[int]factState{1: v1, 2: v2, 3: v3}), edits: 1, tags: []string{"reviewed"}},
			&storedFact{3, "b", []string{"imaging", "Reviewed"}}, 0, 0, 2},
		{"stored behind the last acknowledged version", factRecord{acks: acks(map[int]factState{1: v1, 2: v2}), edits: 1},
			&storedFact{1, "a", []string{"imaging"}}, 1, 0, 0},
		{"last acknowledged version with other text", factRecord{acks: acks(map[int]factState{1: v1, 2: v2}), edits: 2},
			&storedFact{2, "x", []string{"imaging"}}, 1, 0, 1},
		{"a version nobody acknowledged", factRecord{acks: acks(map[int]factState{1: v1})},
			&storedFact{2, "z", []string{"imaging"}}, 0, 1, 0},
		{"a version after an unanswered write", factRecord{acks: acks(map[int]factState{1: v1}), uncertain: true},
			&storedFact{2, "z", []string{"imaging"}}, 0, 0, 0},
		{"an acknowledged tag missing", factRecord{acks: acks(map[int]factState{1: v1}), tags: []string{"lien"}},
			&storedFact{1, "a", []string{"imaging"}}, 1, 0, 0},
		{"two answers for one version", factRecord{acks: acks(map[int]factState{2: v2}), edits: 2, clashes: []string{"v2 twice"}},
			&storedFact{2, "b", []string{"imaging"}}, 1, 0, 0},
		{"deleted and gone", factRecord{created: true, deleted: true, acks: acks(map[int]factState{1: v1})}, nil, 0, 0, 2},
		{"deleted, still there", factRecord{deleted: true, acks: acks(map[int]factState{1: v1})},
			&storedFact{1, "a", []string{"imaging"}}, 1, 0, 0},
	}
	for _, tt := range tests {
		tl := newTally()
		r := tt.r
		r.id = "F"
		checkFact(&r, tt.s, tl)
		if got := tl.total(tl.lost); got != tt.lost {
			t.Errorf("%s: lost %d, want %d (%v)", tt.name, got, tt.lost, tl.problems)
		}
		if tl.anomalies != tt.anomaly {
			t.Errorf("%s: anomalies %d, want %d (%v)", tt.name, tl.anomalies, tt.anomaly, tl.problems)
		}
		if got := tl.total(tl.verified); got != tt.verified {
			t.Errorf("%s: verified %d, want %d", tt.name, got, tt.verified)
		}
		if tl.total(tl.acked) != tl.total(tl.verified)+tl.total(tl.lost) {
			t.Errorf("%s: acknowledged %v is not verified %v + lost %v", tt.name, tl.acked, tl.verified, tl.lost)
		}
	}
}

func TestCheckVersioned(t *testing.T) {
	tests := []struct {
		name           string
		acks           map[int]string
		clashes        []string
		version        int
		text           string
		verified, lost int
	}{
		{"last save stored", map[int]string{2: "a", 3: "b"}, nil, 3, "b", 2, 0},
		{"a later save nobody acknowledged", map[int]string{2: "a"}, nil, 4, "c", 1, 0},
		{"stored behind", map[int]string{2: "a", 3: "b"}, nil, 2, "a", 0, 2},
		{"other text at the last version", map[int]string{2: "a", 3: "b"}, nil, 3, "x", 1, 1},
		{"two saves answered one version", map[int]string{3: "b"}, []string{"v3 twice"}, 3, "b", 0, 1},
	}
	for _, tt := range tests {
		tl := newTally()
		checkVersioned("summary", &versioned{acks: tt.acks, clashes: tt.clashes}, tt.version, tt.text, tl, kindSummarySaved)
		if tl.verified[kindSummarySaved] != tt.verified || tl.lost[kindSummarySaved] != tt.lost {
			t.Errorf("%s: verified %d lost %d, want %d and %d", tt.name, tl.verified[kindSummarySaved], tl.lost[kindSummarySaved], tt.verified, tt.lost)
		}
	}
}

func TestLedgerNoticesTwoAnswersForOneVersion(t *testing.T) {
	l := newLedger()
	l.knowFact(factJSON{ID: "F", CaseID: "K", Text: "a", Version: 1})
	l.ackFact(kindFactEdited, factJSON{ID: "F", CaseID: "K", Text: "b", Version: 2}, "")
	l.ackFact(kindFactEdited, factJSON{ID: "F", CaseID: "K", Text: "c", Version: 2}, "")
	if r := l.facts["F"]; len(r.clashes) != 1 || r.edits != 2 {
		t.Errorf("record = %+v, want one clash and two edits", r)
	}
	l.ackFact(kindTagAdded, factJSON{ID: "F", CaseID: "K", Text: "c", Tags: []string{"lien"}, Version: 3}, "lien")
	l.ackFact(kindTagAdded, factJSON{ID: "F", CaseID: "K", Text: "c", Tags: []string{"lien"}, Version: 3}, "lien")
	if r := l.facts["F"]; len(r.clashes) != 1 || len(r.tags) != 2 {
		t.Errorf("record = %+v: a tag already there answers the same version, no clash", r)
	}
}

func TestLoopback(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:3000", true},
		{"http://127.0.0.1:3000/", true},
		{"http://[::1]:3000", true},
		{"http://127.8.9.10:3000", true},
		{"http://localhost:3000", true},
		{"http://10.0.0.5:3000", false},
		{"http://0.0.0.0:3000", false},
		{"http://192.168.1.2", false},
		{"http://api.example.com", false},
		{"https://127.0.0.1:3000", false},
		{"127.0.0.1:3000", false},
		{"http://127.0.0.1:3000/prod", false},
		{"http://user@127.0.0.1:3000", false},
	}
	for _, tt := range tests {
		err := loopbackURL(tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("loopbackURL(%q) = %v, want ok %v", tt.url, err, tt.ok)
		}
	}
	for addr, ok := range map[string]bool{"127.0.0.1:0": true, "[::1]:8080": true, ":3000": false, "0.0.0.0:3000": false, "127.0.0.1": false} {
		if err := loopbackHostPort(addr); (err == nil) != ok {
			t.Errorf("loopbackHostPort(%q) = %v, want ok %v", addr, err, ok)
		}
	}
	for addr, ok := range map[string]bool{"127.0.0.1:9": true, "[::1]:9": true, "93.184.216.34:443": false, "[2001:db8::1]:80": false} {
		if err := loopbackOnly("tcp", addr, nil); (err == nil) != ok {
			t.Errorf("loopbackOnly(%q) = %v, want ok %v", addr, err, ok)
		}
	}
}

func TestPickFollowsWeights(t *testing.T) {
	counts := map[string]int{}
	mix := []op{{name: "a", weight: 1}, {name: "b", weight: 3}, {name: "never", weight: 0}, {name: "c", weight: 6}}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 100000
	for range n {
		counts[pick(rng, mix).name]++
	}
	for name, share := range map[string]float64{"a": 0.1, "b": 0.3, "c": 0.6, "never": 0} {
		got := float64(counts[name]) / n
		if got < share-0.01 || got > share+0.01 {
			t.Errorf("%s picked %.3f of the time, want %.2f", name, got, share)
		}
	}
}

func TestBudgetIsExact(t *testing.T) {
	b := &budget{max: 1000}
	var taken sync.WaitGroup
	var mu sync.Mutex
	got := 0
	for range 16 {
		taken.Go(func() {
			n := 0
			for b.take() {
				n++
			}
			mu.Lock()
			got += n
			mu.Unlock()
		})
	}
	taken.Wait()
	if got != 1000 || !b.spent() {
		t.Errorf("took %d requests of a budget of 1000", got)
	}
}

func TestTokenInLink(t *testing.T) {
	token := "abc.DEF_12-x+/="
	body := "Alice invited you to Load Test LLP.\n\nAccept: http://localhost:5173/invitations/accept?token=" + url.QueryEscape(token) + "\n\nThe link expires in 7 days."
	m := tokenInLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no token found")
	}
	if got, err := url.QueryUnescape(m[1]); err != nil || got != token {
		t.Errorf("token = %q %v, want %q", got, err, token)
	}
}
