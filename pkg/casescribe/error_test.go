package casescribe

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorCodeAndMessage(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		wantCode    string
		wantMessage string
	}{
		{"nil", nil, "", ""},
		{"domain", Errorf(ENOTFOUND, "Case not found."), ENOTFOUND, "Case not found."},
		{"wrapped", fmt.Errorf("case 1: %w", Errorf(ECONFLICT, "Stale.")), ECONFLICT, "Stale."},
		{"foreign error hides its text", errors.New("dial tcp: secret host"), EINTERNAL, "Internal error."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErrorCode(tt.err); got != tt.wantCode {
				t.Errorf("ErrorCode = %q, want %q", got, tt.wantCode)
			}
			if got := ErrorMessage(tt.err); got != tt.wantMessage {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.wantMessage)
			}
		})
	}
}
