package localstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// maxPortAttempts bounds retries when an auto-picked port is grabbed by
	// someone else between freePort and the emulator's bind.
	maxPortAttempts = 3
	// probeInterval and probeTimeout pace readiness polling.
	probeInterval = 100 * time.Millisecond
	probeTimeout  = 2 * time.Second
	// stopTimeout bounds waiting for a killed emulator to be reaped.
	stopTimeout = 10 * time.Second
	// tailSize is how much recent output is kept for error messages.
	tailSize = 4096
)

// errPortTaken marks a start that failed because the port was already bound.
var errPortTaken = errors.New("port already in use")

// process is one running emulator.
type process struct {
	name    string
	port    int
	cmd     *exec.Cmd
	out     *outputWriter
	done    chan struct{} // closed once cmd.Wait has returned
	waitErr error         // cmd.Wait's result; read only after done is closed

	stopOnce sync.Once
	stopErr  error
}

// launch starts spec in workDir and waits until it is ready. An auto-picked
// port that turns out to be taken is retried with a fresh one. It returns the
// process (possibly not ready, so the caller can stop it) and its endpoint.
func launch(ctx context.Context, spec emulatorSpec, workDir string, logw io.Writer) (*process, string, error) {
	attempts := 1
	if spec.port == 0 {
		attempts = maxPortAttempts
	}
	var lastErr error
	for range attempts {
		port := spec.port
		if port == 0 {
			var err error
			if port, err = freePort(); err != nil {
				return nil, "", fmt.Errorf("start %s: %w", spec.name, err)
			}
		}
		endpoint := "http://" + localhost + ":" + strconv.Itoa(port)
		p, err := spawn(spec, port, workDir, logw)
		if err != nil {
			return nil, "", err
		}
		err = p.waitReady(ctx, spec.probe, endpoint)
		if err == nil {
			return p, endpoint, nil
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) || spec.port != 0 {
			return p, "", err
		}
		// Lost the race for this port; stop and try another.
		if serr := p.stop(); serr != nil {
			return nil, "", errors.Join(err, serr)
		}
	}
	return nil, "", lastErr
}

// spawn starts the emulator process without waiting for readiness.
func spawn(spec emulatorSpec, port int, workDir string, logw io.Writer) (*process, error) {
	prog, args, env := spec.command(port, workDir)
	cmd := exec.Command(prog, args...)
	// Each emulator gets its own working directory: cognito-local keeps its
	// database in ./.cognito, and DynamoDB Local may write helper files.
	cmd.Dir = workDir
	cmd.Env = emulatorEnv(env)
	out := newOutputWriter(spec.short, logw)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = childProcAttr()
	// If a killed emulator left a grandchild holding the output pipe, Wait
	// would block forever; this bounds it.
	cmd.WaitDelay = 2 * time.Second

	if err := startCmd(cmd); err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.name, err)
	}
	p := &process{name: spec.name, port: port, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		out.flush()
		close(p.done)
	}()
	return p, nil
}

// waitReady polls probe until it succeeds, the process dies, ctx ends or
// readyTimeout passes. Process death is checked after every successful probe
// too, so another server answering on the same port is never mistaken for
// ours.
func (p *process) waitReady(ctx context.Context, probe func(context.Context, string) error, endpoint string) error {
	timeout := time.NewTimer(readyTimeout)
	defer timeout.Stop()
	tick := time.NewTicker(probeInterval)
	defer tick.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		probeErr := probe(pctx, endpoint)
		cancel()
		if err := p.failure(); err != nil {
			return err
		}
		if probeErr == nil {
			return nil
		}
		select {
		case <-p.done:
			return p.failure()
		case <-p.out.portTaken:
			return p.failure()
		case <-ctx.Done():
			return fmt.Errorf("start %s: %w; last output:\n%s", p.name, ctx.Err(), p.out.tail())
		case <-timeout.C:
			return fmt.Errorf("start %s: no answer on %s within %s (last probe error: %v); last output:\n%s",
				p.name, endpoint, readyTimeout, probeErr, p.out.tail())
		case <-tick.C:
		}
	}
}

// failure returns a descriptive error if the process has died or reported
// that its port is taken, and nil while it looks healthy.
func (p *process) failure() error {
	select {
	case <-p.out.portTaken:
		// DynamoDB Local logs the bind failure but its JVM keeps running,
		// so this must be detected from the output, not from exit.
		return fmt.Errorf("start %s: %w (port %d); last output:\n%s", p.name, errPortTaken, p.port, p.out.tail())
	default:
	}
	select {
	case <-p.done:
		return fmt.Errorf("start %s: exited before it was ready (%v); last output:\n%s", p.name, p.waitErr, p.out.tail())
	default:
		return nil
	}
}

// stop kills the process group and waits for the process to be reaped.
// SIGKILL rather than a graceful signal: all state is in memory or in a temp
// dir that is deleted anyway, and it makes Close fast and certain.
func (p *process) stop() error {
	p.stopOnce.Do(func() {
		killGroup(p.cmd.Process)
		select {
		case <-p.done:
		case <-time.After(stopTimeout):
			p.stopErr = fmt.Errorf("stop %s (pid %d): still running %s after kill", p.name, p.cmd.Process.Pid, stopTimeout)
		}
	})
	return p.stopErr
}

// spawner runs every fork on one dedicated, locked OS thread. On Linux the
// parent-death signal fires when the *thread* that forked the child exits,
// not the process; Go may retire threads (e.g. when a goroutine that called
// LockOSThread exits), which would SIGKILL a healthy emulator. A thread that
// never exits makes the signal mean exactly "our process died".
var spawner struct {
	once sync.Once
	reqs chan spawnRequest
}

type spawnRequest struct {
	cmd  *exec.Cmd
	done chan error
}

func startCmd(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnRequest)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the process
			for r := range spawner.reqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	spawner.reqs <- spawnRequest{cmd: cmd, done: done}
	return <-done
}

// outputWriter receives an emulator's stdout and stderr. It keeps the recent
// tail for error messages, forwards complete lines (prefixed with the
// emulator name) to the log, and watches for "address in use" messages.
type outputWriter struct {
	prefix string
	log    io.Writer // nil = discard

	mu         sync.Mutex
	tailBuf    []byte
	partial    []byte // current incomplete line, for prefixing
	portTaken  chan struct{}
	portClosed bool
}

func newOutputWriter(prefix string, log io.Writer) *outputWriter {
	return &outputWriter{prefix: "[" + prefix + "] ", log: log, portTaken: make(chan struct{})}
}

// bindFailureMarkers are substrings the emulators print when their port is
// taken: Java's BindException, Node's EADDRINUSE, and aws-ses-v2-local's own
// message (it swallows the listen error and then fails differently).
var bindFailureMarkers = []string{"address already in use", "eaddrinuse", "server does not have an address"}

// Write implements io.Writer.
func (w *outputWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tailBuf = append(w.tailBuf, b...)
	if len(w.tailBuf) > 2*tailSize {
		w.tailBuf = append([]byte(nil), w.tailBuf[len(w.tailBuf)-tailSize:]...)
	}
	if !w.portClosed {
		// Search the tail, not just b, so a marker split across writes is
		// still found.
		lower := strings.ToLower(string(w.tailBuf[max(0, len(w.tailBuf)-len(b)-64):]))
		for _, m := range bindFailureMarkers {
			if strings.Contains(lower, m) {
				close(w.portTaken)
				w.portClosed = true
				break
			}
		}
	}
	if w.log != nil {
		w.partial = append(w.partial, b...)
		for {
			i := bytes.IndexByte(w.partial, '\n')
			if i < 0 {
				break
			}
			_, _ = w.log.Write([]byte(w.prefix + string(w.partial[:i+1])))
			w.partial = w.partial[i+1:]
		}
		if len(w.partial) > tailSize {
			// A very long line without newline: forward it rather than grow.
			_, _ = w.log.Write([]byte(w.prefix + string(w.partial) + "\n"))
			w.partial = nil
		}
	}
	return len(b), nil
}

// flush forwards a final unterminated line to the log.
func (w *outputWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.log != nil && len(w.partial) > 0 {
		_, _ = w.log.Write([]byte(w.prefix + string(w.partial) + "\n"))
		w.partial = nil
	}
}

// tail returns the last output, trimmed to whole lines where possible.
func (w *outputWriter) tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.tailBuf
	if len(t) > tailSize {
		t = t[len(t)-tailSize:]
		if i := bytes.IndexByte(t, '\n'); i >= 0 {
			t = t[i+1:]
		}
	}
	s := strings.TrimSpace(string(t))
	if s == "" {
		return "(no output)"
	}
	return s
}

// syncWriter serialises writes from the emulators' output goroutines,
// since the caller's writer need not be safe for concurrent use.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// newSyncWriter returns nil for a nil writer so outputWriter can skip the
// line splitting entirely.
func newSyncWriter(w io.Writer) io.Writer {
	if w == nil {
		return nil
	}
	return &syncWriter{w: w}
}

// Write implements io.Writer.
func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}
