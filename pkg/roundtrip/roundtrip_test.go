package roundtrip_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/casescribe/sharing/pkg/roundtrip"
)

// at returns the span [start, end) in milliseconds after a fixed origin.
func at(start, end int) roundtrip.Span {
	origin := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return roundtrip.Span{Start: origin.Add(time.Duration(start) * time.Millisecond), End: origin.Add(time.Duration(end) * time.Millisecond)}
}

func TestWaves(t *testing.T) {
	tests := []struct {
		name  string
		spans []roundtrip.Span
		want  []roundtrip.Span
	}{
		{"none", nil, nil},
		{"one", []roundtrip.Span{at(0, 5)}, []roundtrip.Span{at(0, 5)}},
		{"sequential", []roundtrip.Span{at(0, 5), at(6, 9)}, []roundtrip.Span{at(0, 5), at(6, 9)}},
		{"touching is sequential", []roundtrip.Span{at(0, 5), at(5, 9)}, []roundtrip.Span{at(0, 5), at(5, 9)}},
		{"parallel", []roundtrip.Span{at(0, 5), at(1, 4)}, []roundtrip.Span{at(0, 5)}},
		{"overlapping", []roundtrip.Span{at(0, 5), at(3, 8)}, []roundtrip.Span{at(0, 8)}},
		{"chained overlaps make one wave", []roundtrip.Span{at(0, 4), at(3, 7), at(6, 10)}, []roundtrip.Span{at(0, 10)}},
		{"unsorted input", []roundtrip.Span{at(10, 12), at(0, 5), at(2, 3)}, []roundtrip.Span{at(0, 5), at(10, 12)}},
		{"parallel then sequential", []roundtrip.Span{at(0, 5), at(0, 6), at(7, 9)}, []roundtrip.Span{at(0, 6), at(7, 9)}},
		{"contained after a longer one", []roundtrip.Span{at(0, 10), at(2, 3), at(4, 12)}, []roundtrip.Span{at(0, 12)}},
		{"instant calls", []roundtrip.Span{at(1, 1), at(1, 1)}, []roundtrip.Span{at(1, 1), at(1, 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.spans)
			got := roundtrip.Waves(tt.spans)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Waves() = %v, want %v", got, tt.want)
			}
			if !slices.Equal(in, tt.spans) {
				t.Errorf("Waves() changed its input")
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name  string
		calls []roundtrip.Call
		want  roundtrip.Summary
	}{
		{"nothing", nil, roundtrip.Summary{}},
		{
			name: "authorizer",
			calls: []roundtrip.Call{
				{Operation: "GetItem", Span: at(0, 3), Attempts: []roundtrip.Span{at(1, 2)}},
			},
			want: roundtrip.Summary{Calls: 1, Waves: 1, Operations: []string{"GetItem"},
				Wait: 3 * time.Millisecond, WireWait: time.Millisecond},
		},
		{
			name: "two parallel reads then a write",
			calls: []roundtrip.Call{
				{Operation: "GetItem", Span: at(0, 4), Attempts: []roundtrip.Span{at(1, 3)}},
				{Operation: "Query", Span: at(0, 5), Attempts: []roundtrip.Span{at(1, 4)}},
				{Operation: "TransactWriteItems", Span: at(6, 9), Attempts: []roundtrip.Span{at(7, 8)}},
			},
			want: roundtrip.Summary{Calls: 3, Writes: 1, Waves: 2,
				Operations: []string{"GetItem", "Query", "TransactWriteItems"},
				Wait:       8 * time.Millisecond, WireWait: 4 * time.Millisecond},
		},
		{
			name: "every kind of write counts once",
			calls: []roundtrip.Call{
				{Operation: "PutItem", Span: at(0, 1)},
				{Operation: "UpdateItem", Span: at(1, 2)},
				{Operation: "DeleteItem", Span: at(2, 3)},
				{Operation: "BatchWriteItem", Span: at(3, 4)},
				{Operation: "TransactWriteItems", Span: at(4, 5)},
				{Operation: "BatchGetItem", Span: at(5, 6)},
			},
			want: roundtrip.Summary{Calls: 6, Writes: 5, Waves: 6,
				Operations: []string{"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "BatchGetItem"},
				Wait:       6 * time.Millisecond},
		},
		{
			name: "retried call",
			calls: []roundtrip.Call{
				{Operation: "GetItem", Span: at(0, 10), Attempts: []roundtrip.Span{at(1, 3), at(6, 9)}},
			},
			want: roundtrip.Summary{Calls: 1, Waves: 1, Operations: []string{"GetItem"},
				Wait: 10 * time.Millisecond, WireWait: 5 * time.Millisecond},
		},
		{
			name:  "call in flight",
			calls: []roundtrip.Call{{Operation: "Query", Span: roundtrip.Span{Start: at(0, 0).Start}}},
			want:  roundtrip.Summary{Calls: 1, Operations: []string{"Query"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := roundtrip.Summarize(tt.calls)
			if got.Calls != tt.want.Calls || got.Writes != tt.want.Writes || got.Waves != tt.want.Waves ||
				!slices.Equal(got.Operations, tt.want.Operations) || got.Wait != tt.want.Wait || got.WireWait != tt.want.WireWait {
				t.Errorf("Summarize() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// fakeDynamoDB answers every request with an empty JSON object after delay, failing the first
// failures requests with a retryable 500.
func fakeDynamoDB(t *testing.T, delay time.Duration, failures int32) *httptest.Server {
	t.Helper()
	var seen atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if seen.Add(1) <= failures {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"try again"}`))
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// recordedClient returns a DynamoDB client of the fake server with rec installed and retries
// without backoff.
func recordedClient(srv *httptest.Server, rec *roundtrip.Recorder) *dynamodb.Client {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")}
	return dynamodb.NewFromConfig(cfg, rec.Options, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	})
}

func getItem(ctx context.Context, db *dynamodb.Client) error {
	_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "x"}}})
	return err
}

// The middleware records real SDK calls: their operation, their attempts, and whether they ran
// side by side.
func TestRecorder(t *testing.T) {
	tests := []struct {
		name         string
		failures     int32
		run          func(ctx context.Context, db *dynamodb.Client) error
		want         roundtrip.Summary
		wantAttempts int
	}{
		{
			name:         "one read",
			run:          getItem,
			want:         roundtrip.Summary{Calls: 1, Waves: 1, Operations: []string{"GetItem"}},
			wantAttempts: 1,
		},
		{
			name: "read then write",
			run: func(ctx context.Context, db *dynamodb.Client) error {
				if err := getItem(ctx, db); err != nil {
					return err
				}
				_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("t"),
					Item: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "x"}}})
				return err
			},
			want:         roundtrip.Summary{Calls: 2, Writes: 1, Waves: 2, Operations: []string{"GetItem", "PutItem"}},
			wantAttempts: 2,
		},
		{
			name: "two reads side by side",
			run: func(ctx context.Context, db *dynamodb.Client) error {
				var wg sync.WaitGroup
				errs := make([]error, 2)
				for i := range errs {
					wg.Go(func() { errs[i] = getItem(ctx, db) })
				}
				wg.Wait()
				return errs[0]
			},
			want:         roundtrip.Summary{Calls: 2, Waves: 1, Operations: []string{"GetItem", "GetItem"}},
			wantAttempts: 2,
		},
		{
			name:         "retried read is one call",
			failures:     1,
			run:          getItem,
			want:         roundtrip.Summary{Calls: 1, Waves: 1, Operations: []string{"GetItem"}},
			wantAttempts: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &roundtrip.Recorder{}
			db := recordedClient(fakeDynamoDB(t, 20*time.Millisecond, tt.failures), rec)
			if err := tt.run(t.Context(), db); err != nil {
				t.Fatal(err)
			}
			calls := rec.Take()
			got := roundtrip.Summarize(calls)
			if got.Calls != tt.want.Calls || got.Writes != tt.want.Writes || got.Waves != tt.want.Waves ||
				!slices.Equal(got.Operations, tt.want.Operations) {
				t.Errorf("summary = %+v, want %+v", got, tt.want)
			}
			attempts := 0
			for _, c := range calls {
				attempts += len(c.Attempts)
				for _, a := range c.Attempts {
					if a.Start.Before(c.Start) || a.End.After(c.End) || a.Duration() < 20*time.Millisecond {
						t.Errorf("%s: attempt %v does not lie inside call %v or is shorter than the server's delay", c.Operation, a, c.Span)
					}
				}
			}
			if attempts != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", attempts, tt.wantAttempts)
			}
			if got.Wait < got.WireWait || got.WireWait < time.Duration(tt.want.Waves)*20*time.Millisecond {
				t.Errorf("wait %v, wire wait %v: want wait >= wire wait >= %d waves x 20ms", got.Wait, got.WireWait, tt.want.Waves)
			}
			if left := rec.Calls(); len(left) != 0 {
				t.Errorf("Calls() after Take() = %v, want none", left)
			}
		})
	}
}

// Reset forgets what was recorded; later calls are recorded again.
func TestRecorderReset(t *testing.T) {
	rec := &roundtrip.Recorder{}
	db := recordedClient(fakeDynamoDB(t, 0, 0), rec)
	for _, want := range []int{1, 1} {
		if err := getItem(t.Context(), db); err != nil {
			t.Fatal(err)
		}
		if got := len(rec.Calls()); got != want {
			t.Errorf("calls = %d, want %d", got, want)
		}
		rec.Reset()
	}
}

func TestIsWrite(t *testing.T) {
	for _, tt := range []struct {
		op   string
		want bool
	}{
		{"PutItem", true}, {"UpdateItem", true}, {"DeleteItem", true}, {"TransactWriteItems", true},
		{"BatchWriteItem", true}, {"GetItem", false}, {"Query", false}, {"BatchGetItem", false},
		{"TransactGetItems", false}, {"Scan", false},
	} {
		if got := roundtrip.IsWrite(tt.op); got != tt.want {
			t.Errorf("IsWrite(%q) = %v, want %v", tt.op, got, tt.want)
		}
	}
}
