package spec

import (
	"fmt"
	"strings"
)

// expand replaces ${NAME} by the value of the environment variable NAME and ${NAME:-default} by
// that value or, when it is unset or empty, by default; $${ is a literal ${. getenv cannot tell
// an unset variable from an empty one, so both count as unset. A default is plain text: "${"
// in it is an error, since the reference would end at the nested one's "}".
func expand(s string, getenv func(string) string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return "", fmt.Errorf("unterminated ${ (write $${ for a literal ${)")
			}
			expr := s[i+2 : i+2+end]
			name, def, hasDef := strings.Cut(expr, ":-")
			if !isVarName(name) {
				return "", fmt.Errorf("bad variable reference ${%s}: a name is letters, digits and _, not starting with a digit", expr)
			}
			if hasDef && strings.Contains(def, "${") {
				// ${A:-${B}} would end at the first "}": refuse it rather than give "va}".
				return "", fmt.Errorf("the default of ${%s:-...} holds \"${\": a default is plain text, it cannot refer to another variable", name)
			}
			v := ""
			if getenv != nil {
				v = getenv(name)
			}
			if v == "" {
				if !hasDef {
					return "", fmt.Errorf("environment variable %s is not set (give a default with ${%s:-value})", name, name)
				}
				v = def
			}
			b.WriteString(v)
			i += 2 + end + 1
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String(), nil
}

func isVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
