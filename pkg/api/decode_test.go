package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/casescribe/sharing/pkg/casescribe"
)

func TestDecodeBody(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantCode string
		wantMsg  string
	}{
		{"ok", `{"name":"Smith, John"}`, "", ""},
		{"empty", ``, casescribe.EINVALID, "empty"},
		{"malformed", `{"name":`, casescribe.EINVALID, "ends too early"},
		{"syntax", `{"name" "x"}`, casescribe.EINVALID, "not valid JSON"},
		{"unknown field", `{"name":"x","visibleClients":[]}`, casescribe.EINVALID, `Unknown field "visibleClients"`},
		{"wrong type", `{"name":7}`, casescribe.EINVALID, `"name" must be a string`},
		{"not an object", `["x"]`, casescribe.EINVALID, "must be a JSON object"},
		{"two objects", `{"name":"a"}{"name":"b"}`, casescribe.EINVALID, "exactly one"},
		{"too large", `{"name":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, casescribe.ETOOLARGE, "larger than"},
		{"too large after a first object", `{"name":"a"}` + strings.Repeat(" ", MaxBodyBytes), casescribe.ETOOLARGE, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/clients", strings.NewReader(tt.body))
			var dst nameBody
			err := decodeBody(httptest.NewRecorder(), r, &dst)
			if got := casescribe.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("code = %q (%v), want %q", got, err, tt.wantCode)
			}
			if msg := casescribe.ErrorMessage(err); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.wantMsg)
			}
		})
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"  Knee MRI ", "Knee MRI", false},
		{"", "", true},
		{"   ", "", true},
		{strings.Repeat("é", MaxNameLength), strings.Repeat("é", MaxNameLength), false},
		{strings.Repeat("a", MaxNameLength+1), "", true},
		{"line\nbreak", "", true},
		{"bad \xff utf8", "", true},
	}
	for _, tt := range tests {
		got, err := validName("name", tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("validName(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestPageParams(t *testing.T) {
	tests := []struct {
		query     string
		wantLimit int
		wantErr   bool
	}{
		{"", 0, false},
		{"limit=10&cursor=abc", 10, false},
		{"limit=0", 0, true},
		{"limit=101", 0, true},
		{"limit=ten", 0, true},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/clients?"+tt.query, nil)
		_, limit, err := pageParams(r)
		if (err != nil) != tt.wantErr || limit != tt.wantLimit {
			t.Errorf("pageParams(%q) = %d, %v; want %d, error %v", tt.query, limit, err, tt.wantLimit, tt.wantErr)
		}
	}
}

func TestEveryErrorCodeHasAStatus(t *testing.T) {
	for _, code := range []string{casescribe.ECONFLICT, casescribe.EFORBIDDEN, casescribe.EGUESTRESTRICTED, casescribe.EVIEWLOCKED,
		casescribe.EINVITATIONPENDING, casescribe.ENOTMEMBER, casescribe.EORGREQUIRED, casescribe.EINTERNAL,
		casescribe.EINVALID, casescribe.ENOTFOUND, casescribe.EUNAUTHENTICATED, casescribe.ETOOLARGE,
		casescribe.EGONE, casescribe.EMAILFAILED} {
		if _, ok := statusOf[code]; !ok {
			t.Errorf("no status for %q", code)
		}
	}
}
