package sesmail

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/casescribe/sharing/infra/localstack"
	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/invitation"
)

func TestReasonCarriesNoPersonalData(t *testing.T) {
	rejected := &smithy.GenericAPIError{Code: "MessageRejected",
		Message: "Email address is not verified. The following identities failed the check: erin@example.com"}
	tests := []struct {
		err  error
		want string
	}{
		{rejected, "service error MessageRejected"},
		{context.DeadlineExceeded, "timed out"},
		{context.Canceled, "cancelled"},
		{errors.New("dial tcp erin@example.com"), "request failed"},
	}
	for _, tt := range tests {
		got := reason(tt.err)
		if got != tt.want || strings.Contains(got, "@") {
			t.Errorf("reason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// A failed send (a real SES client meeting a refused connection) is EMAILFAILED, and its
// text, which is logged, names no address.
func TestSendFailureIsEmailFailed(t *testing.T) {
	m := New(localstack.DeadSES(t), "no-reply@example.com")
	err := m.Send(context.Background(), invitation.Message{To: "erin@example.com", Subject: "s", Text: "t", HTML: "h"})
	if casescribe.ErrorCode(err) != casescribe.EMAILFAILED {
		t.Fatalf("err = %v, want email_failed", err)
	}
	if strings.Contains(err.Error(), "erin@example.com") {
		t.Errorf("error text carries the address: %v", err)
	}
}
