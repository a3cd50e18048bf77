package api

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// statusOf is the one map from domain error codes to HTTP statuses.
var statusOf = map[string]int{
	casescribe.EINVALID:           http.StatusBadRequest,
	casescribe.EORGREQUIRED:       http.StatusBadRequest,
	casescribe.EUNAUTHENTICATED:   http.StatusUnauthorized,
	casescribe.EFORBIDDEN:         http.StatusForbidden,
	casescribe.EGUESTRESTRICTED:   http.StatusForbidden,
	casescribe.EVIEWLOCKED:        http.StatusForbidden,
	casescribe.EINVITATIONPENDING: http.StatusForbidden,
	casescribe.ENOTMEMBER:         http.StatusForbidden,
	casescribe.ENOTFOUND:          http.StatusNotFound,
	casescribe.ECONFLICT:          http.StatusConflict,
	casescribe.EGONE:              http.StatusGone,
	casescribe.ETOOLARGE:          http.StatusRequestEntityTooLarge,
	casescribe.EMAILFAILED:        http.StatusBadGateway,
	casescribe.EINTERNAL:          http.StatusInternalServerError,
}

// StatusOf returns the HTTP status of an error code (500 for an unknown one).
func StatusOf(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError answers with the error's status and {"error":{"code","message"}}. It is the one
// place errors are logged: internal ones with their text (which never reaches the client),
// and never with tokens or personal data.
func writeError(w http.ResponseWriter, r *http.Request, route string, err error) {
	code := casescribe.ErrorCode(err)
	status := StatusOf(code)
	if status >= 500 {
		slog.ErrorContext(r.Context(), "request failed", "route", route, "error", err.Error())
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: casescribe.ErrorMessage(err)}})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
