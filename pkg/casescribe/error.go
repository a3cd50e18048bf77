// Package casescribe holds the domain of the CaseScribe sharing backend: organizations, the
// people in them and their roles, clients and cases, and the coded errors every layer speaks.
// It imports nothing from AWS; adapters (store, HTTP, Lambda) live around it.
package casescribe

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status at the edge (see pkg/api); the code is what a
// client branches on, the message is what a person reads.
const (
	ECONFLICT          = "conflict"           // the change clashes with the current state
	EFORBIDDEN         = "forbidden"          // known caller, not allowed
	EGUESTRESTRICTED   = "guest_restricted"   // a guest asked for something guests never do
	EVIEWLOCKED        = "view_locked"        // a guest limited to a saved view asked to filter or sort
	EINVITATIONPENDING = "invitation_pending" // the membership exists but is not accepted yet
	ENOTMEMBER         = "not_member"         // no active membership in the X-Org-Id organization
	EORGREQUIRED       = "org_required"       // an organization route without X-Org-Id
	EINTERNAL          = "internal"           // a fault of ours; never shows its text to clients
	EINVALID           = "invalid"            // bad input
	ENOTFOUND          = "not_found"          // unknown, or not visible to the caller
	EUNAUTHENTICATED   = "unauthenticated"    // no token, or a token that does not verify
	ETOOLARGE          = "too_large"          // a body over the limit
	EGONE              = "gone"               // a retired feature (e.g. visibleClients sharing)
	EMAILFAILED        = "email_failed"       // the email service refused or failed; nothing was lost
)

// Error is a domain error: a code for programs and a message for people.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("casescribe error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other
// error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, and a generic text for
// any other error, so that an internal error's text never reaches a client.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
