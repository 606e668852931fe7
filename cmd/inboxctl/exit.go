package main

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Exit codes of CONTRACT section 3.
const (
	exitOK          = 0
	exitError       = 1
	exitChanges     = 2 // plan --detailed-exitcode with changes; drift found
	exitPartial     = 3 // apply: some changes failed or were skipped
	exitRefused     = 4 // apply: refused by the delete check
	exitInterrupted = 130
)

// exitErr carries an exit code chosen by a command. A nil err with a code means "no message".
type exitErr struct {
	code int
	err  error
}

func (e *exitErr) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitErr) Unwrap() error { return e.err }

// withCode makes err end the process with code.
func withCode(code int, err error) error { return &exitErr{code: code, err: err} }

// exitCode maps the error a command returned to the process exit code, in this one place.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitErr
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, context.Canceled) {
		return exitInterrupted
	}
	return exitError
}

// report prints err on stderr unless it carries no message.
func report(w io.Writer, err error) {
	var ee *exitErr
	if errors.As(err, &ee) && ee.err == nil {
		return
	}
	fmt.Fprintf(w, "inboxctl: %v\n", err)
}
