package main

import (
	"fmt"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// version is set at build time with -ldflags "-X main.version=..."; otherwise it comes from the
// module's build info.
var version = ""

// commit is set at build time with -ldflags "-X main.commit=..." when the build info has no VCS
// stamp (builds with -buildvcs=false).
var commit = ""

func versionCommand(s *streams) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version and commit of this build",
		Action: func(c *cli.Context) error {
			fmt.Fprintln(s.Out, versionString())
			return nil
		},
	}
}

func versionString() string {
	v, rev, dirty := version, commit, false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, kv := range bi.Settings {
			switch kv.Key {
			case "vcs.revision":
				rev = kv.Value
			case "vcs.modified":
				dirty = kv.Value == "true"
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	out := "inboxctl " + v
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if dirty {
			rev += "-dirty"
		}
		out += " (commit " + rev + ")"
	}
	return out
}
