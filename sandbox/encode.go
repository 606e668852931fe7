package sandbox

import (
	"time"
	"unicode/utf8"
)

// The user list is the sandbox's hot path (100,000 users are listed in pages of 1,000), so its
// JSON is written by hand: no reflection, and the stored metadata (already compact JSON written by
// encoding/json) is copied through without decoding. The output is what encoding/json would
// produce for userJSON; a test checks that.

// listedUser is a user row as the list endpoint reads it.
type listedUser struct {
	id, app, email, name, status string
	metadata                     string // compact JSON object
	created, updated             int64  // Unix nanoseconds
}

func appendUserJSON(b []byte, u *listedUser) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, u.id)
	b = append(b, `,"application_id":`...)
	b = appendJSONString(b, u.app)
	b = append(b, `,"email":`...)
	b = appendJSONString(b, u.email)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, u.name)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, u.status)
	b = append(b, `,"metadata":`...)
	if u.metadata == "" {
		b = append(b, "{}"...)
	} else {
		b = append(b, u.metadata...)
	}
	b = append(b, `,"created_at":"`...)
	b = fromNanos(u.created).AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","updated_at":"`...)
	b = fromNanos(u.updated).AppendFormat(b, time.RFC3339Nano)
	return append(b, `"}`...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped as encoding/json does (including <, > and
// &, and invalid UTF-8 replaced by U+FFFD).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
