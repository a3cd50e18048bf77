// Package roundtrip counts the DynamoDB round trips a piece of code makes, to hold routes to
// the budgets of DESIGN §5: how many calls, how many of them write, and how many sequential
// waves they form. It plugs into aws-sdk-go-v2 as client middleware, so the code under
// measurement runs unchanged, with a real client against a real (local) DynamoDB.
//
// A wave is a group of calls whose time intervals overlap, directly or through other calls:
// two reads started together form one wave, a read whose answer decides the next read form
// two. Waves, not calls, are what a request's latency pays for.
package roundtrip

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// Span is an interval of time.
type Span struct {
	Start, End time.Time
}

// Duration is how long the span lasts.
func (s Span) Duration() time.Duration { return s.End.Sub(s.Start) }

// Call is one DynamoDB operation as its caller made it.
type Call struct {
	// Operation is the API operation name: GetItem, Query, TransactWriteItems...
	Operation string
	// Span runs from the call into the SDK to its return: it includes the SDK's own work
	// (serializing, signing, decoding the answer) and every attempt.
	Span
	// Attempts are the HTTP exchanges of the call, each from sending the request to receiving
	// the answer's headers: the time spent waiting for DynamoDB itself. More than one means the
	// SDK retried.
	Attempts []Span
}

// writeOperations are the DynamoDB operations that change data. A transaction or a batch
// counts as one write, whatever the number of items in it.
var writeOperations = map[string]bool{
	"PutItem":            true,
	"UpdateItem":         true,
	"DeleteItem":         true,
	"TransactWriteItems": true,
	"BatchWriteItem":     true,
}

// IsWrite reports whether the named operation writes.
func IsWrite(operation string) bool { return writeOperations[operation] }

// Recorder records the calls of the DynamoDB clients it is installed in. It is safe for
// concurrent use; calls made concurrently are recorded as such, which is what Waves measures.
// The zero value is ready to use.
type Recorder struct {
	mu    sync.Mutex
	calls []*Call
}

// callKey is the context key under which a call's record travels down the middleware stack,
// from where the call starts to where its attempts go on the wire.
type callKey struct{}

// Options installs the recorder in a DynamoDB client, as an option of dynamodb.New or
// dynamodb.NewFromConfig: dynamodb.New(base.Options(), rec.Options).
func (r *Recorder) Options(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, r.Instrument)
}

// Instrument adds the recorder's middleware to one operation's stack; it is a
// dynamodb.Options.APIOptions entry. The call is timed from the outermost initialize step, so
// that it covers all the SDK does, and each attempt at the innermost deserialize step, around
// the HTTP exchange alone. A client takes one recorder: a second one fails every call with a
// duplicate middleware error.
func (r *Recorder) Instrument(stack *middleware.Stack) error {
	call := middleware.InitializeMiddlewareFunc("roundtrip.Call", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		c := &Call{Operation: middleware.GetOperationName(ctx)}
		r.mu.Lock()
		c.Start = time.Now()
		r.calls = append(r.calls, c)
		r.mu.Unlock()
		out, md, err := next.HandleInitialize(context.WithValue(ctx, callKey{}, c), in)
		end := time.Now()
		r.mu.Lock()
		c.End = end
		r.mu.Unlock()
		return out, md, err
	})
	attempt := middleware.DeserializeMiddlewareFunc("roundtrip.Attempt", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
		start := time.Now()
		out, md, err := next.HandleDeserialize(ctx, in)
		end := time.Now()
		if c, ok := ctx.Value(callKey{}).(*Call); ok {
			r.mu.Lock()
			c.Attempts = append(c.Attempts, Span{Start: start, End: end})
			r.mu.Unlock()
		}
		return out, md, err
	})
	if err := stack.Initialize.Add(call, middleware.Before); err != nil {
		return fmt.Errorf("roundtrip: time calls: %w", err)
	}
	if err := stack.Deserialize.Add(attempt, middleware.After); err != nil {
		return fmt.Errorf("roundtrip: time attempts: %w", err)
	}
	return nil
}

// Calls returns the calls recorded so far, in the order they started. A call still in flight
// has a zero End.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.copyLocked()
}

// Take returns the calls recorded so far, like Calls, and forgets them.
func (r *Recorder) Take() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.copyLocked()
	r.calls = nil
	return out
}

// Reset forgets the calls recorded so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = nil
}

func (r *Recorder) copyLocked() []Call {
	out := make([]Call, len(r.calls))
	for i, c := range r.calls {
		out[i] = *c
		out[i].Attempts = slices.Clone(c.Attempts)
	}
	return out
}

// Summary is what a list of calls costs.
type Summary struct {
	// Calls is the number of calls; Writes how many of them write (see IsWrite).
	Calls, Writes int
	// Waves is the number of sequential groups of overlapping calls.
	Waves int
	// Operations are the calls' operation names, in the order the calls started.
	Operations []string
	// Wait is the time during which at least one call was in the SDK: the sum of the waves'
	// durations. WireWait is the same over the HTTP exchanges alone, so Wait - WireWait is
	// the SDK client's own work on the calls' critical path.
	Wait, WireWait time.Duration
}

// Summarize counts calls, writes and waves, and adds up the waiting. Calls still in flight
// (zero End) are counted but take no part in waves or waiting.
func Summarize(calls []Call) Summary {
	var s Summary
	var spans, attempts []Span
	for _, c := range calls {
		s.Calls++
		if IsWrite(c.Operation) {
			s.Writes++
		}
		s.Operations = append(s.Operations, c.Operation)
		if !c.End.IsZero() {
			spans = append(spans, c.Span)
		}
		attempts = append(attempts, c.Attempts...)
	}
	waves := Waves(spans)
	s.Waves = len(waves)
	s.Wait = total(waves)
	s.WireWait = total(Waves(attempts))
	return s
}

// Waves merges spans that overlap, directly or through others, and returns the merged spans
// in time order: one per sequential wave. Spans that only touch (one ends exactly when the
// next starts) are sequential, not overlapping.
func Waves(spans []Span) []Span {
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, func(a, b Span) int { return a.Start.Compare(b.Start) })
	var waves []Span
	for _, s := range sorted {
		if n := len(waves); n > 0 && s.Start.Before(waves[n-1].End) {
			if s.End.After(waves[n-1].End) {
				waves[n-1].End = s.End
			}
			continue
		}
		waves = append(waves, s)
	}
	return waves
}

// total adds up the spans' durations.
func total(spans []Span) time.Duration {
	var d time.Duration
	for _, s := range spans {
		d += s.Duration()
	}
	return d
}
