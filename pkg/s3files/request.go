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

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signer is the SDK's SigV4 signer as its S3 client sets it up: S3 signs the path as sent,
// without escaping it a second time. It is safe for concurrent use.
var signer = v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })

// unsignedPayload is the payload hash of a presigned URL: the browser sends bytes the
// signature cannot know in advance (their size and type are signed as headers instead).
const unsignedPayload = "UNSIGNED-PAYLOAD"

// request returns an unsigned request of method on key, for S3 operation op (named in x-id, as
// the SDK names it), with query.
func (f *Files) request(ctx context.Context, method, key, op string, query url.Values) (*http.Request, error) {
	if f.err != nil {
		return nil, f.err
	}
	q := url.Values{"x-id": {op}}
	for k, v := range query {
		q[k] = v
	}
	return http.NewRequestWithContext(ctx, method, f.base+"/"+escapePath(key, true)+"?"+q.Encode(), nil)
}

// presign signs req in its URL, valid for f.expires, and returns the URL and the headers the
// signature covers (Host among them).
func (f *Files) presign(ctx context.Context, req *http.Request) (string, http.Header, error) {
	creds, err := f.creds.Retrieve(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("credentials: %w", err)
	}
	// The signer signs the query as it finds it, and leaves the expiry to its caller.
	q := req.URL.Query()
	q.Set("X-Amz-Expires", strconv.FormatInt(int64(f.expires/time.Second), 10))
	req.URL.RawQuery = q.Encode()
	// Temporary credentials (a Lambda role's) add X-Amz-Security-Token to the signed query.
	return signer.PresignHTTP(ctx, creds, req, unsignedPayload, "s3", f.region, f.now())
}

// bucketURL returns where bucket's objects are, without a trailing slash: on endpoint
// path-style if one is given, else on the bucket's own host in region. A bucket name that
// cannot be a host name (dots would not match S3's wildcard certificate) is addressed
// path-style on the region's host, as the SDK does. Host names are those of the aws and aws-cn
// partitions; another partition needs its endpoint.
func bucketURL(endpoint, bucket, region string) (string, error) {
	switch {
	case bucket == "":
		return "", errors.New("s3files: no bucket")
	case region == "":
		return "", errors.New("s3files: no region")
	}
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return "", fmt.Errorf("s3files: endpoint %q is not an http(s) URL", endpoint)
		}
		return u.Scheme + "://" + u.Host + strings.TrimSuffix(u.EscapedPath(), "/") + "/" + escapePath(bucket, false), nil
	}
	if !isHostLabel(region) {
		return "", fmt.Errorf("s3files: region %q is not a host name", region)
	}
	suffix := ".amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		suffix = ".amazonaws.com.cn"
	}
	if isHostLabel(bucket) && len(bucket) >= 3 {
		return "https://" + bucket + ".s3." + region + suffix, nil
	}
	return "https://s3." + region + suffix + "/" + escapePath(bucket, false), nil
}

// isHostLabel reports whether s can be one label of a host name: 1 to 63 lower-case letters,
// digits and inner hyphens.
func isHostLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// escapePath percent-encodes s as S3 reads a path: every byte but the unreserved characters of
// RFC 3986 (letters, digits, - . _ ~), and the slashes between a key's segments when keepSlash.
// The signature covers the path exactly as sent, so the encoding must be the one S3 decodes
// and re-encodes to check it (a + or a space must not reach S3 as itself).
func escapePath(s string, keepSlash bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '/' && keepSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0x0f])
		}
	}
	return b.String()
}
