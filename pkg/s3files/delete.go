package s3files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// deleteConcurrency is how many DELETEs are in flight at once: enough that a case with
// hundreds of documents is gone in a few seconds, few enough to stay far below S3's request
// rate per prefix and to keep a Lambda's connections few.
const deleteConcurrency = 8

// requestTimeout bounds one request to S3, whichever HTTP client sends it: a DELETE answers in
// milliseconds, and a stalled one must not hold its function until the function's own timeout.
const requestTimeout = 10 * time.Second

// emptyPayloadHash is the SHA-256 of an empty body, which a DELETE states and signs in
// x-amz-content-sha256: S3 requires that header on every request signed in its headers.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Delete removes the files at keys, one DELETE each, a few at a time. Keys already gone are no
// error, and no keys make no call. The first failure stops the deletes not yet started and is
// returned; the files deleted before it stay deleted, so deleting the same keys again finishes
// the job.
func (f *Files) Delete(ctx context.Context, keys ...string) error {
	// Checked before any call, so that a bad key deletes nothing rather than some.
	if slices.Contains(keys, "") {
		return errNoKey
	}
	if len(keys) == 0 {
		return nil
	}
	if f.err != nil {
		return f.err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	work := make(chan string)
	for range min(deleteConcurrency, len(keys)) {
		wg.Go(func() {
			for key := range work {
				if err := f.deleteOne(ctx, key); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					cancel()
				}
			}
		})
	}
	sent := 0
send:
	for _, key := range keys {
		select {
		case work <- key:
			sent++
		case <-ctx.Done():
			break send
		}
	}
	close(work)
	wg.Wait()
	if first == nil && sent < len(keys) {
		first = ctx.Err()
	}
	if first != nil {
		return fmt.Errorf("delete %d files: %w", len(keys), first)
	}
	return nil
}

// deleteOne deletes key, trying once more after a fault of S3's (a 5xx, which S3 asks clients
// to retry) or of the network: a DELETE may be repeated safely. Its errors never name the key,
// which is the caller's to name.
func (f *Files) deleteOne(ctx context.Context, key string) error {
	for attempt := 1; ; attempt++ {
		status, code, err := f.deleteAttempt(ctx, key)
		_, unanswered := errors.AsType[*networkError](err)
		switch {
		case err == nil && gone(status, code):
			return nil
		case attempt == 1 && ctx.Err() == nil && (unanswered || err == nil && status >= 500):
			// A short pause, varied so that the deletes a fault hit together do not return
			// together.
			select {
			case <-time.After(100*time.Millisecond + rand.N(100*time.Millisecond)):
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		case err != nil:
			return err
		default:
			return fmt.Errorf("S3 answered %d %s", status, code)
		}
	}
}

// gone reports whether S3's answer to a DELETE means the file is not there any more: 204 after
// deleting it, or 404 if there was none. A 404 that names another cause (NoSuchBucket) is a
// misconfiguration, not a deleted file.
func gone(status int, code string) bool {
	return status == http.StatusNoContent || status == http.StatusNotFound && (code == "" || code == "NoSuchKey")
}

// networkError is a request that got no answer, which may be tried again.
type networkError struct{ err error }

func (e *networkError) Error() string { return e.err.Error() }
func (e *networkError) Unwrap() error { return e.err }

// deleteAttempt sends one signed DELETE of key and returns S3's status and error code ("" if it
// names none), or a *networkError if S3 did not answer.
func (f *Files) deleteAttempt(ctx context.Context, key string) (status int, code string, err error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := f.request(ctx, http.MethodDelete, key, "DeleteObject", nil)
	if err != nil {
		return 0, "", err
	}
	creds, err := f.creds.Retrieve(ctx)
	if err != nil {
		return 0, "", fmt.Errorf("credentials: %w", err)
	}
	req.Header.Set("X-Amz-Content-Sha256", emptyPayloadHash)
	// Temporary credentials (a Lambda role's) add X-Amz-Security-Token to the signed headers.
	if err := signer.SignHTTP(ctx, creds, req, emptyPayloadHash, "s3", f.region, f.now()); err != nil {
		return 0, "", fmt.Errorf("sign: %w", err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		// The client's error quotes the URL, key and signature included.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = fmt.Errorf("%s: %w", ue.Op, ue.Err)
		}
		return 0, "", &networkError{err}
	}
	defer resp.Body.Close()
	// Read (a bounded part of) the body to its end, so that the connection can be reused.
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil && resp.StatusCode != http.StatusNoContent {
		return 0, "", &networkError{fmt.Errorf("read S3's answer %d: %w", resp.StatusCode, err)}
	}
	return resp.StatusCode, errorCode(body), nil
}

// errorCode returns the Code of an S3 error document, or "" if body holds none. Only a code's
// own characters are taken, so that an error never repeats what else the body says.
func errorCode(body []byte) string {
	_, rest, ok := strings.Cut(string(body), "<Code>")
	if !ok {
		return ""
	}
	code, _, ok := strings.Cut(rest, "</Code>")
	if !ok || len(code) > 64 {
		return ""
	}
	for _, c := range code {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.') {
			return ""
		}
	}
	return code
}
