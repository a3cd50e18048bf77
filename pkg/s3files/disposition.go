package s3files

import (
	"strings"
	"unicode"
)

// attachment returns the Content-Disposition under which a download is saved as name. Document
// names are typed by people, in any script, and may hold quotes: the quoted filename is a
// stand-in of printable ASCII that cannot break out of its quotes, and filename* (RFC 5987, as
// RFC 6266 uses it) carries the exact name in UTF-8 for every browser that reads it, which
// current browsers do in preference to filename.
func attachment(name string) string {
	// Control characters (a line break above all) have no place in a file name.
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, "\uFFFD"))
	name = strings.TrimSpace(name)
	if name == "" {
		name = "download"
	}
	fallback := asciiName(name)
	if fallback == name {
		return `attachment; filename="` + name + `"`
	}
	return `attachment; filename="` + fallback + `"; filename*=UTF-8''` + extValue(name)
}

// asciiName replaces what is not printable ASCII, and the characters that are special inside a
// quoted string (the quote, the backslash) or that some browsers percent-decode there (%), with
// an underscore.
func asciiName(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			return '_'
		}
		return r
	}, name)
}

// extValue percent-encodes the UTF-8 bytes of s except RFC 5987's attr-char.
func extValue(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAttrChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0x0f])
	}
	return b.String()
}

// isAttrChar reports whether c may stand unencoded in an RFC 5987 value.
func isAttrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
