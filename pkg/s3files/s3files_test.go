package s3files_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/api"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/s3files"
)

// The document routes sign their URLs through this adapter.
var _ api.Files = (*s3files.Files)(nil)

func TestMain(m *testing.M) {
	code := m.Run()
	localstack.StopTestStack()
	os.Exit(code)
}

// s3Config is how every client of these tests signs: the one key pair s3rver knows.
func s3Config() aws.Config {
	return aws.Config{
		Region:      localstack.Region,
		Credentials: credentials.NewStaticCredentialsProvider(localstack.S3AccessKeyID, localstack.S3SecretAccessKey, ""),
	}
}

// fixture is Files on a fresh bucket, reached through a strictS3 in front of s3rver.
type fixture struct {
	files  *s3files.Files
	bucket string
	s3     *strictS3
}

func newFixture(t *testing.T, expires time.Duration) fixture {
	t.Helper()
	bucket := localstack.NewTestBucket(t)
	strict := newStrictS3(t)
	return fixture{files: s3files.New(s3Config(), strict.URL, bucket, expires), bucket: bucket, s3: strict}
}

// do sends method to rawURL with header and body, and returns the status and body.
func do(t *testing.T, method, rawURL string, header map[string]string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = nil, 0
	}
	for k, v := range header {
		// Content-Length comes from the body, as a browser sets it.
		if k != "Content-Length" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: read body: %v", method, err)
	}
	return resp.StatusCode, resp.Header, got
}

// upload puts body through a fresh upload URL for key and fails the test unless it is stored.
func upload(t *testing.T, f *s3files.Files, key, contentType string, body []byte) {
	t.Helper()
	u, err := f.UploadURL(t.Context(), key, contentType, int64(len(body)))
	if err != nil {
		t.Fatalf("UploadURL: %v", err)
	}
	if status, _, resp := do(t, u.Method, u.URL, u.Header, body); status != http.StatusOK {
		t.Fatalf("upload %s: status %d: %s", key, status, resp)
	}
}

// wantRefused fails the test unless status is 403 and body names code (and, if given, text).
func wantRefused(t *testing.T, what string, status int, body []byte, code, text string) {
	t.Helper()
	if status != http.StatusForbidden || !bytes.Contains(body, []byte("<Code>"+code+"</Code>")) || !bytes.Contains(body, []byte(text)) {
		t.Errorf("%s: status %d, body %s; want 403 %s %q", what, status, body, code, text)
	}
}

func TestUploadThenDownload(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, 0)
	body := []byte("%PDF-1.7\nKnee MRI, left, 2026-03-02\n")
	const key, contentType = "org-1/case-1/doc-1", "application/pdf"

	u, err := fx.files.UploadURL(t.Context(), key, contentType, int64(len(body)))
	if err != nil {
		t.Fatalf("UploadURL: %v", err)
	}
	if u.Method != http.MethodPut {
		t.Errorf("upload Method = %q, want PUT", u.Method)
	}
	wantHeader := map[string]string{"Content-Type": contentType, "Content-Length": strconv.Itoa(len(body))}
	if len(u.Header) != len(wantHeader) {
		t.Errorf("upload Header = %v, want %v", u.Header, wantHeader)
	}
	for k, v := range wantHeader {
		if u.Header[k] != v {
			t.Errorf("upload Header[%s] = %q, want %q", k, u.Header[k], v)
		}
	}
	if status, _, resp := do(t, u.Method, u.URL, u.Header, body); status != http.StatusOK {
		t.Fatalf("upload: status %d: %s", status, resp)
	}

	const name = `Röntgen "final" report.pdf`
	d, err := fx.files.DownloadURL(t.Context(), key, name)
	if err != nil {
		t.Fatalf("DownloadURL: %v", err)
	}
	if d.Method != http.MethodGet || len(d.Header) != 0 {
		t.Errorf("download Method, Header = %q, %v; want GET and no headers", d.Method, d.Header)
	}
	status, header, got := do(t, d.Method, d.URL, d.Header, nil)
	if status != http.StatusOK {
		t.Fatalf("download: status %d: %s", status, got)
	}
	if !bytes.Equal(got, body) {
		t.Errorf("downloaded %q, want %q", got, body)
	}
	if got := header.Get("Content-Type"); got != contentType {
		t.Errorf("download Content-Type = %q, want %q", got, contentType)
	}
	const wantCD = `attachment; filename="R_ntgen _final_ report.pdf"; filename*=UTF-8''R%C3%B6ntgen%20%22final%22%20report.pdf`
	if got := header.Get("Content-Disposition"); got != wantCD {
		t.Errorf("download Content-Disposition = %q, want %q", got, wantCD)
	}
	// What a browser makes of it: the exact name.
	disp, params, err := mime.ParseMediaType(header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" || params["filename"] != name {
		t.Errorf("parsed Content-Disposition = %q %v (%v), want attachment named %q", disp, params, err, name)
	}
}

// FromConfig is what the Lambda functions use; under sam local it names s3rver's endpoint.
func TestFromConfig(t *testing.T) {
	t.Parallel()
	bucket := localstack.NewTestBucket(t)
	strict := newStrictS3(t)
	f := s3files.FromConfig(s3Config(), strict.URL, bucket)
	upload(t, f, "org-1/case-1/doc-2", "text/plain", []byte("facts"))
	d, err := f.DownloadURL(t.Context(), "org-1/case-1/doc-2", "facts.txt")
	if err != nil {
		t.Fatalf("DownloadURL: %v", err)
	}
	if status, _, got := do(t, d.Method, d.URL, nil, nil); status != http.StatusOK || string(got) != "facts" {
		t.Errorf("download: status %d, body %q; want 200 %q", status, got, "facts")
	}
	if left := time.Until(d.ExpiresAt); left <= 4*time.Minute || left > s3files.MaxExpires {
		t.Errorf("ExpiresAt is %s away, want about %s", left, s3files.MaxExpires)
	}
}

// The signature binds the declared type and size: a PUT of anything else is refused, so a
// document's bytes always match its record.
func TestUploadRefusesOtherTypeOrSize(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, 0)
	body := []byte("0123456789")
	u, err := fx.files.UploadURL(t.Context(), "org-1/case-1/doc-3", "application/pdf", int64(len(body)))
	if err != nil {
		t.Fatalf("UploadURL: %v", err)
	}
	tests := []struct {
		name   string
		header map[string]string
		body   []byte
	}{
		{"other type", map[string]string{"Content-Type": "text/html"}, body},
		{"no type", map[string]string{}, body},
		{"larger", u.Header, append(body, "more"...)},
		{"smaller", u.Header, body[:4]},
	}
	for _, tt := range tests {
		status, _, resp := do(t, u.Method, u.URL, tt.header, tt.body)
		wantRefused(t, tt.name, status, resp, "SignatureDoesNotMatch", "")
	}
	// The same URL, used as signed, works: the refusals above were for the type and size.
	if status, _, resp := do(t, u.Method, u.URL, u.Header, body); status != http.StatusOK {
		t.Errorf("upload as signed: status %d: %s", status, resp)
	}
}

func TestTamperedURLRefused(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, 0)
	upload(t, fx.files, "org-1/case-1/doc-4", "text/plain", []byte("secret"))
	d, err := fx.files.DownloadURL(t.Context(), "org-1/case-1/doc-4", "a.txt")
	if err != nil {
		t.Fatalf("DownloadURL: %v", err)
	}
	other, err := fx.files.DownloadURL(t.Context(), "org-1/case-1/doc-5", "a.txt")
	if err != nil {
		t.Fatalf("DownloadURL: %v", err)
	}

	tests := []struct {
		name   string
		change func(q url.Values, u *url.URL)
	}{
		{"signature changed", func(q url.Values, _ *url.URL) {
			sig := []byte(q.Get("X-Amz-Signature"))
			sig[0] ^= 1
			q.Set("X-Amz-Signature", string(sig))
		}},
		{"signature of another key", func(q url.Values, _ *url.URL) {
			o, _ := url.Parse(other.URL)
			q.Set("X-Amz-Signature", o.Query().Get("X-Amz-Signature"))
		}},
		{"expiry extended", func(q url.Values, _ *url.URL) { q.Set("X-Amz-Expires", "604800") }},
		{"other key", func(_ url.Values, u *url.URL) { u.Path = strings.Replace(u.Path, "doc-4", "doc-5", 1) }},
		{"unsigned", func(q url.Values, _ *url.URL) {
			for k := range q {
				if strings.HasPrefix(k, "X-Amz-") {
					q.Del(k)
				}
			}
		}},
	}
	for _, tt := range tests {
		u, err := url.Parse(d.URL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		tt.change(q, u)
		u.RawQuery = q.Encode()
		status, _, body := do(t, http.MethodGet, u.String(), nil, nil)
		code := "SignatureDoesNotMatch"
		if tt.name == "unsigned" {
			code = "AccessDenied"
		}
		wantRefused(t, tt.name, status, body, code, "")
	}
	if status, _, body := do(t, d.Method, d.URL, nil, nil); status != http.StatusOK || string(body) != "secret" {
		t.Errorf("untampered download: status %d, body %q", status, body)
	}
}

// s3rver itself refuses a request signed with a key it does not know, with no strictS3 in
// between: the stand-in does check who signed, if not what was signed.
func TestS3rverRefusesUnknownAccessKey(t *testing.T) {
	t.Parallel()
	stack := localstack.ForTest(t)
	bucket := localstack.NewTestBucket(t)
	f := s3files.New(s3Config(), stack.S3Endpoint, bucket, 0)
	upload(t, f, "org-1/case-1/doc-6", "text/plain", []byte("x"))
	d, err := f.DownloadURL(t.Context(), "org-1/case-1/doc-6", "x.txt")
	if err != nil {
		t.Fatalf("DownloadURL: %v", err)
	}
	forged := strings.Replace(d.URL, "X-Amz-Credential="+localstack.S3AccessKeyID, "X-Amz-Credential=AKIAFORGED", 1)
	if forged == d.URL {
		t.Fatalf("no credential in %s", d.URL)
	}
	status, _, body := do(t, http.MethodGet, forged, nil, nil)
	wantRefused(t, "unknown access key", status, body, "InvalidAccessKeyId", "")
}

// s3rver enforces X-Amz-Expires itself (its authentication middleware compares X-Amz-Date plus
// X-Amz-Expires with its clock), so this runs straight against it.
func TestExpiredURLRefused(t *testing.T) {
	t.Parallel()
	stack := localstack.ForTest(t)
	bucket := localstack.NewTestBucket(t)
	long := s3files.New(s3Config(), stack.S3Endpoint, bucket, 0)
	upload(t, long, "org-1/case-1/doc-7", "text/plain", []byte("x"))

	short := s3files.New(s3Config(), stack.S3Endpoint, bucket, time.Second)
	before := time.Now()
	d, err := short.DownloadURL(t.Context(), "org-1/case-1/doc-7", "x.txt")
	if err != nil {
		t.Fatalf("DownloadURL: %v", err)
	}
	u, _ := url.Parse(d.URL)
	if got := u.Query().Get("X-Amz-Expires"); got != "1" {
		t.Errorf("X-Amz-Expires = %q, want 1", got)
	}
	// The signature states whole seconds, so the URL may expire up to a second early.
	if d.ExpiresAt.After(before.Add(time.Second)) || d.ExpiresAt.Before(before.Add(-time.Second)) {
		t.Errorf("ExpiresAt = %s, want within a second before %s", d.ExpiresAt, before.Add(time.Second))
	}
	time.Sleep(time.Until(d.ExpiresAt) + 1100*time.Millisecond)
	status, _, body := do(t, d.Method, d.URL, nil, nil)
	wantRefused(t, "expired download", status, body, "AccessDenied", "Request has expired")

	up, err := short.UploadURL(t.Context(), "org-1/case-1/doc-8", "text/plain", 1)
	if err != nil {
		t.Fatalf("UploadURL: %v", err)
	}
	time.Sleep(time.Until(up.ExpiresAt) + 1100*time.Millisecond)
	status, _, body = do(t, up.Method, up.URL, up.Header, []byte("x"))
	wantRefused(t, "expired upload", status, body, "AccessDenied", "Request has expired")
}

func TestDelete(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, 0)
	for _, k := range []string{"org-1/case-1/a", "org-1/case-1/b", "org-1/case-2/c"} {
		upload(t, fx.files, k, "text/plain", []byte(k))
	}
	// Keys of one case, as the product deletes them. s3rver deletes them concurrently and then
	// may race itself removing their now empty folder, answering 500 InternalError; Delete's
	// retry then succeeds. So the number of calls is not checked here, only the outcome.
	if err := fx.files.Delete(t.Context(), "org-1/case-1/a", "org-1/case-1/b", "org-1/case-1/never-uploaded"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	stack := localstack.ForTest(t)
	for k, want := range map[string]bool{"org-1/case-1/a": false, "org-1/case-1/b": false, "org-1/case-2/c": true} {
		_, err := stack.S3().HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(fx.bucket), Key: aws.String(k)})
		var notFound *types.NotFound
		if exists := err == nil; exists != want || (err != nil && !errors.As(err, &notFound)) {
			t.Errorf("after Delete, %s exists = %v (%v), want %v", k, exists, err, want)
		}
	}
	// Deleting again, everything already gone, is no error.
	if err := fx.files.Delete(t.Context(), "org-1/case-1/a", "org-1/case-1/b"); err != nil {
		t.Errorf("Delete of deleted keys: %v", err)
	}

	// No keys, no call.
	before := len(fx.s3.seen())
	if err := fx.files.Delete(t.Context()); err != nil {
		t.Errorf("Delete(): %v", err)
	}
	if got := len(fx.s3.seen()) - before; got != 0 {
		t.Errorf("Delete() made %d calls, want 0", got)
	}
}

// A case with many documents is deleted one signed DELETE per key (strictS3 checks each
// signature), a few at a time, and a key with characters S3 escapes is deleted too.
func TestDeleteManyKeys(t *testing.T) {
	t.Parallel()
	fx := newFixture(t, 0)
	const odd = "org-1/case-9/Röntgen + report (final)!.pdf"
	upload(t, fx.files, odd, "text/plain", []byte("odd"))
	upload(t, fx.files, "org-1/case-9/doc-59", "text/plain", []byte("last"))
	keys := []string{odd}
	for i := range 60 {
		keys = append(keys, "org-1/case-9/doc-"+strconv.Itoa(i))
	}
	before := len(fx.s3.seen())
	if err := fx.files.Delete(t.Context(), keys...); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	deleted := map[string]bool{}
	for _, r := range fx.s3.seen()[before:] {
		if r.Method != http.MethodDelete || r.Query.Get("x-id") != "DeleteObject" {
			t.Errorf("Delete sent %s %s?%v, want DELETE ?x-id=DeleteObject", r.Method, r.Path, r.Query)
			continue
		}
		deleted[strings.TrimPrefix(r.Path, "/"+fx.bucket+"/")] = true
	}
	for _, k := range keys {
		if !deleted[k] {
			t.Errorf("Delete sent no DELETE of %q", k)
		}
	}
	if len(deleted) != len(keys) {
		t.Errorf("Delete deleted %d keys, want %d", len(deleted), len(keys))
	}
	if got := fx.s3.maxInFlight(); got > 8 {
		t.Errorf("Delete had %d requests in flight, want at most 8", got)
	}
	for _, k := range []string{odd, "org-1/case-9/doc-59"} {
		_, err := localstack.ForTest(t).S3().HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(fx.bucket), Key: aws.String(k)})
		var notFound *types.NotFound
		if !errors.As(err, &notFound) {
			t.Errorf("%s after Delete: HeadObject error = %v, want NotFound", k, err)
		}
	}
}

// A Delete that S3 refuses is an error, never a silent success, and the error says why.
func TestDeleteFailure(t *testing.T) {
	t.Parallel()
	stack := localstack.ForTest(t)
	f := s3files.New(s3Config(), stack.S3Endpoint, "b-no-such-bucket-"+strconv.FormatInt(time.Now().UnixNano(), 36), 0)
	err := f.Delete(context.Background(), "org-1/case-1/a")
	if err == nil || !strings.Contains(err.Error(), "404 NoSuchBucket") {
		t.Errorf("Delete in a bucket that does not exist: %v, want 404 NoSuchBucket", err)
	}
}

func TestUploadURLRefusesWhatCannotBeBound(t *testing.T) {
	f := s3files.New(s3Config(), "http://127.0.0.1:1", "b", 0)
	tests := []struct {
		name        string
		key, ctype  string
		size        int64
		wantInvalid bool
	}{
		{"empty", "k", "text/plain", 0, true},
		{"negative size", "k", "text/plain", -1, true},
		{"no content type", "k", "", 10, true},
		{"no key", "", "text/plain", 10, false},
	}
	for _, tt := range tests {
		_, err := f.UploadURL(context.Background(), tt.key, tt.ctype, tt.size)
		if err == nil {
			t.Errorf("%s: UploadURL succeeded", tt.name)
			continue
		}
		if got := casescribe.ErrorCode(err) == casescribe.EINVALID; got != tt.wantInvalid {
			t.Errorf("%s: UploadURL error %v, invalid = %v, want %v", tt.name, err, got, tt.wantInvalid)
		}
	}
	if _, err := f.DownloadURL(context.Background(), "", "a.txt"); err == nil {
		t.Error("DownloadURL of an empty key succeeded")
	}
	if err := f.Delete(context.Background(), "k", ""); err == nil {
		t.Error("Delete of an empty key succeeded")
	}
}
