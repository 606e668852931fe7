// Command inboxctl manages the identity resources of an inbox-manager tenant declaratively.
package main

import "os"

func main() {
	os.Exit(run(os.Args, stdStreams()))
}
