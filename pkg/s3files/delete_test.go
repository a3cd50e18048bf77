package s3files

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// answer is one scripted answer of S3 to a DELETE: a status and body, or a network error.
type answer struct {
	status int
	body   string
	err    error
}

// scripted is an HTTP client that answers the n-th request to a key with the n-th answer
// (the last one again once they run out), and counts requests and how many were in flight.
type scripted struct {
	answers []answer
	delay   time.Duration

	mu       sync.Mutex
	requests map[string]int
	inFlight int
	most     int
}

func (s *scripted) Do(req *http.Request) (*http.Response, error) {
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.requests == nil {
		s.requests = map[string]int{}
	}
	n := s.requests[req.URL.Path]
	s.requests[req.URL.Path]++
	s.inFlight++
	s.most = max(s.most, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	time.Sleep(s.delay)
	a := s.answers[min(n, len(s.answers)-1)]
	if a.err != nil {
		return nil, a.err
	}
	return &http.Response{StatusCode: a.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(a.body)), Request: req}, nil
}

func (s *scripted) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.requests {
		n += c
	}
	return n
}

func testFiles(client aws.HTTPClient) *Files {
	f := New(aws.Config{
		Region:      "eu-central-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "token"),
		HTTPClient:  client,
	}, "", "casescribe-documents", 0)
	return f
}

func s3Error(code string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>m</Message><Key>org-1/case-1/SECRETDOC</Key></Error>`
}

func TestDeleteAnswers(t *testing.T) {
	netErr := errors.New("connection reset by peer")
	tests := []struct {
		name         string
		answers      []answer
		wantErr      string // "" for success
		wantRequests int
	}{
		{"deleted", []answer{{status: 204}}, "", 1},
		{"no such key", []answer{{status: 404, body: s3Error("NoSuchKey")}}, "", 1},
		{"404 without a code", []answer{{status: 404}}, "", 1},
		{"no such bucket", []answer{{status: 404, body: s3Error("NoSuchBucket")}}, "404 NoSuchBucket", 1},
		{"access denied", []answer{{status: 403, body: s3Error("AccessDenied")}}, "403 AccessDenied", 1},
		{"a body that is no S3 error", []answer{{status: 400, body: "<Code>a b</Code>"}}, "S3 answered 400", 1},
		{"200 is not S3's answer to a DELETE", []answer{{status: 200}}, "S3 answered 200", 1},
		{"fault, then deleted", []answer{{status: 500, body: s3Error("InternalError")}, {status: 204}}, "", 2},
		{"slow down twice", []answer{{status: 503, body: s3Error("SlowDown")}}, "503 SlowDown", 2},
		{"network error, then deleted", []answer{{err: netErr}, {status: 204}}, "", 2},
		{"network error twice", []answer{{err: netErr}}, "connection reset by peer", 2},
	}
	for _, tt := range tests {
		client := &scripted{answers: tt.answers}
		err := testFiles(client).Delete(context.Background(), "org-1/case-1/SECRETDOC")
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: Delete: %v", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: Delete error %v, want one naming %q", tt.name, err, tt.wantErr)
		case err != nil && strings.Contains(err.Error(), "SECRETDOC"):
			t.Errorf("%s: Delete error %q names the key", tt.name, err)
		}
		if got := client.total(); got != tt.wantRequests {
			t.Errorf("%s: %d requests, want %d", tt.name, got, tt.wantRequests)
		}
	}
}

// The error of the HTTP client itself quotes the URL; Delete's does not repeat it.
func TestDeleteNetworkErrorHidesKey(t *testing.T) {
	f := New(aws.Config{Region: "eu-central-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")},
		"http://127.0.0.1:1", "b", 0)
	err := f.Delete(context.Background(), "org-1/case-1/SECRETDOC")
	if err == nil || strings.Contains(err.Error(), "SECRETDOC") || strings.Contains(err.Error(), "Signature") {
		t.Errorf("Delete with nothing listening: %v, want an error that names neither key nor signature", err)
	}
}

func TestDeleteConcurrency(t *testing.T) {
	client := &scripted{answers: []answer{{status: 204}}, delay: 5 * time.Millisecond}
	keys := make([]string, 50)
	for i := range keys {
		keys[i] = "org-1/case-1/doc-" + string(rune('A'+i))
	}
	if err := testFiles(client).Delete(context.Background(), keys...); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got := client.total(); got != len(keys) {
		t.Errorf("%d requests, want %d", got, len(keys))
	}
	for _, k := range keys {
		if got := client.requests["/"+k]; got != 1 {
			t.Errorf("%d DELETEs of %s, want 1", got, k)
		}
	}
	if client.most > deleteConcurrency || client.most < 2 {
		t.Errorf("%d DELETEs in flight at most, want 2 to %d", client.most, deleteConcurrency)
	}

	// The first failure stops the deletes not yet started.
	refused := &scripted{answers: []answer{{status: 403, body: s3Error("AccessDenied")}}, delay: time.Millisecond}
	if err := testFiles(refused).Delete(context.Background(), keys...); err == nil {
		t.Error("Delete refused by S3 succeeded")
	}
	if got := refused.total(); got >= len(keys) {
		t.Errorf("a refused Delete went on with %d requests of %d", got, len(keys))
	}

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := testFiles(client).Delete(canceled, keys...); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete with a canceled context: %v, want context.Canceled", err)
	}
}

// Delete signs in its headers, with the session token of temporary credentials.
func TestDeleteSigns(t *testing.T) {
	rec := &recorder{status: http.StatusNoContent}
	if err := testFiles(rec).Delete(context.Background(), "org/case/doc"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if len(rec.got) != 1 {
		t.Fatalf("%d requests, want 1", len(rec.got))
	}
	r := rec.got[0]
	if got, want := r.Method+" "+r.URL.String(), "DELETE https://casescribe-documents.s3.eu-central-1.amazonaws.com/org/case/doc?x-id=DeleteObject"; got != want {
		t.Errorf("request %s, want %s", got, want)
	}
	for h, want := range map[string]string{
		"X-Amz-Content-Sha256": emptyPayloadHash,
		"X-Amz-Security-Token": "token",
		"Authorization":        "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=",
	} {
		if got := r.Header.Get(h); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q in it", h, got, want)
		}
	}
}

// A configuration that cannot sign fails every call, and says why.
func TestUnusableConfig(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
	var retrieved atomic.Int32
	failing := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		retrieved.Add(1)
		return aws.Credentials{}, errors.New("no role")
	})
	tests := []struct {
		name     string
		cfg      aws.Config
		endpoint string
		bucket   string
		want     string
	}{
		{"no region", aws.Config{Credentials: creds}, "", "b-1", "no region"},
		{"no credentials", aws.Config{Region: "eu-central-1"}, "", "b-1", "no credentials"},
		{"no bucket", aws.Config{Region: "eu-central-1", Credentials: creds}, "", "", "no bucket"},
		{"region not a host name", aws.Config{Region: "eu-central-1.evil.test/x", Credentials: creds}, "", "b-1", "not a host name"},
		{"endpoint not a URL", aws.Config{Region: "eu-central-1", Credentials: creds}, "127.0.0.1:4569", "b-1", "not an http(s) URL"},
		{"credentials fail", aws.Config{Region: "eu-central-1", Credentials: failing}, "", "b-1", "no role"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		f := New(tt.cfg, tt.endpoint, tt.bucket, 0)
		f.client = &scripted{answers: []answer{{status: 204}}}
		_, upErr := f.UploadURL(ctx, "k", "text/plain", 1)
		_, downErr := f.DownloadURL(ctx, "k", "k.txt")
		delErr := f.Delete(ctx, "k")
		for _, err := range []error{upErr, downErr, delErr} {
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: %v, want an error naming %q", tt.name, err, tt.want)
			}
		}
	}
	// Once for each call: a Delete without credentials is not tried again.
	if got := retrieved.Load(); got != 3 {
		t.Errorf("credentials asked for %d times, want 3", got)
	}
}

func TestBucketURL(t *testing.T) {
	tests := []struct {
		endpoint, bucket, region, want string
	}{
		{"", "casescribe-documents", "eu-central-1", "https://casescribe-documents.s3.eu-central-1.amazonaws.com"},
		{"", "casescribe-documents", "cn-north-1", "https://casescribe-documents.s3.cn-north-1.amazonaws.com.cn"},
		{"", "my.bucket", "eu-central-1", "https://s3.eu-central-1.amazonaws.com/my.bucket"},
		{"", "Legacy_Bucket", "us-east-1", "https://s3.us-east-1.amazonaws.com/Legacy_Bucket"},
		{"http://127.0.0.1:4569", "local", "eu-central-1", "http://127.0.0.1:4569/local"},
		{"http://127.0.0.1:4569/", "local", "eu-central-1", "http://127.0.0.1:4569/local"},
		{"https://s3.example.test/store/", "b", "eu-central-1", "https://s3.example.test/store/b"},
	}
	for _, tt := range tests {
		got, err := bucketURL(tt.endpoint, tt.bucket, tt.region)
		if err != nil || got != tt.want {
			t.Errorf("bucketURL(%q, %q, %q) = %q, %v; want %q", tt.endpoint, tt.bucket, tt.region, got, err, tt.want)
		}
	}
}

func TestEscapePath(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"01JNQ3ZK3F/01JNQ40M5G/01JNQ41R6S", "01JNQ3ZK3F/01JNQ40M5G/01JNQ41R6S"},
		{"a-b_c.d~e", "a-b_c.d~e"},
		{"a b+c", "a%20b%2Bc"},
		{"Röntgen", "R%C3%B6ntgen"},
		{"50%/x?y#z&w=v", "50%25/x%3Fy%23z%26w%3Dv"},
		{"!*'();:@$,", "%21%2A%27%28%29%3B%3A%40%24%2C"},
		{"//", "//"},
	}
	for _, tt := range tests {
		if got := escapePath(tt.in, true); got != tt.want {
			t.Errorf("escapePath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := escapePath("a/b", false); got != "a%2Fb" {
		t.Errorf("escapePath of a bucket %q = %q, want a%%2Fb", "a/b", got)
	}
}
