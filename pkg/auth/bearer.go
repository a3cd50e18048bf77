package auth

import (
	"errors"
	"strings"
)

// BearerToken extracts the token from an Authorization header value of the form
// "Bearer <token>". The scheme is matched case-insensitively, as RFC 9110 requires, and extra
// blanks around the parts are tolerated; anything else is refused with
// casescribe.EUNAUTHENTICATED so that a Basic header or a bare token is never mistaken for a
// sign-in. The header's content is never echoed, as it may be a credential.
func BearerToken(header string) (string, error) {
	fields := strings.Fields(header)
	switch {
	case len(fields) == 0:
		return "", unauthenticated(msgNoToken, nil)
	case !strings.EqualFold(fields[0], "Bearer"):
		return "", unauthenticated(msgBadScheme, errors.New("authorization scheme is not Bearer"))
	case len(fields) == 1:
		return "", unauthenticated(msgNoToken, errors.New("no token after the Bearer scheme"))
	case len(fields) > 2:
		return "", unauthenticated(msgBadScheme, errors.New("blank inside the bearer token"))
	}
	return fields[1], nil
}
