package main

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestThousands(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{{1, "1"}, {100, "100"}, {1000, "1,000"}, {10000, "10,000"}, {1234567, "1,234,567"}}
	for _, tt := range tests {
		if got := thousands(tt.n); got != tt.want {
			t.Errorf("thousands(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestJoinInts(t *testing.T) {
	tests := []struct {
		ns   []int
		want string
	}{{nil, ""}, {[]int{1}, "1"}, {[]int{1, 100}, "1 and 100"}, {[]int{1, 100, 10000}, "1, 100 and 10,000"}}
	for _, tt := range tests {
		if got := joinInts(tt.ns); got != tt.want {
			t.Errorf("joinInts(%v) = %q, want %q", tt.ns, got, tt.want)
		}
	}
}

func TestProcField(t *testing.T) {
	cpuinfo := []byte("processor\t: 0\nmodel name\t: Example CPU @ 2.00GHz\nflags\t\t: fpu\n\nprocessor\t: 1\nmodel name\t: Example CPU @ 2.00GHz\n")
	tests := []struct {
		raw       []byte
		key, want string
	}{
		{cpuinfo, "model name", "Example CPU @ 2.00GHz"},
		{cpuinfo, "processor", "0"},
		{cpuinfo, "Model", ""},
		{[]byte("MemTotal:       24576000 kB\n"), "MemTotal", "24576000 kB"},
	}
	for _, tt := range tests {
		if got := procField(tt.raw, tt.key); got != tt.want {
			t.Errorf("procField(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

// A clone of a case item carries the new id wherever the template carried its own, and
// nothing else changes.
func TestWithID(t *testing.T) {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	template := map[string]types.AttributeValue{
		"PK": s("ORG#O1"), "SK": s("CASE#C1"), "GSI1PK": s("ORG#O1#CLIENT#K1"), "GSI1SK": s("CASE#C1"),
		"id": s("C1"), "clientId": s("K1"), "name": s("Knee MRI"),
		"n": &types.AttributeValueMemberN{Value: "1"},
	}
	before := maps.Clone(template)
	got := withID(template, "C1", "C2")
	want := map[string]string{"PK": "ORG#O1", "SK": "CASE#C2", "GSI1PK": "ORG#O1#CLIENT#K1", "GSI1SK": "CASE#C2",
		"id": "C2", "clientId": "K1", "name": "Knee MRI"}
	for k, w := range want {
		if v := got[k].(*types.AttributeValueMemberS).Value; v != w {
			t.Errorf("%s = %q, want %q", k, v, w)
		}
	}
	if got["n"] != template["n"] || len(got) != len(template) {
		t.Errorf("clone = %v, want the other attributes as they were", got)
	}
	for k, v := range before {
		if template[k] != v {
			t.Errorf("withID changed the template's %s", k)
		}
	}
}

// The zip measured is the deployment package: one executable "bootstrap", deflated.
func TestZip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bin")
	content := bytes.Repeat([]byte("casescribe "), 10000)
	if err := os.WriteFile(path, content, 0o755); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := writeZip(&buf, bytes.NewReader(content), info); err != nil {
		t.Fatal(err)
	}
	n, err := zipSize(bytes.NewReader(content), info)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Errorf("zipSize = %d, want the archive's %d bytes", n, buf.Len())
	}
	if n >= int64(len(content)) {
		t.Errorf("zipped %d bytes of repetitive text into %d: not compressed", len(content), n)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Method != zip.Deflate || zr.File[0].Mode().Perm() != 0o755 {
		t.Fatalf("archive = %+v, want one executable bootstrap, deflated", zr.File)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, content) {
		t.Errorf("bootstrap in the archive differs from the binary (%v)", err)
	}
}

// The functions' memory size is read from the project's own template.
func TestLambdaMemory(t *testing.T) {
	got, err := lambdaMemory(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if got <= 0 {
		t.Errorf("lambdaMemory() = %d, want the MemorySize of template.yaml's Globals", got)
	}
}

func TestPositiveInts(t *testing.T) {
	tests := []struct {
		list  string
		limit int
		want  []int
		ok    bool
	}{
		{"1,100,10000", 0, []int{1, 100, 10000}, true},
		{" 1, 10 ,100", 100, []int{1, 10, 100}, true},
		{"1,101", 100, nil, false},
		{"0", 0, nil, false},
		{"10,1", 0, nil, false},
		{"1,1", 0, nil, false},
		{"1,x", 0, nil, false},
	}
	for _, tt := range tests {
		got, err := positiveInts("-n", "a number", tt.list, tt.limit)
		if (err == nil) != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("positiveInts(%q, %d) = %v, %v; want %v, ok %v", tt.list, tt.limit, got, err, tt.want, tt.ok)
		}
	}
}

// Copies of a case are spread over the clients in turn, each under its own id, and the
// template is left as it was.
func TestCloneRequests(t *testing.T) {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	template := map[string]types.AttributeValue{
		"PK": s("ORG#O1"), "SK": s("CASE#C1"), "GSI1PK": s("ORG#O1#CLIENT#K1"), "GSI1SK": s("CASE#C1"),
		"id": s("C1"), "clientId": s("K1"), "name": s("Case 1"),
	}
	before := maps.Clone(template)
	ids, requests := cloneRequests(template, "C1", []string{"K1", "K2", "K3"}, 5)
	if len(ids) != 5 || len(requests) != 5 {
		t.Fatalf("got %d ids and %d requests, want 5 of each", len(ids), len(requests))
	}
	seen := map[string]bool{}
	for i, r := range requests {
		item := r.PutRequest.Item
		str := func(k string) string { return item[k].(*types.AttributeValueMemberS).Value }
		client := []string{"K1", "K2", "K3"}[i%3]
		if str("id") != ids[i] || str("SK") != "CASE#"+ids[i] || str("GSI1SK") != "CASE#"+ids[i] {
			t.Errorf("copy %d = %v, want id %s in every key", i, item, ids[i])
		}
		if str("clientId") != client || str("GSI1PK") != "ORG#O1#CLIENT#"+client || str("PK") != "ORG#O1" || str("name") != "Case 1" {
			t.Errorf("copy %d = %v, want it in client %s of O1", i, item, client)
		}
		if seen[ids[i]] {
			t.Errorf("id %s used twice", ids[i])
		}
		seen[ids[i]] = true
	}
	for k, v := range before {
		if template[k] != v {
			t.Errorf("cloneRequests changed the template's %s", k)
		}
	}
}

func TestItemsRead(t *testing.T) {
	item := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "x"}}
	tests := []struct {
		result any
		want   int64
	}{
		{&dynamodb.GetItemOutput{Item: item}, 1},
		{&dynamodb.GetItemOutput{}, 0},
		{&dynamodb.QueryOutput{ScannedCount: 7, Count: 2}, 7},
		{&dynamodb.ScanOutput{ScannedCount: 3}, 3},
		{&dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{"t": {item, item}, "u": {item}}}, 3},
		{&dynamodb.TransactWriteItemsOutput{}, 0},
	}
	for _, tt := range tests {
		if got := itemsRead(tt.result); got != tt.want {
			t.Errorf("itemsRead(%T) = %d, want %d", tt.result, got, tt.want)
		}
	}
}

// Every index is handed out exactly once, on no more goroutines than asked; the first error
// stops the rest and is returned.
func TestInParallel(t *testing.T) {
	var (
		mu            sync.Mutex
		done          = map[int]int{}
		running, most int
	)
	err := inParallel(t.Context(), 50, 4, func(_ context.Context, i int) error {
		mu.Lock()
		done[i]++
		running++
		most = max(most, running)
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
		running--
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if done[i] != 1 {
			t.Errorf("index %d done %d times, want once", i, done[i])
		}
	}
	if most > 4 {
		t.Errorf("%d calls ran at once, want at most 4", most)
	}
	if err := inParallel(t.Context(), 0, 4, func(context.Context, int) error { return errors.New("called") }); err != nil {
		t.Errorf("no work: %v", err)
	}
	boom := errors.New("boom")
	var calls atomic.Int32
	err = inParallel(t.Context(), 1000, 2, func(_ context.Context, i int) error {
		calls.Add(1)
		if i == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want boom", err)
	}
	if n := calls.Load(); n >= 1000 {
		t.Errorf("%d calls after an error, want the rest skipped", n)
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{1: "1 share", 10: "10 shares", 10000: "10,000 shares"} {
		if got := plural(n, "share"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
}

// fakeMeasurement is a measurement whose every request took total, with the given counts.
func fakeMeasurement(total time.Duration, calls, waves, items int) *measurement {
	m := &measurement{callsMin: calls, callsMax: calls, wavesMin: waves, wavesMax: waves, itemsMin: items, itemsMax: items,
		ops: map[string][]time.Duration{"Query": {total / 2}}}
	for range 10 {
		m.total = append(m.total, total)
		m.wait = append(m.wait, total*3/4)
		m.overhead = append(m.overhead, total/4)
		m.waves = append(m.waves, waves)
	}
	return m
}

// Guests are compared across organization sizes at a fixed number of shares, from the
// smallest organization holding that many.
func TestGuestFlat(t *testing.T) {
	ms := time.Millisecond
	guest := func(shares int, read, list time.Duration, listItems int) guestScale {
		return guestScale{shares: shares, listed: shares, read: fakeMeasurement(read, 4, 3, 4), list: fakeMeasurement(list, 4, 3, listItems)}
	}
	r := &results{scale: []scaleRow{
		{cases: 1, guests: []guestScale{guest(1, 2*ms, 3*ms, 4)}},
		{cases: 100, guests: []guestScale{guest(1, 2*ms, 3*ms, 4), guest(100, 2*ms, 20*ms, 301)}},
		{cases: 10000, guests: []guestScale{guest(1, 2*ms, 3*ms, 4), guest(100, 2*ms, 21*ms, 301)}},
	}}
	series := r.guestSeries()
	if len(series) != 2 || series[0].shares != 1 || !slices.Equal(series[0].cases, []int{1, 100, 10000}) ||
		series[1].shares != 100 || !slices.Equal(series[1].cases, []int{100, 10000}) {
		t.Fatalf("guestSeries() = %+v", series)
	}
	if ok, why := r.guestFlat(); !ok {
		t.Errorf("guestFlat() = false (%s), want flat", why)
	}
	r.scale[2].guests[0].list = fakeMeasurement(6*ms, 4, 3, 4)
	if ok, why := r.guestFlat(); ok || !strings.Contains(why, "list ×2.00") {
		t.Errorf("guestFlat() = %v (%s), want a miss at list ×2.00", ok, why)
	}
	r.scale[2].guests[0].list = fakeMeasurement(3*ms, 4, 3, 5)
	if ok, why := r.guestFlat(); ok || !strings.Contains(why, "at each number of shares: no") {
		t.Errorf("guestFlat() = %v (%s), want a miss on items read", ok, why)
	}
	r.scale = r.scale[:1]
	if ok, _ := r.guestFlat(); ok {
		t.Error("guestFlat() with one size = true, want false")
	}
}

// Waves are judged by the typical request: a wave more now and then is the machine.
func TestTypicalWaves(t *testing.T) {
	m := &measurement{callsMin: 4, callsMax: 4, wavesMin: 3, wavesMax: 4, waves: []int{3, 3, 4, 3, 3, 3, 3, 3, 3, 3}}
	if got := m.typicalWaves(); got != 3 {
		t.Errorf("typicalWaves() = %d, want 3", got)
	}
	if got := m.callsWaves(); got != "4 / 3 (4 in 10.0%)" {
		t.Errorf("callsWaves() = %q", got)
	}
	steady := &measurement{callsMin: 4, callsMax: 4, wavesMin: 3, wavesMax: 3, waves: []int{3, 3}}
	if !sameWaves(m, steady) || steady.callsWaves() != "4 / 3" {
		t.Errorf("sameWaves = false or callsWaves() = %q, want the same typical waves", steady.callsWaves())
	}
	if (&measurement{}).typicalWaves() != 0 || (&measurement{}).moreWaves() != 0 {
		t.Error("no requests: want 0 waves")
	}
}
