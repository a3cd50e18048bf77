package bedrockai

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/encoding/httpbinding"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// signer is the SDK's Signature Version 4 signer with the options its Bedrock Runtime client
// used: the path is escaped a second time for the canonical request, as every service but S3
// expects. It is safe for concurrent use.
var signer = v4.NewSigner()

// signingName is the service Bedrock Runtime's signatures name: "bedrock", not the host's
// "bedrock-runtime".
const signingName = "bedrock"

// maxReplyBytes bounds how much of a reply is read. A reply holds at most jsonMaxTokens tokens
// of text, tens of kilobytes; a larger one is not a Converse reply, and reading it whole could
// exhaust a small Lambda's memory.
const maxReplyBytes = 4 << 20

// converseURL returns where Converse requests for modelID go: endpoint if given, else cfg's
// BaseEndpoint, else Bedrock Runtime's host in cfg.Region (in the aws and aws-cn partitions;
// another partition needs an endpoint). The model id is one path segment, escaped as the SDK
// escaped it: everything but letters, digits and - . _ ~, so that an ARN's "/" and ":" pass.
func converseURL(cfg aws.Config, endpoint, modelID string) (string, error) {
	switch {
	case modelID == "":
		return "", errors.New("no model id")
	case cfg.Region == "":
		return "", errors.New("no region")
	case cfg.Credentials == nil:
		return "", errors.New("no credentials")
	}
	if endpoint == "" && cfg.BaseEndpoint != nil {
		endpoint = *cfg.BaseEndpoint
	}
	var base string
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return "", fmt.Errorf("endpoint %q is not an http(s) URL", endpoint)
		}
		base = u.Scheme + "://" + u.Host + strings.TrimSuffix(u.EscapedPath(), "/")
	} else {
		// The region becomes part of a host name, so it must not be able to name another host.
		if !isRegion(cfg.Region) {
			return "", fmt.Errorf("region %q is not a region name", cfg.Region)
		}
		suffix := ".amazonaws.com"
		if strings.HasPrefix(cfg.Region, "cn-") {
			suffix = ".amazonaws.com.cn"
		}
		base = "https://bedrock-runtime." + cfg.Region + suffix
	}
	return base + "/model/" + httpbinding.EscapePath(modelID, true) + "/converse", nil
}

// isRegion reports whether s can be a region name: lower-case letters, digits and inner
// hyphens, at most one host label long.
func isRegion(s string) bool {
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

// retryerFor returns the retryer the SDK's client would have used for cfg: cfg's own, or the
// SDK's standard one (three attempts, jittered exponential backoff, a retry quota), with cfg's
// maximum of attempts if it sets one. Its retry mode is not read: only the standard mode is
// offered, as nothing here asks for the adaptive one.
func retryerFor(cfg aws.Config) aws.Retryer {
	var r aws.Retryer
	if cfg.Retryer != nil {
		r = cfg.Retryer()
	} else {
		r = retry.NewStandard()
	}
	if cfg.RetryMaxAttempts != 0 {
		r = retry.AddWithMaxAttempts(r, cfg.RetryMaxAttempts)
	}
	return r
}

// attemptToken takes the token an attempt needs from r: through GetAttemptToken, which may
// wait for a rate limiter, or from an older Retryer's GetInitialToken, as the SDK's client did.
func attemptToken(ctx context.Context, r aws.Retryer) (release func(error) error, err error) {
	if v2, ok := r.(aws.RetryerV2); ok {
		return v2.GetAttemptToken(ctx)
	}
	return r.GetInitialToken(), nil
}

// call sends one Converse request with body, retried as the SDK's client retried it: the
// retryer decides which failures are worth another attempt (throttling, 5xx answers, lost
// connections), how many attempts there are and how long to wait between them, and it sees the
// same error values the SDK gave it, so it decides the same. The error wraps the last attempt's
// in a *smithy.OperationError, as the SDK's did.
func (p *Provider) call(ctx context.Context, body []byte) (converseResponse, error) {
	fail := func(err error) (converseResponse, error) {
		return converseResponse{}, &smithy.OperationError{ServiceID: "Bedrock Runtime", OperationName: "Converse", Err: err}
	}
	releaseRetry := func(error) error { return nil }
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		releaseAttempt, err := attemptToken(ctx, p.retryer)
		if err != nil {
			return fail(fmt.Errorf("get attempt token: %w", err))
		}
		out, err := p.send(ctx, body)
		// A success refunds the retry quota the previous failure took.
		_ = releaseRetry(err)
		_ = releaseAttempt(err)
		if err == nil {
			return out, nil
		}
		if !p.retryer.IsErrorRetryable(err) {
			return fail(err)
		}
		if maxAttempts := p.retryer.MaxAttempts(); maxAttempts > 0 && attempt >= maxAttempts {
			return fail(&retry.MaxAttemptsError{Attempt: attempt, Err: err})
		}
		release, quotaErr := p.retryer.GetRetryToken(ctx, err)
		if quotaErr != nil {
			// Out of retry quota: the service keeps failing, and retrying would add to its load.
			return fail(errors.Join(err, quotaErr))
		}
		releaseRetry = release
		delay, delayErr := p.retryer.RetryDelay(attempt, err)
		if delayErr != nil {
			return fail(errors.Join(err, delayErr))
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fail(&aws.RequestCanceledError{Err: ctx.Err()})
		}
	}
}

// send makes one attempt: it signs body afresh (a retry is a new request, with a new date) and
// posts it. Its errors are the values the SDK's client produced for the same failure, which
// the retryer classifies and callers may look for: a *smithy.CanceledError when ctx ended, a
// *smithyhttp.RequestSendError when no answer came, and otherwise an *awshttp.ResponseError
// (status and request id) around a smithy.APIError (the service's error code) or a
// *smithy.DeserializationError (an answer that is not the expected JSON).
func (p *Provider) send(ctx context.Context, body []byte) (converseResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return converseResponse{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	// Retrieved for every attempt, so that expiring credentials are renewed by their provider.
	creds, err := p.creds.Retrieve(ctx)
	if err != nil {
		return converseResponse{}, fmt.Errorf("retrieve credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	// Temporary credentials (a Lambda role's) add X-Amz-Security-Token to the signed headers.
	if err := signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), signingName, p.region, time.Now()); err != nil {
		return converseResponse{}, fmt.Errorf("sign: %w", err)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return converseResponse{}, &smithy.CanceledError{Err: ctx.Err()}
		}
		return converseResponse{}, &smithyhttp.RequestSendError{Err: err}
	}
	defer resp.Body.Close()
	answered := func(err error) error {
		return &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: err},
			RequestID:     requestID(resp.Header),
		}
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes+1))
	switch {
	case err != nil:
		return converseResponse{}, answered(&smithy.DeserializationError{Err: fmt.Errorf("read response: %w", err)})
	case len(raw) > maxReplyBytes:
		return converseResponse{}, answered(&smithy.DeserializationError{Err: fmt.Errorf("response longer than %d bytes", maxReplyBytes)})
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		return converseResponse{}, answered(serviceError(resp.Header, raw))
	}
	var out converseResponse
	// An empty body is an empty reply, as the SDK read it, not a malformed one.
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return converseResponse{}, answered(&smithy.DeserializationError{Err: err})
		}
	}
	return out, nil
}

// requestID is the id AWS gives the request, for support cases and log searches.
func requestID(h http.Header) string {
	if id := h.Get("X-Amzn-Requestid"); id != "" {
		return id
	}
	return h.Get("X-Amz-Requestid")
}

// serviceError reads an error answer as the REST-JSON protocol writes it: the code in the
// X-Amzn-Errortype header, else in the body's "__type" or "code", stripped of a namespace
// ("com.amazonaws...#") and of a trailing ":" part; "UnknownError" if there is none. A body that
// is not a JSON object is a *smithy.DeserializationError, as it was for the SDK.
func serviceError(h http.Header, body []byte) error {
	var info struct {
		Type    string `json:"__type"`
		Code    any    `json:"code"` // not always a string: only a string is read as the code
		Message string `json:"message"`
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&info); err != nil && err != io.EOF {
		return &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body, %w", err)}
	}
	code := h.Get("X-Amzn-Errortype")
	if code == "" {
		code = info.Type
	}
	if c, ok := info.Code.(string); code == "" && ok {
		code = c
	}
	if code == "" {
		code = "UnknownError"
	}
	code, _, _ = strings.Cut(code, ":")
	if _, after, ok := strings.Cut(code, "#"); ok {
		code = after
	}
	message := info.Message
	if message == "" {
		message = code
	}
	if fault, ok := modeledFaults[code]; ok {
		return &modeledError{code: code, message: message, fault: fault}
	}
	return &smithy.GenericAPIError{Code: code, Message: message}
}

// modeledFaults are the errors Bedrock Runtime declares, with whose fault each is. The SDK's
// client returned these as types of their own and any other code as a *smithy.GenericAPIError,
// and its retryer tells them apart: a 429 with a declared code (ModelNotReadyException) is not
// retried unless the code is a throttling one, a 429 with an undeclared code is.
var modeledFaults = map[string]smithy.ErrorFault{
	"AccessDeniedException":         smithy.FaultClient,
	"ConflictException":             smithy.FaultClient,
	"InternalServerException":       smithy.FaultServer,
	"ModelErrorException":           smithy.FaultClient,
	"ModelNotReadyException":        smithy.FaultClient,
	"ModelStreamErrorException":     smithy.FaultClient,
	"ModelTimeoutException":         smithy.FaultClient,
	"ResourceNotFoundException":     smithy.FaultClient,
	"ServiceQuotaExceededException": smithy.FaultClient,
	"ServiceUnavailableException":   smithy.FaultServer,
	"ThrottlingException":           smithy.FaultClient,
	"ValidationException":           smithy.FaultClient,
}

// modeledError is an error Bedrock Runtime declares. Callers find it as a smithy.APIError and
// branch on its code.
type modeledError struct {
	code    string
	message string
	fault   smithy.ErrorFault
}

func (e *modeledError) Error() string                 { return e.code + ": " + e.message }
func (e *modeledError) ErrorCode() string             { return e.code }
func (e *modeledError) ErrorMessage() string          { return e.message }
func (e *modeledError) ErrorFault() smithy.ErrorFault { return e.fault }
