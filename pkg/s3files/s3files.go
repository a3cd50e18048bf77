// Package s3files keeps the bytes of case documents in Amazon S3 (aws-sdk-go-v2/service/s3);
// locally, in s3rver. The API never carries the bytes itself: it checks the caller's access,
// then hands out a presigned URL, valid for minutes, with which the caller's browser moves the
// bytes straight to or from the bucket.
package s3files

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/casescribe/sharing/pkg/casescribe"
)

// MaxExpires is the longest a signed URL stays valid. A URL is a bearer credential for one
// file: once issued it cannot be revoked, so it must not outlive the access check behind it by
// more than a few minutes (a guest whose share is removed keeps an unused URL that long).
const MaxExpires = 5 * time.Minute

// deleteBatch is the most keys one DeleteObjects call accepts.
const deleteBatch = 1000

// Files keeps document bytes in one S3 bucket.
type Files struct {
	client  *s3.Client
	presign *s3.PresignClient
	bucket  string
	expires time.Duration
}

// New returns Files on bucket, whose signed URLs expire after expires: 0 (or less) means
// MaxExpires, more than MaxExpires is cut to it, and the rest is cut to whole seconds (what a
// signature can state) but never below one second.
func New(client *s3.Client, bucket string, expires time.Duration) *Files {
	return &Files{
		client:  client,
		presign: s3.NewPresignClient(client),
		bucket:  bucket,
		expires: clampExpires(expires),
	}
}

// FromConfig returns Files on bucket with URLs valid for MaxExpires, for the Lambda functions.
// A non-empty endpoint (s3rver under sam local) is reached path-style, since a local server
// is addressed by its address and not by per-bucket host names.
func FromConfig(cfg aws.Config, endpoint, bucket string) *Files {
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		}
	})
	return New(client, bucket, 0)
}

// clampExpires applies New's rules. Whole seconds, because X-Amz-Expires counts seconds and the
// SDK would silently drop the fraction (half a second would become a URL valid for none).
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
	req, err := f.presign.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(f.bucket),
		Key:           aws.String(key),
		ContentType:   aws.String(contentType),
		ContentLength: aws.Int64(size),
		// No server-side encryption header: the bucket's default encryption covers every
		// object, and a signed one would be one more header every client must send.
	}, s3.WithPresignExpires(f.expires))
	if err != nil {
		return casescribe.SignedURL{}, fmt.Errorf("sign upload of %s: %w", key, err)
	}
	// The type and size bind only if the signature covers them; fail closed should the SDK
	// ever stop signing one.
	for _, h := range []string{"Content-Type", "Content-Length"} {
		if req.SignedHeader.Get(h) == "" {
			return casescribe.SignedURL{}, fmt.Errorf("sign upload of %s: %s is not signed", key, h)
		}
	}
	return signedURL(req.Method, req.URL, req.SignedHeader)
}

// DownloadURL signs a GET of key, served as an attachment named fileName: the browser saves the
// file under its name instead of rendering it, whatever its type (an uploaded HTML or SVG file
// never runs as a page).
func (f *Files) DownloadURL(ctx context.Context, key, fileName string) (casescribe.SignedURL, error) {
	if key == "" {
		return casescribe.SignedURL{}, errNoKey
	}
	req, err := f.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket:                     aws.String(f.bucket),
		Key:                        aws.String(key),
		ResponseContentDisposition: aws.String(attachment(fileName)),
	}, s3.WithPresignExpires(f.expires))
	if err != nil {
		return casescribe.SignedURL{}, fmt.Errorf("sign download of %s: %w", key, err)
	}
	return signedURL(req.Method, req.URL, req.SignedHeader)
}

// Delete removes the files at keys, in batches of the most one DeleteObjects call takes. Keys
// already gone are no error (S3 reports them deleted), and no keys make no call.
func (f *Files) Delete(ctx context.Context, keys ...string) error {
	// Checked before any call, so that a bad key deletes nothing rather than some.
	if slices.Contains(keys, "") {
		return errNoKey
	}
	for start := 0; start < len(keys); start += deleteBatch {
		batch := keys[start:min(start+deleteBatch, len(keys))]
		objects := make([]types.ObjectIdentifier, len(batch))
		for i, k := range batch {
			objects[i] = types.ObjectIdentifier{Key: aws.String(k)}
		}
		out, err := f.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(f.bucket),
			// Quiet: the answer lists only the keys that failed.
			Delete: &types.Delete{Objects: objects, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("delete %d files: %w", len(batch), err)
		}
		// DeleteObjects succeeds as a call even when single keys fail (access denied, ...).
		if len(out.Errors) > 0 {
			first := out.Errors[0]
			return fmt.Errorf("delete %d files: %d not deleted, first %s: %s", len(batch), len(out.Errors),
				aws.ToString(first.Key), aws.ToString(first.Code))
		}
	}
	return nil
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
