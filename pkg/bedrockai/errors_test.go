package bedrockai_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	"github.com/casescribe/sharing/pkg/ai"
	"github.com/casescribe/sharing/pkg/bedrockai"
)

// retrying is a Provider on s that retries as in production (the SDK's standard retryer, three
// attempts) but without waiting between attempts, so that the table below runs in milliseconds.
func retrying(s *converseServer) *bedrockai.Provider {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		},
	}
	return bedrockai.FromConfig(cfg, s.URL, modelID)
}

// The table was first run against the SDK's Bedrock Runtime client, and holds what it did: which
// answers are retried, which error a caller can find in the chain, and what the error says.
func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		code     string // X-Amzn-Errortype
		body     string
		attempts int
		// The API error a caller finds with errors.As; wantCode "" means none.
		wantCode    string
		wantMessage string
		wantFault   smithy.ErrorFault
		wantGeneric bool // a code Bedrock does not model comes as *smithy.GenericAPIError
		wantStatus  int  // of the *awshttp.ResponseError in the chain; 0 means none
		wantText    string
	}{
		{"throttled", 429, "ThrottlingException", `{"message":"slow down"}`, 3,
			"ThrottlingException", "slow down", smithy.FaultClient, false, 429, "bedrock answer: service error ThrottlingException (HTTP 429, request id req-1234)"},
		{"type in body", 429, "", `{"__type":"com.amazonaws.bedrockruntime#ThrottlingException:http://internal.example/","message":"slow down"}`, 3,
			"ThrottlingException", "slow down", smithy.FaultClient, false, 429, "service error ThrottlingException (HTTP 429"},
		{"code in body", 400, "", `{"code":"ValidationException","Message":"bad input"}`, 1,
			"ValidationException", "bad input", smithy.FaultClient, false, 400, "service error ValidationException (HTTP 400"},
		{"model not ready", 429, "ModelNotReadyException", `{"message":"warming"}`, 1,
			"ModelNotReadyException", "warming", smithy.FaultClient, false, 429, "service error ModelNotReadyException (HTTP 429"},
		{"unmodeled 429", 429, "SomethingNew", `{"message":"later"}`, 3,
			"SomethingNew", "later", smithy.FaultUnknown, true, 429, "service error SomethingNew (HTTP 429"},
		{"no code", 500, "", ``, 3,
			"UnknownError", "UnknownError", smithy.FaultUnknown, true, 500, "service error UnknownError (HTTP 500"},
		{"unavailable", 503, "ServiceUnavailableException", `{"message":"down"}`, 3,
			"ServiceUnavailableException", "down", smithy.FaultServer, false, 503, "service error ServiceUnavailableException (HTTP 503"},
		{"internal", 500, "InternalServerException", `{"message":"oops"}`, 3,
			"InternalServerException", "oops", smithy.FaultServer, false, 500, "service error InternalServerException (HTTP 500"},
		{"denied", 403, "AccessDeniedException", `{"message":"not allowed"}`, 1,
			"AccessDeniedException", "not allowed", smithy.FaultClient, false, 403, "service error AccessDeniedException (HTTP 403"},
		{"model error", 424, "ModelErrorException", `{"message":"model failed"}`, 1,
			"ModelErrorException", "model failed", smithy.FaultClient, false, 424, "service error ModelErrorException (HTTP 424"},
		{"model timeout", 408, "ModelTimeoutException", `{"message":"too slow"}`, 1,
			"ModelTimeoutException", "too slow", smithy.FaultClient, false, 408, "service error ModelTimeoutException (HTTP 408"},
		{"gateway page", 502, "", `<html>bad gateway</html>`, 3,
			"", "", 0, false, 502, "bedrock answer: unreadable response"},
		{"error not JSON", 400, "", `not json`, 1,
			"", "", 0, false, 400, "bedrock answer: unreadable response"},
		{"reply cut off", 200, "", `{"output": "meniscus`, 1,
			"", "", 0, false, 200, "bedrock answer: unreadable response"},
		{"reply not an object", 200, "", `[]`, 1,
			"", "", 0, false, 200, "bedrock answer: unreadable response"},
		{"reply without message", 200, "", `{"output":{},"stopReason":"end_turn"}`, 1,
			"", "", 0, false, 0, `bedrock answer: the reply holds no message (stop reason "end_turn")`},
		{"empty reply", 200, "", ``, 1,
			"", "", 0, false, 0, `bedrock answer: the reply holds no message (stop reason "")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, tt.status, tt.body)
			if tt.code != "" {
				s.header.Set("X-Amzn-Errortype", tt.code)
			}
			_, err := retrying(s).Answer(context.Background(), ai.Question{Text: "What happened?", Facts: facts})
			if err == nil {
				t.Fatal("no error")
			}
			if got := s.count(); got != tt.attempts {
				t.Errorf("attempts = %d, want %d", got, tt.attempts)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error = %q, want %q in it", err, tt.wantText)
			}
			// The service's message can quote the request, so the error's text never holds it.
			if tt.wantMessage != "" && tt.wantMessage != tt.wantCode && strings.Contains(err.Error(), tt.wantMessage) {
				t.Errorf("error = %q repeats the service's message", err)
			}
			var api smithy.APIError
			switch {
			case !errors.As(err, &api):
				if tt.wantCode != "" {
					t.Errorf("no API error in the chain, want code %s", tt.wantCode)
				}
			case tt.wantCode == "":
				t.Errorf("API error %v in the chain, want none", api)
			default:
				_, generic := api.(*smithy.GenericAPIError)
				if api.ErrorCode() != tt.wantCode || api.ErrorMessage() != tt.wantMessage || api.ErrorFault() != tt.wantFault || generic != tt.wantGeneric {
					t.Errorf("API error = %q %q %v generic %v, want %q %q %v generic %v", api.ErrorCode(), api.ErrorMessage(), api.ErrorFault(), generic,
						tt.wantCode, tt.wantMessage, tt.wantFault, tt.wantGeneric)
				}
			}
			var resp *awshttp.ResponseError
			switch {
			case !errors.As(err, &resp):
				if tt.wantStatus != 0 {
					t.Errorf("no response error in the chain, want HTTP %d", tt.wantStatus)
				}
			case resp.HTTPStatusCode() != tt.wantStatus || resp.ServiceRequestID() != "req-1234":
				t.Errorf("response error: HTTP %d, request id %q; want HTTP %d, req-1234", resp.HTTPStatusCode(), resp.ServiceRequestID(), tt.wantStatus)
			}
		})
	}
}

func TestTransportErrors(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""), RetryMaxAttempts: 1}
	q := ai.Question{Text: "What happened?", Facts: facts}

	t.Run("nobody listening", func(t *testing.T) {
		s := httptest.NewServer(http.NotFoundHandler())
		s.Close()
		_, err := bedrockai.FromConfig(cfg, s.URL, modelID).Answer(context.Background(), q)
		if err == nil || err.Error() != "bedrock answer: network error" {
			t.Errorf("error = %v, want a network error", err)
		}
	})

	// A reply that does not come in time ends the call, whichever context ran out.
	stalled := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stalled:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(stalled) })
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := bedrockai.FromConfig(cfg, slow.URL, modelID).Answer(ctx, q)
		if err == nil || err.Error() != "bedrock answer: timed out" || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error = %v, want a timeout that is context.DeadlineExceeded", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := bedrockai.FromConfig(cfg, slow.URL, modelID).Answer(ctx, q)
		if err == nil || err.Error() != "bedrock answer: cancelled" || !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want a cancellation that is context.Canceled", err)
		}
	})
}
