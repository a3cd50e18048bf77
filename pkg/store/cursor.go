package store

import (
	"encoding/base64"
	"strings"

	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/oklog/ulid/v2"
)

// A page cursor names the list it belongs to and the id of the last item returned; the store
// rebuilds DynamoDB's start key from it and from the caller's organization. So a cursor never
// carries a raw key, and a forged one can at most start another of the caller's own lists at
// another of the caller's own ids.

func encodeCursor(list, lastID string) string {
	if lastID == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(list + ":" + lastID))
}

// decodeCursor returns the last id of a cursor of list, "" for no cursor, and EINVALID for a
// cursor of another list or one whose id valid refuses (one that was not made here).
func decodeCursor(list, cursor string, valid func(string) bool) (string, error) {
	if cursor == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return "", badCursor()
	}
	id, ok := strings.CutPrefix(string(raw), list+":")
	// Only the very text encodeCursor writes: the decoder skips line breaks and the spare bits
	// of the last character, so other texts of the same position would pass too.
	if !ok || !valid(id) || encodeCursor(list, id) != cursor {
		return "", badCursor()
	}
	return id, nil
}

// validULID accepts the ids the product makes (clients, cases, invitations, organizations),
// in the upper-case text keys hold them in: ULIDs parse without regard to case.
func validULID(id string) bool {
	u, err := ulid.ParseStrict(id)
	return err == nil && u.String() == id
}

func badCursor() error {
	return casescribe.Errorf(casescribe.EINVALID, "The cursor is not valid for this list; start again without it.")
}

// ValidUserID reports whether id has the shape of a user id (a Cognito sub): 1 to 64 letters,
// digits and dashes. Anything else can name no user.
func ValidUserID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
