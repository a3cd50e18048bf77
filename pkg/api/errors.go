package api

import (
	"encoding/json"
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

// writeError answers with the error's status and {"error":{"code","message"}}, and hands the
// error to the request's access line (see logged), the one place errors are logged: the code
// always, the text only for a 5xx, whose text never reaches the client. The message of a 4xx
// may quote what the client sent, so it is never logged.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	if x := exchangeFrom(r.Context()); x != nil {
		x.err = err
	}
	code := casescribe.ErrorCode(err)
	writeJSON(w, StatusOf(code), errorBody{Error: errorDetail{Code: code, Message: casescribe.ErrorMessage(err)}})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
