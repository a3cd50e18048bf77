package s3files

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// s3rver does not verify signatures, and strictS3 recomputes them with the same signer that
// made them, so neither would notice a URL S3 refuses for how it names the object (an escaping,
// a host, a query parameter). These tests hold the package to the SDK's S3 client itself:
// signed at the same time with the same credentials, its requests and ours are the same.

// signedAt is the one signing time of these tests.
var signedAt = time.Date(2026, 3, 2, 9, 30, 15, 0, time.UTC)

// sdkPresignedAt makes the SDK's presigner sign at signedAt: it wraps the presigner the SDK
// chose, which is otherwise left as it is.
type sdkPresignedAt struct {
	s3.HTTPPresignerV4
}

func (p sdkPresignedAt) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return p.HTTPPresignerV4.PresignHTTP(ctx, creds, r, payloadHash, service, region, signedAt, optFns...)
}

// sdkSignedAt makes the SDK's client signer sign at signedAt, and leaves out of the signature
// the headers that are the SDK's own business: those by which it counts its attempts
// (amz-sdk-invocation-id, a random ID, and amz-sdk-request), and Accept-Encoding: identity,
// with which it stops Go's transport from asking for gzip (a DELETE's answer has no body worth
// compressing). Nothing else is taken away.
type sdkSignedAt struct {
	s3.HTTPSignerV4
}

func (s sdkSignedAt) SignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) error {
	for k := range r.Header {
		if strings.HasPrefix(k, "Amz-Sdk-") || k == "Accept-Encoding" {
			r.Header.Del(k)
		}
	}
	return s.HTTPSignerV4.SignHTTP(ctx, creds, r, payloadHash, service, region, signedAt, optFns...)
}

// addressing is one way of reaching a bucket, as New and the SDK's client are configured.
type addressing struct {
	name, endpoint, bucket, region string
}

var addressings = []addressing{
	{"virtual-hosted", "", "casescribe-documents-123456789012", "eu-central-1"},
	{"virtual-hosted us-east-1", "", "casescribe-documents", "us-east-1"},
	{"virtual-hosted China", "", "casescribe-documents", "cn-north-1"},
	{"bucket with dots", "", "casescribe.documents", "eu-west-1"},
	{"short bucket", "", "ab", "eu-west-1"},
	{"path-style", "http://127.0.0.1:4569", "casescribe-documents-local", "eu-central-1"},
	{"path-style with a path", "https://s3.example.test:8443/store/", "documents", "eu-central-1"},
}

var sdkTestCredentials = []struct {
	name string
	aws.CredentialsProvider
}{
	{"long-term", credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")},
	// As Lambda's role credentials come: with a session token, which must be signed in.
	{"temporary", credentials.NewStaticCredentialsProvider("ASIAEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2VjEXAMPLE+/token==")},
}

var sdkTestKeys = []string{
	"01JNQ3ZK3F8Y4T2V6W9X0A1B2C/01JNQ40M5G7H8J9K0L1M2N3P4Q/01JNQ41R6S7T8U9V0W1X2Y3Z4A",
	// Whatever a key holds, it is escaped as the SDK escapes it.
	"org/case/Röntgen + report (final)!.pdf",
	"a b/ü+%/~!*'()&=?#x//y;:@$,[]{}|\\^`\"<>",
	"/leading/and/trailing/",
}

// sdkClient returns the SDK's S3 client configured as New is with cfg and a.
func sdkClient(cfg aws.Config, a addressing, optFns ...func(*s3.Options)) *s3.Client {
	return s3.NewFromConfig(cfg, append([]func(*s3.Options){func(o *s3.Options) {
		if a.endpoint != "" {
			o.BaseEndpoint = aws.String(a.endpoint)
			o.UsePathStyle = true
		}
	}}, optFns...)...)
}

func TestSignedURLsMatchSDKPresigner(t *testing.T) {
	ctx := context.Background()
	runs := 0
	for _, a := range addressings {
		for _, c := range sdkTestCredentials {
			cfg := aws.Config{Region: a.region, Credentials: c.CredentialsProvider}
			presigner := s3.NewPresignClient(sdkClient(cfg, a))
			for _, expires := range []time.Duration{time.Second, 90 * time.Second, MaxExpires} {
				f := New(cfg, a.endpoint, a.bucket, expires)
				f.now = func() time.Time { return signedAt }
				sdkOptions := func(o *s3.PresignOptions) {
					o.Presigner = sdkPresignedAt{o.Presigner}
					o.Expires = expires
				}
				for _, key := range sdkTestKeys {
					name := a.name + ", " + c.name + ", " + expires.String() + ", " + key

					got, err := f.UploadURL(ctx, key, "application/pdf", 123456)
					if err != nil {
						t.Fatalf("%s: UploadURL: %v", name, err)
					}
					want, err := presigner.PresignPutObject(ctx, &s3.PutObjectInput{
						Bucket:        aws.String(a.bucket),
						Key:           aws.String(key),
						ContentType:   aws.String("application/pdf"),
						ContentLength: aws.Int64(123456),
					}, sdkOptions)
					if err != nil {
						t.Fatalf("%s: PresignPutObject: %v", name, err)
					}
					sameSigning(t, "upload, "+name, got.Method, got.URL, got.Header, want)

					got, err = f.DownloadURL(ctx, key, `Röntgen "final" report.pdf`)
					if err != nil {
						t.Fatalf("%s: DownloadURL: %v", name, err)
					}
					want, err = presigner.PresignGetObject(ctx, &s3.GetObjectInput{
						Bucket:                     aws.String(a.bucket),
						Key:                        aws.String(key),
						ResponseContentDisposition: aws.String(attachment(`Röntgen "final" report.pdf`)),
					}, sdkOptions)
					if err != nil {
						t.Fatalf("%s: PresignGetObject: %v", name, err)
					}
					sameSigning(t, "download, "+name, got.Method, got.URL, got.Header, want)
					runs++
				}
			}
		}
	}
	if runs == 0 {
		t.Fatal("no URLs compared")
	}
}

// sameSigning fails the test unless our URL and headers are the SDK's: Header is what the SDK
// says the request must carry, Host aside (the HTTP client sets it from the URL).
func sameSigning(t *testing.T, name, method, rawURL string, header map[string]string, want *v4.PresignedHTTPRequest) {
	t.Helper()
	if !strings.Contains(want.URL, "X-Amz-Signature=") {
		t.Fatalf("%s: the SDK's URL %s is not signed", name, want.URL)
	}
	if method != want.Method || rawURL != want.URL {
		t.Errorf("%s:\n got %s %s\nwant %s %s", name, method, rawURL, want.Method, want.URL)
	}
	wantHeader := map[string]string{}
	for k, v := range want.SignedHeader {
		if k != "Host" {
			wantHeader[k] = strings.Join(v, ",")
		}
	}
	if len(header) != len(wantHeader) {
		t.Errorf("%s: Header = %v, want %v", name, header, wantHeader)
	}
	for k, v := range wantHeader {
		if header[k] != v {
			t.Errorf("%s: Header[%s] = %q, want %q", name, k, header[k], v)
		}
	}
}

// recorder is an HTTP client that keeps the requests it is given and answers each with status.
type recorder struct {
	status int
	body   string
	got    []*http.Request
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	r.got = append(r.got, req)
	return &http.Response{
		StatusCode: r.status,
		Header:     http.Header{},
		Body:       io.NopCloser(strings.NewReader(r.body)),
		Request:    req,
	}, nil
}

// Delete's request is the SDK's DeleteObject, signed in its headers: the same method, host,
// path, query and signed headers, and so the same Authorization.
func TestDeleteMatchesSDK(t *testing.T) {
	ctx := context.Background()
	for _, a := range addressings {
		for _, c := range sdkTestCredentials {
			cfg := aws.Config{Region: a.region, Credentials: c.CredentialsProvider}
			sdkSigner := sdkClient(cfg, a).Options().HTTPSignerV4
			sdk := &recorder{status: http.StatusNoContent}
			client := sdkClient(cfg, a, func(o *s3.Options) {
				o.HTTPClient = sdk
				o.HTTPSignerV4 = sdkSignedAt{sdkSigner}
				o.RetryMaxAttempts = 1
			})
			ours := &recorder{status: http.StatusNoContent}
			f := New(cfg, a.endpoint, a.bucket, 0)
			f.now = func() time.Time { return signedAt }
			f.client = ours
			for _, key := range sdkTestKeys {
				name := a.name + ", " + c.name + ", " + key
				sdk.got, ours.got = nil, nil
				if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(a.bucket), Key: aws.String(key)}); err != nil {
					t.Fatalf("%s: SDK DeleteObject: %v", name, err)
				}
				if err := f.Delete(ctx, key); err != nil {
					t.Fatalf("%s: Delete: %v", name, err)
				}
				if len(sdk.got) != 1 || len(ours.got) != 1 {
					t.Fatalf("%s: %d requests from the SDK, %d from Delete; want 1 each", name, len(sdk.got), len(ours.got))
				}
				want, got := sdk.got[0], ours.got[0]
				if got.Method != want.Method || got.URL.String() != want.URL.String() {
					t.Errorf("%s:\n got %s %s\nwant %s %s", name, got.Method, got.URL, want.Method, want.URL)
				}
				for _, h := range []string{"Authorization", "X-Amz-Date", "X-Amz-Content-Sha256", "X-Amz-Security-Token"} {
					if got.Header.Get(h) != want.Header.Get(h) {
						t.Errorf("%s: %s = %q, want %q", name, h, got.Header.Get(h), want.Header.Get(h))
					}
				}
				if !strings.Contains(got.Header.Get("Authorization"), "Signature=") {
					t.Errorf("%s: Delete's request is not signed: %v", name, got.Header)
				}
			}
		}
	}
}
