// Package s3files keeps the bytes of case documents in Amazon S3; locally, in s3rver. The API
// never carries the bytes itself: it checks the caller's access, then hands out a presigned URL,
// valid for minutes, with which the caller's browser moves the bytes straight to or from the
// bucket.
//
// The package speaks S3's REST API itself and signs with the SDK's Signature Version 4 signer
// (aws/signer/v4), rather than through the SDK's S3 client: it needs three requests, and the
// client would add more than a megabyte to every function that keeps document files, past
// their size budget. Its URLs are the ones the SDK's presigner makes, which a test checks.
package s3files

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// MaxExpires is the longest a signed URL stays valid. A URL is a bearer credential for one
// file: once issued it cannot be revoked, so it must not outlive the access check behind it by
// more than a few minutes (a guest whose share is removed keeps an unused URL that long).
const MaxExpires = 5 * time.Minute

// Files keeps document bytes in one S3 bucket.
type Files struct {
	bucket  string
	expires time.Duration
	region  string
	creds   aws.CredentialsProvider
	client  aws.HTTPClient
	// base is where the bucket's objects are, escaped and without a trailing slash: the
	// bucket's own host (virtual-hosted style), or an endpoint with the bucket as the first
	// path segment (path style). Unusable when err is set.
	base string
	// err is what is wrong with the configuration, returned by every call: New has no error
	// to return, and a file store that cannot sign must not fail quietly.
	err error
	// now is the signing clock; tests fix it.
	now func() time.Time
}

// New returns Files on bucket, signed with cfg's credentials (retrieved afresh for every
// signature, so that temporary ones are renewed) for cfg's region, whose signed URLs expire
// after expires: 0 (or less) means MaxExpires, more than MaxExpires is cut to it, and the rest
// is cut to whole seconds (what a signature can state) but never below one second.
//
// A non-empty endpoint (s3rver) is reached path-style, since a local server is addressed by its
// address and not by per-bucket host names; without one, the bucket is addressed by its own
// host name in the region, as the SDK addresses it. Deletes go through cfg.HTTPClient if set.
// A configuration that cannot sign (no credentials, no region, an endpoint that is not a URL)
// makes every call fail.
func New(cfg aws.Config, endpoint, bucket string, expires time.Duration) *Files {
	f := &Files{
		bucket:  bucket,
		expires: clampExpires(expires),
		region:  cfg.Region,
		creds:   cfg.Credentials,
		client:  cfg.HTTPClient,
		now:     time.Now,
	}
	if f.client == nil {
		f.client = &http.Client{Timeout: requestTimeout}
	}
	// As the SDK's clients do: a provider that fetches credentials (a role's, say) is asked
	// again only when they expire, not for every signature.
	if f.creds != nil && !aws.IsCredentialsProvider(f.creds, (*aws.CredentialsCache)(nil)) {
		f.creds = aws.NewCredentialsCache(f.creds)
	}
	f.base, f.err = bucketURL(endpoint, bucket, cfg.Region)
	if f.err == nil && f.creds == nil {
		f.err = errors.New("s3files: no credentials")
	}
	return f
}

// FromConfig returns Files on bucket with URLs valid for MaxExpires, for the Lambda functions.
// A non-empty endpoint (s3rver under sam local) is reached path-style.
func FromConfig(cfg aws.Config, endpoint, bucket string) *Files {
	return New(cfg, endpoint, bucket, 0)
}

// clampExpires applies New's rules. Whole seconds, because X-Amz-Expires counts seconds (half
// a second would otherwise become a URL valid for none).
func clampExpires(d time.Duration) time.Duration {
	switch {
	case d <= 0 || d > MaxExpires:
		return MaxExpires
	case d < time.Second:
		return time.Second
	default:
		return d.Truncate(time.Second)
	}
}

// UploadURL signs a PUT of exactly size bytes of contentType to key. The signature covers
// Content-Type and Content-Length, so S3 refuses any other type or size: the document record
// and its bytes cannot disagree. Header lists every header the signature covers (Host aside),
// with the value the request must carry; Content-Length is set by the HTTP client from the
// body, which must be exactly size bytes. Returns EINVALID for an empty contentType or a size
// below one byte: neither would be bound by the signature, which would then accept anything.
func (f *Files) UploadURL(ctx context.Context, key, contentType string, size int64) (casescribe.SignedURL, error) {
	if key == "" {
		return casescribe.SignedURL{}, errNoKey
	}
	if contentType == "" {
		return casescribe.SignedURL{}, casescribe.Errorf(casescribe.EINVALID, "A document needs a content type.")
	}
	if size < 1 {
		return casescribe.SignedURL{}, casescribe.Errorf(casescribe.EINVALID, "A document cannot be empty.")
	}
	req, err := f.request(ctx, http.MethodPut, key, "PutObject", nil)
	if err != nil {
		return casescribe.SignedURL{}, fmt.Errorf("sign upload of %s: %w", key, err)
	}
	// No server-side encryption header: the bucket's default encryption covers every object,
	// and a signed one would be one more header every client must send.
	req.Header.Set("Content-Type", contentType)
	req.ContentLength = size
	signed, header, err := f.presign(ctx, req)
	if err != nil {
		return casescribe.SignedURL{}, fmt.Errorf("sign upload of %s: %w", key, err)
	}
	// The type and size bind only if the signature covers them; fail closed should the signer
	// ever stop signing one.
	for _, h := range []string{"Content-Type", "Content-Length"} {
		if header.Get(h) == "" {
			return casescribe.SignedURL{}, fmt.Errorf("sign upload of %s: %s is not signed", key, h)
		}
	}
	return signedURL(http.MethodPut, signed, header)
}

// DownloadURL signs a GET of key, served as an attachment named fileName: the browser saves the
// file under its name instead of rendering it, whatever its type (an uploaded HTML or SVG file
// never runs as a page).
func (f *Files) DownloadURL(ctx context.Context, key, fileName string) (casescribe.SignedURL, error) {
	if key == "" {
		return casescribe.SignedURL{}, errNoKey
	}
	req, err := f.request(ctx, http.MethodGet, key, "GetObject", url.Values{
		"response-content-disposition": {attachment(fileName)},
	})
	if err != nil {
		return casescribe.SignedURL{}, fmt.Errorf("sign download of %s: %w", key, err)
	}
	signed, header, err := f.presign(ctx, req)
	if err != nil {
		return casescribe.SignedURL{}, fmt.Errorf("sign download of %s: %w", key, err)
	}
	return signedURL(http.MethodGet, signed, header)
}

// signedURL turns a presigned request into the product's SignedURL. ExpiresAt is read back
// from the URL (X-Amz-Date plus X-Amz-Expires), which is exactly what S3 enforces: the
// signature states its time in whole seconds, so a clock read around signing could be up to a
// second late.
func signedURL(method, rawURL string, signed http.Header) (casescribe.SignedURL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return casescribe.SignedURL{}, fmt.Errorf("read signed URL: %w", err)
	}
	q := u.Query()
	date, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return casescribe.SignedURL{}, fmt.Errorf("read signed URL: X-Amz-Date: %w", err)
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil {
		return casescribe.SignedURL{}, fmt.Errorf("read signed URL: X-Amz-Expires: %w", err)
	}
	header := map[string]string{}
	for k, v := range signed {
		// The HTTP client sets Host from the URL; naming it would only invite a mismatch.
		if k == "Host" || len(v) == 0 {
			continue
		}
		header[k] = strings.Join(v, ",")
	}
	return casescribe.SignedURL{
		Method:    method,
		URL:       rawURL,
		Header:    header,
		ExpiresAt: date.Add(time.Duration(secs) * time.Second),
	}, nil
}

// errNoKey refuses an empty key, which would address the bucket itself rather than a file.
var errNoKey = errors.New("s3files: empty key")
