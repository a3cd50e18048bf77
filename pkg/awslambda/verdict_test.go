package awslambda

import (
	"testing"

	"github.com/casescribe/sharing/pkg/casescribe"
)

func TestVerdictRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		caller   casescribe.Caller
		err      error
		wantCode string
	}{
		{"member", casescribe.Caller{UserID: "u1", Email: "a@b.c", EmailVerified: true, OrgID: "o1", Role: casescribe.RoleMember, Name: "Smith, John"}, nil, ""},
		{"signed in, no organization", casescribe.Caller{UserID: "u1", Email: "a@b.c"}, nil, ""},
		{"refused", casescribe.Caller{}, casescribe.Errorf(casescribe.ENOTMEMBER, "no"), casescribe.ENOTMEMBER},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeVerdict(encodeVerdict(tt.caller, tt.err))
			if code := casescribe.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("code = %q, want %q", code, tt.wantCode)
			}
			if err == nil && got != tt.caller {
				t.Errorf("caller = %+v, want %+v", got, tt.caller)
			}
		})
	}
}

func TestDecodeVerdictRefusesIncompleteContext(t *testing.T) {
	tests := []struct {
		name string
		ctx  map[string]any
	}{
		{"empty", map[string]any{}},
		{"no user", map[string]any{"orgId": "o1", "role": "admin"}},
		{"org without role", map[string]any{"userId": "u1", "orgId": "o1"}},
		{"unknown role", map[string]any{"userId": "u1", "orgId": "o1", "role": "owner"}},
		{"role without org", map[string]any{"userId": "u1", "role": "admin"}},
		{"wrong types", map[string]any{"userId": 7, "orgId": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeVerdict(tt.ctx); casescribe.ErrorCode(err) != casescribe.EUNAUTHENTICATED {
				t.Errorf("err = %v, want unauthenticated", err)
			}
		})
	}
}
