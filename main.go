// Command prws is a durable, consistent-hash sharding proxy for the
// Prometheus remote-write protocol. This file only hands the command line
// to package cli, which wires it to the packages that do the work; see
// README.md and DESIGN.md.
package main

import (
	"fmt"
	"os"

	"github.com/prws/prws/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := cli.Run(version, os.Args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "prws:", err)
		os.Exit(1)
	}
}
