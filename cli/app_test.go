package cli

import (
	"io"

	"github.com/urfave/cli/v2"
)

// newApp is the command line of a "dev" build, as the tests run it.
func newApp(stdout, stderr io.Writer) *cli.App { return NewApp("dev", stdout, stderr) }
