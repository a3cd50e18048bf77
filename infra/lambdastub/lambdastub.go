// Package lambdastub is a minimal stand-in for the AWS Lambda Runtime API
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html), serving one function
// process. It lets the tests and the benchmarks run the real bootstrap binaries as Lambda
// runs them, without Docker or an AWS account: start the binary with
// AWS_LAMBDA_RUNTIME_API=Addr() and it talks to the stub as to Lambda.
//
// GET .../invocation/next hands out the events queued by Invoke, one at a time, and what the
// function posts to .../response or .../error goes back to the Invoke that queued the event.
// The first /next also marks the end of the function's init (Ready, FirstNext), which is how
// cold starts are measured.
package lambdastub

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Runtime API paths.
const (
	// Version prefixes every path of the Runtime API.
	Version = "/2018-06-01"
	// PathNext is where a function asks for its next event.
	PathNext      = Version + "/runtime/invocation/next"
	pathResponse  = Version + "/runtime/invocation/{id}/response"
	pathError     = Version + "/runtime/invocation/{id}/error"
	pathInitError = Version + "/runtime/init/error"
)

const (
	// invokeDeadline is the function timeout the stub announces in Lambda-Runtime-Deadline-Ms.
	invokeDeadline = 30 * time.Second
	// DefaultInvokeTimeout bounds one Invoke when its context has no earlier deadline: long
	// enough for a first JWKS fetch, short enough that a hung function fails quickly.
	DefaultInvokeTimeout = 10 * time.Second
	// maxPayload is Lambda's limit on a synchronous response (6 MB).
	maxPayload = 6 << 20
)

// RuntimeAPI is a Runtime API stub for one function process. It is safe for concurrent use.
type RuntimeAPI struct {
	// InvokeTimeout bounds each Invoke; New sets DefaultInvokeTimeout. Change it, if at all,
	// before the first Invoke.
	InvokeTimeout time.Duration

	srv          *http.Server
	ln           net.Listener
	functionName string
	// events is unbuffered: an Invoke waits until a /next takes its event.
	events chan *invocation
	// closed ends blocked /next requests so that the server can shut down.
	closed    chan struct{}
	closeOnce sync.Once

	mu       sync.Mutex
	inFlight map[string]*invocation // handed to the function, not answered yet
	// firstNext is when the first /next arrived, i.e. when the function finished its init.
	firstNext time.Time
	ready     chan struct{} // closed at the first /next
	// initErr is what the function posted to /runtime/init/error, if anything.
	initErr *FunctionError

	// down is closed, with downErr set, once the function can no longer answer: it reported
	// an init failure or its process exited (see Fail). Pending and later Invokes fail with
	// downErr.
	down     chan struct{}
	downErr  error
	downOnce sync.Once
}

// invocation is one queued event and where its outcome goes.
type invocation struct {
	id    string
	event []byte
	done  chan invokeResult // buffered (1); receives exactly one result
}

// invokeResult is the outcome of one invocation: the response payload or the function's error.
type invokeResult struct {
	payload json.RawMessage
	err     error
}

// FunctionError is an error the function reported to /error (Phase "invoke") or to
// /init/error (Phase "init"), in the Runtime API's JSON error shape.
type FunctionError struct {
	Phase   string `json:"-"`
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

// Error says in which phase the function failed, and how.
func (e *FunctionError) Error() string {
	return fmt.Sprintf("function %s error %s: %s", e.Phase, e.Type, e.Message)
}

// New starts a Runtime API stub on a free loopback port for the function named functionName.
// Close it once the function process is gone.
func New(functionName string) (*RuntimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime API stub for %s: %w", functionName, err)
	}
	s := &RuntimeAPI{
		InvokeTimeout: DefaultInvokeTimeout,
		ln:            ln,
		functionName:  functionName,
		events:        make(chan *invocation),
		closed:        make(chan struct{}),
		inFlight:      map[string]*invocation{},
		ready:         make(chan struct{}),
		down:          make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathNext, s.handleNext)
	mux.HandleFunc("POST "+pathResponse, func(w http.ResponseWriter, r *http.Request) { s.handleResult(w, r, false) })
	mux.HandleFunc("POST "+pathError, func(w http.ResponseWriter, r *http.Request) { s.handleResult(w, r, true) })
	mux.HandleFunc("POST "+pathInitError, s.handleInitError)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }() // returns http.ErrServerClosed on Close
	return s, nil
}

// Addr is the value of AWS_LAMBDA_RUNTIME_API: host:port, without a scheme.
func (s *RuntimeAPI) Addr() string {
	return s.ln.Addr().String()
}

// Ready is closed when the function first asks for an event, that is when its init is over.
func (s *RuntimeAPI) Ready() <-chan struct{} {
	return s.ready
}

// FirstNext returns when the function first asked for an event, or the zero time if it has
// not yet.
func (s *RuntimeAPI) FirstNext() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstNext
}

// InitError returns what the function posted to /runtime/init/error (a *FunctionError), or
// nil.
func (s *RuntimeAPI) InitError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.initErr == nil {
		return nil
	}
	return s.initErr
}

// Invoke sends event (marshalled to JSON) to the function and waits for its response
// payload. It fails when the function reports an error (a *FunctionError), when the function
// is down (init error, or Fail was called), or after InvokeTimeout or the end of ctx.
func (s *RuntimeAPI) Invoke(ctx context.Context, event any) (json.RawMessage, error) {
	body, err := json.Marshal(event)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: marshal event: %w", s.functionName, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.InvokeTimeout)
	defer cancel()
	inv := &invocation{id: NewRequestID(), event: body, done: make(chan invokeResult, 1)}

	select {
	case s.events <- inv:
	case <-s.down:
		return nil, fmt.Errorf("invoke %s: %w", s.functionName, s.downErr)
	case <-ctx.Done():
		return nil, fmt.Errorf("invoke %s: the function never asked for the event: %w", s.functionName, context.Cause(ctx))
	}
	select {
	case r := <-inv.done:
		if r.err != nil {
			return nil, fmt.Errorf("invoke %s (request %s): %w", s.functionName, inv.id, r.err)
		}
		return r.payload, nil
	case <-s.down:
		return nil, fmt.Errorf("invoke %s (request %s): %w", s.functionName, inv.id, s.downErr)
	case <-ctx.Done():
		s.forget(inv.id)
		return nil, fmt.Errorf("invoke %s (request %s): no response: %w", s.functionName, inv.id, context.Cause(ctx))
	}
}

// Fail marks the function as down, as its process runner does when the process exits:
// pending and later Invokes return err. Only the first call counts.
func (s *RuntimeAPI) Fail(err error) {
	s.downOnce.Do(func() {
		s.downErr = err
		close(s.down)
	})
}

// Close ends blocked /next requests and shuts the server down. It is idempotent.
func (s *RuntimeAPI) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		_ = s.srv.Close() // its only error is the listener's, already closed or not ours to report
	})
}

// forget drops an invocation nobody waits for any more; a late answer to it gets a 400.
func (s *RuntimeAPI) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inFlight, id)
}

// handleNext blocks until an event is queued, then answers it with the invocation headers
// aws-lambda-go reads.
func (s *RuntimeAPI) handleNext(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	s.mu.Lock()
	if s.firstNext.IsZero() {
		s.firstNext = now
		close(s.ready)
	}
	s.mu.Unlock()

	var inv *invocation
	select {
	case inv = <-s.events:
	case <-r.Context().Done(): // the function went away
		return
	case <-s.closed:
		http.Error(w, "runtime API stub closed", http.StatusServiceUnavailable)
		return
	}
	s.mu.Lock()
	s.inFlight[inv.id] = inv
	s.mu.Unlock()

	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(invokeDeadline).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:"+s.functionName)
	h.Set("Lambda-Runtime-Trace-Id", newTraceID())
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(inv.event); err != nil {
		s.forget(inv.id)
		inv.done <- invokeResult{err: fmt.Errorf("hand the event to the function: %w", err)}
	}
}

// handleResult takes the function's response (isError false) or error for one invocation
// and passes it to the waiting Invoke.
func (s *RuntimeAPI) handleResult(w http.ResponseWriter, r *http.Request, isError bool) {
	id := r.PathValue("id")
	s.mu.Lock()
	inv, ok := s.inFlight[id]
	delete(s.inFlight, id)
	s.mu.Unlock()
	if !ok {
		writeRuntimeError(w, http.StatusBadRequest, "InvalidRequestID", "unknown or already answered request id "+id)
		return
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	var res invokeResult
	switch {
	case err != nil:
		res.err = fmt.Errorf("read the function's answer: %w", err)
	case len(body) > maxPayload:
		res.err = fmt.Errorf("the function's answer is over %d bytes", maxPayload)
		writeRuntimeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", res.err.Error())
		inv.done <- res
		return
	case isError:
		res.err = parseFunctionError("invoke", body)
	default:
		res.payload = body
	}
	inv.done <- res
	w.WriteHeader(http.StatusAccepted) // aws-lambda-go treats anything but 202 as fatal
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

// handleInitError records an init failure; the function is then down.
func (s *RuntimeAPI) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload))
	fe := parseFunctionError("init", body)
	if err != nil {
		fe.Message += fmt.Sprintf(" (body unreadable: %v)", err)
	}
	s.mu.Lock()
	s.initErr = fe
	s.mu.Unlock()
	s.Fail(fe)
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

// parseFunctionError reads the Runtime API's error body, keeping the raw body as the message
// if it is not the expected JSON.
func parseFunctionError(phase string, body []byte) *FunctionError {
	fe := &FunctionError{Phase: phase}
	if err := json.Unmarshal(body, fe); err != nil || (fe.Type == "" && fe.Message == "") {
		fe.Type, fe.Message = "Unknown", string(body)
	}
	return fe
}

// writeRuntimeError answers in the Runtime API's error shape.
func writeRuntimeError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}{msg, errType})
}

// NewRequestID returns a random UUID, as Lambda's request ids are.
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand crashes the program instead)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// newTraceID returns an X-Ray trace header value of the form Lambda sends.
func newTraceID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%x;Parent=%x;Sampled=0", time.Now().Unix(), b[:12], b[12:])
}

// Env is the environment Lambda gives a provided.al2023 function named name whose bootstrap is
// bin, talking to the Runtime API at runtimeAPI, plus extra (which wins): nothing is inherited
// from the caller's own environment. The region and credentials Lambda also sets come in extra.
func Env(name, bin, runtimeAPI string, extra map[string]string) []string {
	vars := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          runtimeAPI,
		"_HANDLER":                        "bootstrap",
		"AWS_LAMBDA_FUNCTION_NAME":        name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + strings.ReplaceAll(NewRequestID(), "-", ""),
		"LAMBDA_TASK_ROOT":                filepath.Dir(bin),
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
	}
	maps.Copy(vars, extra)
	env := make([]string, 0, len(vars))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		env = append(env, k+"="+vars[k])
	}
	return env
}
