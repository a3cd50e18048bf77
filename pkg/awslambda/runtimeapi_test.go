package awslambda_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Runtime API paths (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
const (
	runtimeAPIVersion = "/2018-06-01"
	pathNext          = runtimeAPIVersion + "/runtime/invocation/next"
	pathResponse      = runtimeAPIVersion + "/runtime/invocation/{id}/response"
	pathError         = runtimeAPIVersion + "/runtime/invocation/{id}/error"
	pathInitError     = runtimeAPIVersion + "/runtime/init/error"
)

const (
	// invokeDeadline is the function timeout the stub announces in Lambda-Runtime-Deadline-Ms.
	invokeDeadline = 30 * time.Second
	// defaultInvokeTimeout bounds one Invoke when its context has no earlier deadline: long
	// enough for a first JWKS fetch, short enough that a hung function fails the test quickly.
	defaultInvokeTimeout = 10 * time.Second
	// maxPayload is Lambda's limit on a synchronous response (6 MB).
	maxPayload = 6 << 20
)

// runtimeAPI is a minimal stand-in for the AWS Lambda Runtime API, serving one function
// process: GET .../invocation/next hands out the events queued by Invoke, one at a time, and
// what the function posts to .../response or .../error goes back to the Invoke that queued
// the event. A function started with AWS_LAMBDA_RUNTIME_API=Addr() talks to it as to Lambda.
type runtimeAPI struct {
	srv          *httptest.Server
	functionName string
	// timeout bounds each Invoke (see defaultInvokeTimeout).
	timeout time.Duration
	// events is unbuffered: an Invoke waits until a /next takes its event.
	events chan *invocation
	// closed ends blocked /next requests so that the server can shut down.
	closed    chan struct{}
	closeOnce sync.Once

	mu       sync.Mutex
	inFlight map[string]*invocation // handed to the function, not answered yet
	// firstNext is when the first /next arrived, i.e. when the function finished its init;
	// with the process start time it gives the cold start (for benchmarks; tests do not
	// assert on timing).
	firstNext time.Time
	// initErr is what the function posted to /runtime/init/error, if anything.
	initErr *functionError

	// down is closed, with downErr set, once the function can no longer answer: it reported
	// an init failure or its process exited. Pending and later Invokes fail with downErr.
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

// functionError is an error the function reported to /error (Phase "invoke") or to
// /init/error (Phase "init"), in the Runtime API's JSON error shape.
type functionError struct {
	Phase   string `json:"-"`
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func (e *functionError) Error() string {
	return fmt.Sprintf("function %s error %s: %s", e.Phase, e.Type, e.Message)
}

// newRuntimeAPI starts a Runtime API stub for the function named functionName and closes it
// when the test ends. Register it before starting the function, so that the function (whose
// cleanup then runs first) is gone before the stub closes.
func newRuntimeAPI(t *testing.T, functionName string) *runtimeAPI {
	t.Helper()
	s := &runtimeAPI{
		functionName: functionName,
		timeout:      defaultInvokeTimeout,
		events:       make(chan *invocation),
		closed:       make(chan struct{}),
		inFlight:     map[string]*invocation{},
		down:         make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathNext, s.handleNext)
	mux.HandleFunc("POST "+pathResponse, func(w http.ResponseWriter, r *http.Request) { s.handleResult(w, r, false) })
	mux.HandleFunc("POST "+pathError, func(w http.ResponseWriter, r *http.Request) { s.handleResult(w, r, true) })
	mux.HandleFunc("POST "+pathInitError, s.handleInitError)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.close)
	return s
}

// Addr is the value of AWS_LAMBDA_RUNTIME_API: host:port, without a scheme.
func (s *runtimeAPI) Addr() string {
	return s.srv.Listener.Addr().String()
}

// FirstNext returns when the function first asked for an event, or the zero time if it has
// not yet.
func (s *runtimeAPI) FirstNext() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.firstNext
}

// InitError returns what the function posted to /runtime/init/error, or nil.
func (s *runtimeAPI) InitError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.initErr == nil {
		return nil
	}
	return s.initErr
}

// Invoke sends event (marshalled to JSON) to the function and waits for its response
// payload. It fails when the function reports an error (a *functionError), when the function
// is down (init error, exited process), or after s.timeout or the end of ctx.
func (s *runtimeAPI) Invoke(ctx context.Context, event any) (json.RawMessage, error) {
	body, err := json.Marshal(event)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: marshal event: %w", s.functionName, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	inv := &invocation{id: newRequestID(), event: body, done: make(chan invokeResult, 1)}

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

// fail marks the function as down: pending and later Invokes return err. Only the first
// call counts.
func (s *runtimeAPI) fail(err error) {
	s.downOnce.Do(func() {
		s.downErr = err
		close(s.down)
	})
}

// close ends blocked /next requests and shuts the server down.
func (s *runtimeAPI) close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.srv.Close()
	})
}

// forget drops an invocation nobody waits for any more; a late answer to it gets a 400.
func (s *runtimeAPI) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inFlight, id)
}

// handleNext blocks until an event is queued, then answers it with the invocation headers
// aws-lambda-go reads.
func (s *runtimeAPI) handleNext(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.firstNext.IsZero() {
		s.firstNext = time.Now()
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
func (s *runtimeAPI) handleResult(w http.ResponseWriter, r *http.Request, isError bool) {
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
func (s *runtimeAPI) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload))
	fe := parseFunctionError("init", body)
	if err != nil {
		fe.Message += fmt.Sprintf(" (body unreadable: %v)", err)
	}
	s.mu.Lock()
	s.initErr = fe
	s.mu.Unlock()
	s.fail(fe)
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

// parseFunctionError reads the Runtime API's error body, keeping the raw body as the message
// if it is not the expected JSON.
func parseFunctionError(phase string, body []byte) *functionError {
	fe := &functionError{Phase: phase}
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

// newRequestID returns a random UUID, as Lambda's request ids are.
func newRequestID() string {
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

// errFunctionExited is wrapped by the error Invoke returns once the function's process is gone.
var errFunctionExited = errors.New("function process exited")

// TestRuntimeAPIStub checks the stub against a hand-written runtime client, including the
// paths aws-lambda-go never takes (/init/error, unknown request ids, a silent function).
func TestRuntimeAPIStub(t *testing.T) {
	tests := []struct {
		name string
		// runtime plays the function: it gets one event (if it asks) and answers.
		runtime     func(t *testing.T, s *runtimeAPI)
		wantPayload string
		wantErr     func(error) bool
	}{
		{
			name: "response",
			runtime: func(t *testing.T, s *runtimeAPI) {
				id, event := stubNext(t, s)
				stubPost(t, s, "/runtime/invocation/"+id+"/response", string(event), http.StatusAccepted)
			},
			wantPayload: `{"hello":"world"}`,
		},
		{
			name: "function error",
			runtime: func(t *testing.T, s *runtimeAPI) {
				id, _ := stubNext(t, s)
				stubPost(t, s, "/runtime/invocation/"+id+"/error", `{"errorMessage":"boom","errorType":"errorString"}`, http.StatusAccepted)
			},
			wantErr: func(err error) bool {
				var fe *functionError
				return errors.As(err, &fe) && *fe == functionError{Phase: "invoke", Type: "errorString", Message: "boom"}
			},
		},
		{
			name: "init error",
			runtime: func(t *testing.T, s *runtimeAPI) {
				stubPost(t, s, "/runtime/init/error", `{"errorMessage":"no config","errorType":"Runtime.ExitError"}`, http.StatusAccepted)
				if s.InitError() == nil {
					t.Error("InitError() = nil after /init/error")
				}
			},
			wantErr: func(err error) bool {
				var fe *functionError
				return errors.As(err, &fe) && fe.Phase == "init" && fe.Message == "no config"
			},
		},
		{
			name: "unknown request id",
			runtime: func(t *testing.T, s *runtimeAPI) {
				stubNext(t, s)
				stubPost(t, s, "/runtime/invocation/not-a-request/response", `{}`, http.StatusBadRequest)
			},
			wantErr: func(err error) bool { return errors.Is(err, context.DeadlineExceeded) },
		},
		{
			name:    "silent function",
			runtime: func(*testing.T, *runtimeAPI) {},
			wantErr: func(err error) bool { return errors.Is(err, context.DeadlineExceeded) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newRuntimeAPI(t, "stub-test")
			s.timeout = 500 * time.Millisecond
			done := make(chan struct{})
			go func() {
				defer close(done)
				tt.runtime(t, s)
			}()
			got, err := s.Invoke(t.Context(), json.RawMessage(`{"hello":"world"}`))
			<-done
			switch {
			case tt.wantErr != nil:
				if !tt.wantErr(err) {
					t.Errorf("Invoke() error = %v, not the one wanted", err)
				}
			case err != nil:
				t.Errorf("Invoke() error = %v", err)
			case string(got) != tt.wantPayload:
				t.Errorf("Invoke() = %s, want %s", got, tt.wantPayload)
			}
		})
	}
}

// stubNext asks s for the next event, as a runtime does, checks the invocation headers and
// returns the request id and the event.
func stubNext(t *testing.T, s *runtimeAPI) (id string, event []byte) {
	t.Helper()
	resp, err := http.Get("http://" + s.Addr() + pathNext)
	if err != nil {
		t.Errorf("GET next: %v", err)
		return "", nil
	}
	defer resp.Body.Close()
	event, err = io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET next: status %d, error %v", resp.StatusCode, err)
	}
	id = resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
	if id == "" {
		t.Error("no Lambda-Runtime-Aws-Request-Id")
	}
	if ms, err := strconv.ParseInt(resp.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64); err != nil || time.UnixMilli(ms).Before(time.Now()) {
		t.Errorf("Lambda-Runtime-Deadline-Ms = %q, want a future unix time in ms", resp.Header.Get("Lambda-Runtime-Deadline-Ms"))
	}
	for _, h := range []string{"Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Trace-Id"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("no %s", h)
		}
	}
	if s.FirstNext().IsZero() {
		t.Error("FirstNext() is zero after a /next")
	}
	return id, event
}

// stubPost posts body to the Runtime API path under the version prefix and checks the status.
func stubPost(t *testing.T, s *runtimeAPI, path, body string, wantStatus int) {
	t.Helper()
	resp, err := http.Post("http://"+s.Addr()+runtimeAPIVersion+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Errorf("POST %s: %v", path, err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != wantStatus {
		t.Errorf("POST %s: status %d, want %d", path, resp.StatusCode, wantStatus)
	}
}
