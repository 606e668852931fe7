package spec

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem in the state files, at the position it was found.
type Error struct {
	Pos Pos
	Msg string
}

// Error formats e as "file:line:col: msg". A problem with a whole file (one that cannot be read)
// has no line and reads "file: msg"; one with no file at all is just the message.
func (e *Error) Error() string {
	switch {
	case e.Pos.File == "":
		return e.Msg
	case e.Pos.Line == 0:
		return e.Pos.File + ": " + e.Msg
	default:
		return e.Pos.String() + ": " + e.Msg
	}
}

// Errors is every problem found in one run, sorted by file, line and column.
type Errors []*Error

// Error joins the errors, one a line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func (es Errors) sort() {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
}

// errorList collects errors while reading.
type errorList struct {
	errs Errors
	// skipped counts the checks left out because a file could not be parsed whole.
	skipped int
}

func (l *errorList) add(p Pos, format string, args ...any) {
	l.errs = append(l.errs, &Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}
