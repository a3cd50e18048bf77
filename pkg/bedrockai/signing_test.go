package bedrockai_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/casescribe/sharing/pkg/ai"
	"github.com/casescribe/sharing/pkg/bedrockai"
)

// sent is one request as it arrived.
type sent struct {
	uri    string
	header http.Header
	body   []byte
}

// resign signs, with the SDK's signer, the request r describes as the server received it, at
// the time its X-Amz-Date states, and returns the Authorization header the signer computes.
// Equal to the one received means the request was signed for exactly what reached the server:
// its path as escaped on the wire, its headers and its body.
func resign(t *testing.T, base string, r sent, creds aws.Credentials, region string) string {
	t.Helper()
	at, err := time.Parse("20060102T150405Z", r.header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatalf("X-Amz-Date: %v", err)
	}
	req, err := http.NewRequest(http.MethodPost, base+r.uri, bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", r.header.Get("Content-Type"))
	sum := sha256.Sum256(r.body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "bedrock", region, at); err != nil {
		t.Fatal(err)
	}
	return req.Header.Get("Authorization")
}

func TestRequestIsSigned(t *testing.T) {
	// The first attempt is throttled, so that the retry's signature is checked too.
	var (
		mu       sync.Mutex
		requests []sent
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		requests = append(requests, sent{uri: r.RequestURI, header: r.Header.Clone(), body: body})
		n := len(requests)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if n == 1 {
			w.Header().Set("X-Amzn-Errortype", "ThrottlingException")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"message":"slow down"}`)
			return
		}
		io.WriteString(w, reply(t, "The facts do not say."))
	}))
	t.Cleanup(srv.Close)

	creds := aws.Credentials{AccessKeyID: "ASIATEST", SecretAccessKey: "test-secret", SessionToken: "session-token"}
	cfg := aws.Config{
		Region:      "eu-central-1",
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		},
	}
	// An inference profile ARN, whose "/" and ":" the signature must cover as they were sent.
	const arn = "arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-5-haiku-20241022-v1:0"
	before := time.Now().UTC().Truncate(time.Second)
	if _, err := bedrockai.FromConfig(cfg, srv.URL, arn).Answer(context.Background(), ai.Question{Text: "What happened?", Facts: facts}); err != nil {
		t.Fatalf("Answer: %v", err)
	}
	after := time.Now().UTC()

	if len(requests) != 2 {
		t.Fatalf("%d requests, want 2 (one throttled, one retried)", len(requests))
	}
	if !bytes.Equal(requests[0].body, requests[1].body) {
		t.Error("the retry sent another body")
	}
	for i, r := range requests {
		got := r.header.Get("Authorization")
		wantPrefix := "AWS4-HMAC-SHA256 Credential=ASIATEST/" + before.Format("20060102") + "/eu-central-1/bedrock/aws4_request, " +
			"SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-security-token, Signature="
		if !strings.HasPrefix(got, wantPrefix) {
			t.Errorf("request %d: Authorization = %q, want it to start %q", i, got, wantPrefix)
		}
		if tok := r.header.Get("X-Amz-Security-Token"); tok != creds.SessionToken {
			t.Errorf("request %d: X-Amz-Security-Token = %q, want the session token", i, tok)
		}
		if at, err := time.Parse("20060102T150405Z", r.header.Get("X-Amz-Date")); err != nil || at.Before(before) || at.After(after) {
			t.Errorf("request %d: X-Amz-Date = %q, want the time of sending", i, r.header.Get("X-Amz-Date"))
		}
		if want := resign(t, srv.URL, r, creds, "eu-central-1"); got != want {
			t.Errorf("request %d: Authorization = %q\nthe SDK's signer computes %q", i, got, want)
		}

		// The comparison above can fail: any change to what was signed changes the signature.
		tampered := r
		tampered.body = append(bytes.Clone(r.body[:len(r.body)-1]), ' ')
		if resign(t, srv.URL, tampered, creds, "eu-central-1") == got {
			t.Errorf("request %d: a changed body has the same signature", i)
		}
		if resign(t, srv.URL, r, creds, "eu-west-1") == got {
			t.Errorf("request %d: another region has the same signature", i)
		}
	}
}

// recorder is an HTTP client that answers without a network and keeps the URLs asked for.
type recorder struct {
	mu   sync.Mutex
	urls []string
}

func (c *recorder) Do(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.urls = append(c.urls, r.URL.String())
	c.mu.Unlock()
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(`{"output":{"message":{"role":"assistant","content":[{"text":"No."}]}},"stopReason":"end_turn"}`)),
		Request:    r,
	}, nil
}

func TestEndpoint(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", "")
	tests := []struct {
		name     string
		region   string
		base     string // aws.Config.BaseEndpoint
		endpoint string
		want     string
	}{
		{"region", "eu-central-1", "", "", "https://bedrock-runtime.eu-central-1.amazonaws.com/model/m.v1%3A0/converse"},
		{"china", "cn-north-1", "", "", "https://bedrock-runtime.cn-north-1.amazonaws.com.cn/model/m.v1%3A0/converse"},
		{"base endpoint", "eu-central-1", "https://bedrock.internal.example", "", "https://bedrock.internal.example/model/m.v1%3A0/converse"},
		{"endpoint first", "eu-central-1", "https://bedrock.internal.example", "http://127.0.0.1:4010/", "http://127.0.0.1:4010/model/m.v1%3A0/converse"},
		{"endpoint with a path", "eu-central-1", "", "http://127.0.0.1:4010/bedrock/", "http://127.0.0.1:4010/bedrock/model/m.v1%3A0/converse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			cfg := aws.Config{Region: tt.region, Credentials: creds, HTTPClient: rec}
			if tt.base != "" {
				cfg.BaseEndpoint = aws.String(tt.base)
			}
			if _, err := bedrockai.FromConfig(cfg, tt.endpoint, "m.v1:0").Answer(context.Background(), ai.Question{Text: "Anything?"}); err != nil {
				t.Fatalf("Answer: %v", err)
			}
			if len(rec.urls) != 1 || rec.urls[0] != tt.want {
				t.Errorf("requests to %q, want one to %q", rec.urls, tt.want)
			}
		})
	}
}

// A configuration that cannot sign fails every call, says why, and sends nothing.
func TestUnusableConfig(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", "")
	var retrieved atomic.Int32
	failing := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		retrieved.Add(1)
		return aws.Credentials{}, errors.New("no role")
	})
	tests := []struct {
		name     string
		cfg      aws.Config
		endpoint string
		modelID  string
		want     string
	}{
		{"no region", aws.Config{Credentials: creds}, "", "m", "bedrock answer: no region"},
		{"no credentials", aws.Config{Region: "eu-central-1"}, "", "m", "bedrock answer: no credentials"},
		{"no model", aws.Config{Region: "eu-central-1", Credentials: creds}, "", "", "bedrock answer: no model id"},
		{"region not a name", aws.Config{Region: "eu-central-1.evil.example/x", Credentials: creds}, "", "m", "is not a region name"},
		{"endpoint not a URL", aws.Config{Region: "eu-central-1", Credentials: creds}, "127.0.0.1:4010", "m", "is not an http(s) URL"},
		{"credentials fail", aws.Config{Region: "eu-central-1", Credentials: failing}, "", "m", "bedrock answer: request failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			tt.cfg.HTTPClient = rec
			tt.cfg.RetryMaxAttempts = 1
			p := bedrockai.FromConfig(tt.cfg, tt.endpoint, tt.modelID)
			_, err := p.Answer(context.Background(), ai.Question{Text: "Anything?"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Answer: %v, want an error with %q", err, tt.want)
			}
			if _, err := p.Group(context.Background(), facts); err == nil {
				t.Error("Group: no error")
			}
			if len(rec.urls) != 0 {
				t.Errorf("sent %q", rec.urls)
			}
		})
	}
	if retrieved.Load() == 0 {
		t.Error("failing credentials were never asked for")
	}
}
