package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// normalizeArgs reorders a command line so that urfave/cli v2 parses it the way users write it.
// The library stops reading flags at the first positional argument and reads global flags only
// before the command name, so `inboxctl plan state/ --format json --api-url X` would otherwise
// treat both flags as paths. The result is: program, global flags, command, command flags,
// positional arguments (after "--" when one of them starts with "-").
func normalizeArgs(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	globals := flagArity(app.Flags)
	out := []string{args[0]}
	i := 1
	for i < len(args) && isFlag(args[i]) {
		n := flagLen(globals, args, i)
		out = append(out, args[i:i+n]...)
		i += n
	}
	if i >= len(args) {
		return args
	}
	cmd := app.Command(args[i])
	if cmd == nil {
		return args
	}
	name := args[i]
	local := flagArity(cmd.Flags)
	var cmdFlags, positional []string
	for i++; i < len(args); {
		tok := args[i]
		switch {
		case tok == "--":
			positional = append(positional, args[i+1:]...)
			i = len(args)
		case !isFlag(tok):
			positional = append(positional, tok)
			i++
		default:
			key := flagKey(tok)
			if _, ok := local[key]; !ok {
				if _, ok := globals[key]; ok {
					n := flagLen(globals, args, i)
					out = append(out, args[i:i+n]...)
					i += n
					continue
				}
			}
			n := flagLen(local, args, i)
			cmdFlags = append(cmdFlags, args[i:i+n]...)
			i += n
		}
	}
	out = append(out, name)
	out = append(out, cmdFlags...)
	for _, p := range positional {
		if strings.HasPrefix(p, "-") {
			out = append(out, "--")
			break
		}
	}
	return append(out, positional...)
}

// flagArity maps every name of every flag to whether the flag takes a value.
func flagArity(flags []cli.Flag) map[string]bool {
	m := map[string]bool{}
	for _, f := range flags {
		takes := true
		if d, ok := f.(cli.DocGenerationFlag); ok {
			takes = d.TakesValue()
		}
		for _, n := range f.Names() {
			m[n] = takes
		}
	}
	return m
}

func isFlag(tok string) bool { return len(tok) > 1 && tok[0] == '-' }

// flagKey returns the flag name of a token: "--format=json" -> "format".
func flagKey(tok string) string {
	k := strings.TrimLeft(tok, "-")
	if i := strings.IndexByte(k, '='); i >= 0 {
		k = k[:i]
	}
	return k
}

// flagLen says how many tokens the flag at args[i] spans: 2 when it takes a separate value.
func flagLen(arity map[string]bool, args []string, i int) int {
	if strings.Contains(args[i], "=") || !arity[flagKey(args[i])] || i+1 >= len(args) {
		return 1
	}
	return 2
}
