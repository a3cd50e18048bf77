package lambdastub_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/casescribe/sharing/infra/lambdastub"
)

// newStub starts a stub and closes it when the test ends.
func newStub(t *testing.T) *lambdastub.RuntimeAPI {
	t.Helper()
	s, err := lambdastub.New("stub-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// TestRuntimeAPIStub checks the stub against a hand-written runtime client, including the
// paths aws-lambda-go never takes (/init/error, unknown request ids, a silent function).
func TestRuntimeAPIStub(t *testing.T) {
	errExited := errors.New("process exited")
	tests := []struct {
		name string
		// runtime plays the function: it gets one event (if it asks) and answers.
		runtime     func(t *testing.T, s *lambdastub.RuntimeAPI)
		wantPayload string
		wantErr     func(error) bool
	}{
		{
			name: "response",
			runtime: func(t *testing.T, s *lambdastub.RuntimeAPI) {
				id, event := stubNext(t, s)
				stubPost(t, s, "/runtime/invocation/"+id+"/response", string(event), http.StatusAccepted)
			},
			wantPayload: `{"hello":"world"}`,
		},
		{
			name: "function error",
			runtime: func(t *testing.T, s *lambdastub.RuntimeAPI) {
				id, _ := stubNext(t, s)
				stubPost(t, s, "/runtime/invocation/"+id+"/error", `{"errorMessage":"boom","errorType":"errorString"}`, http.StatusAccepted)
			},
			wantErr: func(err error) bool {
				var fe *lambdastub.FunctionError
				return errors.As(err, &fe) && *fe == lambdastub.FunctionError{Phase: "invoke", Type: "errorString", Message: "boom"}
			},
		},
		{
			name: "init error",
			runtime: func(t *testing.T, s *lambdastub.RuntimeAPI) {
				stubPost(t, s, "/runtime/init/error", `{"errorMessage":"no config","errorType":"Runtime.ExitError"}`, http.StatusAccepted)
				if s.InitError() == nil {
					t.Error("InitError() = nil after /init/error")
				}
			},
			wantErr: func(err error) bool {
				var fe *lambdastub.FunctionError
				return errors.As(err, &fe) && fe.Phase == "init" && fe.Message == "no config"
			},
		},
		{
			name: "unknown request id",
			runtime: func(t *testing.T, s *lambdastub.RuntimeAPI) {
				stubNext(t, s)
				stubPost(t, s, "/runtime/invocation/not-a-request/response", `{}`, http.StatusBadRequest)
			},
			wantErr: func(err error) bool { return errors.Is(err, context.DeadlineExceeded) },
		},
		{
			name:    "silent function",
			runtime: func(*testing.T, *lambdastub.RuntimeAPI) {},
			wantErr: func(err error) bool { return errors.Is(err, context.DeadlineExceeded) },
		},
		{
			name:    "process gone",
			runtime: func(_ *testing.T, s *lambdastub.RuntimeAPI) { s.Fail(errExited) },
			wantErr: func(err error) bool { return errors.Is(err, errExited) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t)
			s.InvokeTimeout = 500 * time.Millisecond
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

// Ready is closed by the first /next, which FirstNext dates; Close answers a /next still
// waiting for an event.
func TestReadyAndClose(t *testing.T) {
	s := newStub(t)
	select {
	case <-s.Ready():
		t.Fatal("Ready() is closed before any /next")
	default:
	}
	if !s.FirstNext().IsZero() {
		t.Errorf("FirstNext() = %v before any /next, want zero", s.FirstNext())
	}
	before := time.Now()
	status := make(chan int, 1)
	go func() {
		resp, err := http.Get("http://" + s.Addr() + lambdastub.PathNext)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	select {
	case <-s.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("Ready() not closed after a /next")
	}
	if first := s.FirstNext(); first.Before(before) || first.After(time.Now()) {
		t.Errorf("FirstNext() = %v, want between %v and now", first, before)
	}
	s.Close()
	if got := <-status; got != http.StatusServiceUnavailable && got != 0 {
		t.Errorf("waiting /next after Close: status %d, want 503 or a closed connection", got)
	}
}

// stubNext asks s for the next event, as a runtime does, checks the invocation headers and
// returns the request id and the event.
func stubNext(t *testing.T, s *lambdastub.RuntimeAPI) (id string, event []byte) {
	t.Helper()
	resp, err := http.Get("http://" + s.Addr() + lambdastub.PathNext)
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
func stubPost(t *testing.T, s *lambdastub.RuntimeAPI, path, body string, wantStatus int) {
	t.Helper()
	resp, err := http.Post("http://"+s.Addr()+lambdastub.Version+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Errorf("POST %s: %v", path, err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != wantStatus {
		t.Errorf("POST %s: status %d, want %d", path, resp.StatusCode, wantStatus)
	}
}

func TestNewRequestID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := lambdastub.NewRequestID()
		if len(id) != 36 || strings.Count(id, "-") != 4 || id[14] != '4' || seen[id] {
			t.Fatalf("NewRequestID() = %q, want a fresh version 4 UUID", id)
		}
		seen[id] = true
	}
}
