package store

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/oklog/ulid/v2"
)

// cursorLists are lists the store pages, each with the check its ids get. Two lists of one
// kind with different owners (two clients' cases, two facts' comments) stand for "the same
// list of someone else".
var cursorLists = []struct {
	list  string
	valid func(string) bool
	ulids bool // the ids are ULIDs, which have one canonical text
}{
	{"clients", validULID, true},
	{"cases", validULID, true},
	{"invitations", validULID, true},
	{"shares", validULID, true},
	{"client-cases:01JD5X8Z3K9G7W2M4N6P8Q0R1S", validULID, true},
	{"client-cases:01JD5X8Z3K9G7W2M4N6P8Q0R2T", validULID, true},
	{"comments:01JD5X8Z3K9G7W2M4N6P8Q0R3V", validULID, true},
	{"comments:01JD5X8Z3K9G7W2M4N6P8Q0R4W", validULID, true},
	{"members", ValidUserID, false},
}

// FuzzCursor feeds arbitrary strings as page cursors to every list. A cursor is refused with
// EINVALID unless it is exactly the text the store would itself write for that list and an id
// of the list's kind: so a cursor is accepted by one list at most, never carries a raw key, and
// decoding it and encoding the id again gives the same cursor back.
func FuzzCursor(f *testing.F) {
	const id, sub = "01JD5X8Z3K9G7W2M4N6P8Q0R1S", "5cbf1a9b-5e6f-476a-ae09-19f43a6ee9fd"
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, l := range cursorLists {
		if l.ulids {
			f.Add(encodeCursor(l.list, id))
		} else {
			f.Add(encodeCursor(l.list, sub))
		}
	}
	for _, s := range []string{
		"",
		enc("clients:"),
		enc("clients:ORG#01JD5X8Z3K9G7W2M4N6P8Q0R1S#CLIENT#01JD5X8Z3K9G7W2M4N6P8Q0R1S"),
		enc("clients:" + strings.ToLower(id)),
		enc("clients:" + id + "\x00"),
		enc("clients:" + id + ":" + id),
		enc("members:ORG#x"),
		enc("members:" + strings.Repeat("a", 65)),
		enc("client-cases:" + id),
		base64.URLEncoding.EncodeToString([]byte("clients:" + id)),
		base64.StdEncoding.EncodeToString([]byte("clients:" + id + "??>")),
		"%%%",
		"Y2xpZW50czo\nwMUpENVg4WjNLOUc3VzJNNE42UDhRMFIxUw",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		accepted := 0
		for _, l := range cursorLists {
			got, err := decodeCursor(l.list, cursor, l.valid)
			if cursor == "" {
				if got != "" || err != nil {
					t.Fatalf("%s: no cursor = %q, %v; want the first page", l.list, got, err)
				}
				continue
			}
			if err != nil {
				if casescribe.ErrorCode(err) != casescribe.EINVALID || casescribe.ErrorMessage(err) == "" || got != "" {
					t.Fatalf("%s: refused cursor %q: %q, %v; want only an invalid error with a message", l.list, cursor, got, err)
				}
				continue
			}
			accepted++
			if !l.valid(got) || strings.ContainsAny(got, "#:") {
				t.Fatalf("%s: cursor %q gives id %q, which no %s item has", l.list, cursor, got, l.list)
			}
			if again := encodeCursor(l.list, got); again != cursor {
				t.Fatalf("%s: cursor %q gives id %q, which encodes as %q: two cursors for one position", l.list, cursor, got, again)
			}
			if l.ulids {
				if u, err := ulid.ParseStrict(got); err != nil || u.String() != got {
					t.Fatalf("%s: cursor %q gives id %q, not the canonical text of a ULID (%v)", l.list, cursor, got, err)
				}
			}
		}
		if accepted > 1 {
			t.Fatalf("cursor %q is accepted by %d lists; a cursor belongs to one", cursor, accepted)
		}
	})
}
