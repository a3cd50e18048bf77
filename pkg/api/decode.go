package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/casescribe/sharing/pkg/casescribe"
)

// MaxBodyBytes is the largest request body accepted; a larger one answers 413.
const MaxBodyBytes = 1 << 20

// MaxNameLength bounds client, case and organization names, in characters.
const MaxNameLength = 200

// decodeBody reads exactly one JSON object into dst, refusing unknown fields, wrong types,
// trailing data and bodies over MaxBodyBytes, with messages a person can act on.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return decodeError(err)
		}
		return casescribe.Errorf(casescribe.EINVALID, "The body must hold exactly one JSON object.")
	}
	return nil
}

func decodeError(err error) error {
	var (
		tooLarge  *http.MaxBytesError
		syntax    *json.SyntaxError
		wrongType *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooLarge):
		return casescribe.Errorf(casescribe.ETOOLARGE, "The body is larger than %d bytes.", MaxBodyBytes)
	case errors.Is(err, io.EOF):
		return casescribe.Errorf(casescribe.EINVALID, "The body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return casescribe.Errorf(casescribe.EINVALID, "The body is not valid JSON: it ends too early.")
	case errors.As(err, &syntax):
		return casescribe.Errorf(casescribe.EINVALID, "The body is not valid JSON (at byte %d).", syntax.Offset)
	case errors.As(err, &wrongType):
		if wrongType.Field == "" {
			return casescribe.Errorf(casescribe.EINVALID, "The body must be a JSON object.")
		}
		return casescribe.Errorf(casescribe.EINVALID, "Field %q must be %s.", wrongType.Field, jsonKind(wrongType.Type.Kind().String()))
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return casescribe.Errorf(casescribe.EINVALID, "Unknown field %s.", field)
	}
	return casescribe.Errorf(casescribe.EINVALID, "The body is not valid JSON.")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "a list"
	case "struct", "map":
		return "an object"
	default:
		return "a number"
	}
}

// validName trims a name and checks it is present, not too long, and free of control
// characters. field names the field in the message.
func validName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", casescribe.Errorf(casescribe.EINVALID, "Field %q is required and cannot be blank.", field)
	case !utf8.ValidString(name):
		return "", casescribe.Errorf(casescribe.EINVALID, "Field %q must be valid UTF-8 text.", field)
	case utf8.RuneCountInString(name) > MaxNameLength:
		return "", casescribe.Errorf(casescribe.EINVALID, "Field %q must be at most %d characters.", field, MaxNameLength)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", casescribe.Errorf(casescribe.EINVALID, "Field %q cannot contain control characters such as line breaks.", field)
	}
	return name, nil
}

// validText trims a free text (a fact, a comment, a question) and checks it is present, valid
// UTF-8 and at most max characters; line breaks are allowed.
func validText(field, text string, max int) (string, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return "", casescribe.Errorf(casescribe.EINVALID, "Field %q is required and cannot be blank.", field)
	case !utf8.ValidString(text):
		return "", casescribe.Errorf(casescribe.EINVALID, "Field %q must be valid UTF-8 text.", field)
	case utf8.RuneCountInString(text) > max:
		return "", casescribe.Errorf(casescribe.EINVALID, "Field %q must be at most %d characters.", field, max)
	}
	return text, nil
}

// pageParams reads ?limit= and ?cursor=.
func pageParams(r *http.Request) (cursor string, limit int, err error) {
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		limit, err = strconv.Atoi(v)
		if err != nil || limit < 1 || limit > 100 {
			return "", 0, casescribe.Errorf(casescribe.EINVALID, "Query parameter limit must be a whole number from 1 to 100.")
		}
	}
	return q.Get("cursor"), limit, nil
}

// list is the shape of every list answer.
type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"nextCursor"`
}

func newList[T any](items []T, next string) list[T] {
	l := list[T]{Items: items}
	if l.Items == nil {
		l.Items = []T{}
	}
	if next != "" {
		l.NextCursor = &next
	}
	return l
}
