package cli

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// reorderArgs lets a command's flags follow its positional arguments, as
// the README and the runbook write them (`prws deadletter show NAME
// --series 5`, `prws queues drop BACKEND --data-dir D`): the command line
// parser stops at the first positional argument, so the flags of the
// command named by args are moved in front of its positional arguments.
// Flag values stay with their flag, "--" ends the flags as usual, and an
// argument that is not a flag of that command stays where it is.
func reorderArgs(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	rest := args[1:]
	flags, cmds := app.Flags, app.Commands
	for {
		n := leadingFlags(rest, flags)
		out = append(out, rest[:n]...)
		rest = rest[n:]
		if len(rest) == 0 {
			return out
		}
		cmd := findCommand(cmds, rest[0])
		if cmd == nil {
			break
		}
		out = append(out, rest[0])
		rest = rest[1:]
		flags, cmds = cmd.Flags, cmd.Subcommands
	}
	var fl, pos []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			pos = append(pos, rest[i:]...)
			break
		}
		f := lookupFlag(flags, a)
		if f == nil {
			pos = append(pos, a)
			continue
		}
		fl = append(fl, a)
		if takesValue(f, a) && i+1 < len(rest) {
			i++
			fl = append(fl, rest[i])
		}
	}
	return append(append(out, fl...), pos...)
}

// leadingFlags counts the arguments at the start of args that are flags
// (with their values): known flags of this level, or anything else that
// looks like a flag, which the parser will judge.
func leadingFlags(args []string, flags []cli.Flag) int {
	i := 0
	for i < len(args) {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			return i
		}
		i++
		if f := lookupFlag(flags, a); f != nil && takesValue(f, a) && i < len(args) {
			i++
		}
	}
	return i
}

// lookupFlag returns the flag of flags that arg ("-name", "--name",
// "--name=value") names, or nil.
func lookupFlag(flags []cli.Flag, arg string) cli.Flag {
	if !strings.HasPrefix(arg, "-") {
		return nil
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-"), "=")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// takesValue reports whether flag f, written as arg, takes the next
// argument as its value.
func takesValue(f cli.Flag, arg string) bool {
	if strings.Contains(arg, "=") {
		return false
	}
	_, isBool := f.(*cli.BoolFlag)
	return !isBool
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// oneLineUsageErrors makes a bad flag or value print one line naming the
// flag and what it accepts, instead of the whole help, on app and every
// command.
func oneLineUsageErrors(app *cli.App) {
	app.OnUsageError = usageError
	var walk func([]*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, c := range cmds {
			c.OnUsageError = usageError
			walk(c.Subcommands)
		}
	}
	walk(app.Commands)
}

func usageError(c *cli.Context, err error, _ bool) error {
	name := "prws"
	if c.Command != nil && c.Command.HelpName != "" {
		name = c.Command.HelpName
	}
	return fmt.Errorf("%w (see %s --help)", err, name)
}
