package main

import (
	"io"
	"os"

	"golang.org/x/term"
)

// streams are the process's standard streams, injected so that tests can run commands in memory.
type streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// InTTY, OutTTY and ErrTTY say whether each stream is a terminal (prompts, colour, progress).
	InTTY, OutTTY, ErrTTY bool
	// Getenv reads the environment; tests replace it.
	Getenv func(string) string
}

func stdStreams() *streams {
	return &streams{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		Getenv: os.Getenv,
	}
}
