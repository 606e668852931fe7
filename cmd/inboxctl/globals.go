package main

import "github.com/urfave/cli/v2"

// globalFlags are the flags of CONTRACT section 3 shared by every command. TEMPORARY: the auth
// issue fills them in.
func globalFlags(s *streams) []cli.Flag { return nil }
