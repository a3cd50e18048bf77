package s3files_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/casescribe/sharing/infra/localstack"
)

// strictS3 stands in front of s3rver and checks what s3rver 3.7.1 does not: it verifies
// Signature Version 4 only as far as the access key ID (its authentication middleware says
// "Signature version 4 calculation is unimplemented") and serves unsigned requests as
// anonymous. S3 refuses both a signature that does not match the request and, on a private
// bucket, any unsigned request. strictS3 refuses them the same way (403 with S3's error code),
// recomputing each signature with the SDK's signer from what the request carries, and passes
// everything else on to s3rver, which still enforces expiry and the access key itself.
type strictS3 struct {
	URL string

	mu       sync.Mutex
	requests []seenRequest
	inFlight int
	most     int
}

// seenRequest is what strictS3 remembers of one request that reached s3rver.
type seenRequest struct {
	Method string
	Path   string // unescaped
	Query  url.Values
}

// newStrictS3 starts a strictS3 in front of the shared stack's s3rver.
func newStrictS3(t *testing.T) *strictS3 {
	t.Helper()
	target, err := url.Parse(localstack.ForTest(t).S3Endpoint)
	if err != nil {
		t.Fatalf("s3rver endpoint: %v", err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	s := &strictS3{}
	// s3rver's refusals and faults show in the test log (with -v, or when the test fails).
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.StatusCode >= 300 {
			b, _ := io.ReadAll(resp.Body)
			resp.Body = io.NopCloser(bytes.NewReader(b))
			t.Logf("s3rver answered %s %s: %d %s", resp.Request.Method, resp.Request.URL, resp.StatusCode, b)
		}
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code, msg := checkSigV4(r); code != "" {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, "<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
			return
		}
		s.mu.Lock()
		s.requests = append(s.requests, seenRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query()})
		s.inFlight++
		s.most = max(s.most, s.inFlight)
		s.mu.Unlock()
		proxy.ServeHTTP(w, r)
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// seen returns the requests that reached s3rver so far.
func (s *strictS3) seen() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.requests...)
}

// maxInFlight returns the most requests that were at s3rver at once so far.
func (s *strictS3) maxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.most
}

// checkSigV4 returns S3's error code and message for a request S3 would refuse for its
// signature, and "" for one whose signature matches.
func checkSigV4(r *http.Request) (code, msg string) {
	q := r.URL.Query()
	presigned := q.Has("X-Amz-Signature")
	var cred, signedHeaders, signature, date, payloadHash string
	switch {
	case presigned:
		cred, signedHeaders, signature, date = q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"), q.Get("X-Amz-Date")
		payloadHash = "UNSIGNED-PAYLOAD"
	case strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		parts := authParts(r.Header.Get("Authorization"))
		cred, signedHeaders, signature = parts["Credential"], parts["SignedHeaders"], parts["Signature"]
		date, payloadHash = r.Header.Get("X-Amz-Date"), r.Header.Get("X-Amz-Content-Sha256")
	default:
		return "AccessDenied", "Access Denied"
	}
	// Credential is <key id>/<date>/<region>/<service>/aws4_request.
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[0] != localstack.S3AccessKeyID {
		return "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
	}
	signingTime, err := time.Parse("20060102T150405Z", date)
	if err != nil {
		return "AccessDenied", "bad X-Amz-Date"
	}

	// Rebuild the request from exactly the headers the signature claims to cover, with the
	// values this request carries, and sign it again.
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		q.Del(k)
	}
	u.RawQuery = q.Encode()
	again, err := http.NewRequest(r.Method, u.String(), nil)
	if err != nil {
		return "AccessDenied", err.Error()
	}
	again.Host = r.Host
	for _, h := range strings.Split(signedHeaders, ";") {
		switch h {
		case "host":
		case "content-length":
			again.ContentLength = r.ContentLength
		default:
			if v := r.Header.Values(h); len(v) > 0 {
				again.Header[http.CanonicalHeaderKey(h)] = v
			}
		}
	}
	creds := aws.Credentials{AccessKeyID: localstack.S3AccessKeyID, SecretAccessKey: localstack.S3SecretAccessKey}
	// S3 signs paths as they are, without escaping them a second time.
	noEscape := func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }
	signer := v4.NewSigner()
	var wantSignature, wantHeaders string
	if presigned {
		signedURL, _, err := signer.PresignHTTP(r.Context(), creds, again, payloadHash, scope[3], scope[2], signingTime, noEscape)
		if err != nil {
			return "AccessDenied", err.Error()
		}
		su, err := url.Parse(signedURL)
		if err != nil {
			return "AccessDenied", err.Error()
		}
		wantSignature, wantHeaders = su.Query().Get("X-Amz-Signature"), su.Query().Get("X-Amz-SignedHeaders")
	} else {
		if err := signer.SignHTTP(r.Context(), creds, again, payloadHash, scope[3], scope[2], signingTime, noEscape); err != nil {
			return "AccessDenied", err.Error()
		}
		parts := authParts(again.Header.Get("Authorization"))
		wantSignature, wantHeaders = parts["Signature"], parts["SignedHeaders"]
	}
	if wantHeaders != signedHeaders || wantSignature != signature {
		return "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."
	}
	return "", ""
}

// authParts splits "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
func authParts(auth string) map[string]string {
	_, rest, _ := strings.Cut(auth, " ")
	parts := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		parts[k] = v
	}
	return parts
}
