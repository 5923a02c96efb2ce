package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// exitFor maps a report to the exit code: a named layer is 1, unknown is 3,
// and none is 0 only when every check could run.
func exitFor(r *diagnose.Report) int {
	switch r.Layer {
	case diagnose.LayerNone:
		for _, c := range r.Checks {
			if c.Status == diagnose.StatusUnknown {
				return exitUndecided
			}
		}
		return exitOK
	case diagnose.LayerUnknown:
		return exitUndecided
	default:
		return exitDenied
	}
}

// sanitize replaces control characters (terminal escapes, carriage returns)
// in one line of text from a remote party, so it cannot repaint the
// terminal.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// sanitizeBlock is sanitize for multi-line text: newlines and tabs stay.
func sanitizeBlock(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// colorWanted reports whether to colour f: only a terminal, never with
// NO_COLOR set (https://no-color.org) or TERM=dumb.
func colorWanted(f *os.File) bool {
	return colorFor(isTerminal(f), os.LookupEnv)
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// colorFor is colorWanted's rule, apart from the terminal test.
func colorFor(terminal bool, lookupEnv func(string) (string, bool)) bool {
	if _, set := lookupEnv("NO_COLOR"); set {
		return false
	}
	if term, _ := lookupEnv("TERM"); term == "dumb" {
		return false
	}
	return terminal
}

// paint wraps s in an SGR colour when colour is on.
func (e env) paint(code, s string) string {
	if !e.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (e env) green(s string) string { return e.paint("32", s) }
func (e env) red(s string) string   { return e.paint("31", s) }
func (e env) bold(s string) string  { return e.paint("1", s) }
func (e env) dim(s string) string   { return e.paint("2", s) }

// layerText colours a layer: green for none, red for a named layer, bold
// for unknown.
func (e env) layerText(l diagnose.Layer) string {
	switch l {
	case diagnose.LayerNone:
		return e.green(string(l))
	case diagnose.LayerUnknown:
		return e.bold(string(l))
	default:
		return e.red(string(l))
	}
}

// printReport writes the report once: the request's facts and the checks
// (a failing check's detail is kept for the evidence lines, an unknown
// check's needs for the "to decide" lines), then the verdict, the
// evidence, what would decide, and the fix. The text fields speak the
// CLI's language (cliReport): flags, not Go option names.
func (e env) printReport(w io.Writer, r *diagnose.Report, indent string) {
	r = cliReport(r)
	for _, f := range []struct{ k, v string }{
		{"principal", r.Principal}, {"action", r.Action}, {"resource", r.Resource},
		{"region", r.Region}, {"resource region", r.ResourceRegion}, {"source account", r.SourceAccount}, {"target account", r.TargetAccount},
		{"role", r.RoleARN}, {"model", r.ModelID}, {"operation", r.Operation}, {"request id", r.RequestID},
	} {
		if f.v != "" {
			fmt.Fprintf(w, "%s%s: %s\n", indent, f.k, sanitize(f.v))
		}
	}
	if len(r.Checks) > 0 {
		fmt.Fprintf(w, "%schecks:\n", indent)
		for _, c := range r.Checks {
			fmt.Fprintf(w, "%s  %s %s [%s]", indent, statusMark(c.Status), sanitize(c.Name), sanitize(string(c.Layer)))
			if c.Status != diagnose.StatusFail && c.Detail != "" {
				fmt.Fprintf(w, " %s", sanitize(c.Detail))
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintf(w, "%s%s %s", indent, e.bold("verdict:"), e.layerText(r.Layer))
	if r.Summary != "" {
		fmt.Fprintf(w, ": %s", sanitize(r.Summary))
	}
	fmt.Fprintln(w)
	if len(r.Candidates) > 0 {
		names := make([]string, len(r.Candidates))
		for i, c := range r.Candidates {
			names[i] = string(c)
		}
		fmt.Fprintf(w, "%s%s %s\n", indent, e.bold("could also be:"), strings.Join(names, ", "))
	}
	for _, c := range r.Checks {
		switch {
		case c.Status != diagnose.StatusFail:
		case r.Layer == diagnose.LayerNone:
			// Nothing denies (e.g. a probe call succeeded): a failing
			// check is not evidence of a denial but a warning that it
			// disagrees with the verdict (the summary says why).
			fmt.Fprintf(w, "%s%s %s [%s] failed but does not decide the verdict: %s\n", indent, e.bold("warning:"), c.Name, c.Layer, sanitize(c.Detail))
		default:
			fmt.Fprintf(w, "%s%s %s: %s\n", indent, e.bold("evidence:"), c.Name, sanitize(c.Detail))
		}
	}
	for _, c := range r.Checks {
		if c.Status == diagnose.StatusUnknown && c.Needs != "" {
			fmt.Fprintf(w, "%s%s %s needs %s\n", indent, e.bold("to decide:"), c.Name, sanitize(c.Needs))
		}
	}
	if r.Fix != "" {
		fmt.Fprintf(w, "%s%s %s\n", indent, e.bold("fix:"), sanitize(r.Fix))
	}
	if r.FixPolicy != "" {
		fmt.Fprintf(w, "%s%s\n", indent, e.bold("fix policy:"))
		for _, line := range strings.Split(strings.TrimRight(sanitizeBlock(r.FixPolicy), "\n"), "\n") {
			fmt.Fprintf(w, "%s%s\n", indent, line)
		}
		if r.FixPlace != "" {
			// Which policy of which principal, in which account.
			fmt.Fprintf(w, "%s%s %s\n", indent, e.bold("paste into:"), sanitize(r.FixPlace))
		}
	}
}

// statusMark is a check status's mark in text output, as in the report's
// own text form.
func statusMark(s diagnose.Status) string {
	switch s {
	case diagnose.StatusPass:
		return "✓"
	case diagnose.StatusFail:
		return "✗"
	case diagnose.StatusUnknown:
		return "?"
	default:
		return "-"
	}
}

// printRunbook writes the report's text form (the demo's), indented,
// sanitised and in the CLI's words (cliReport).
func (e env) printRunbook(w io.Writer, r *diagnose.Report, indent string) {
	for _, line := range strings.Split(strings.TrimRight(sanitizeBlock(cliReport(r).String()), "\n"), "\n") {
		fmt.Fprintf(w, "%s%s\n", indent, line)
	}
}

// writeJSON writes v as indented JSON, the only thing on stdout in --json
// mode.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newFlagSet returns a flag set that reports errors to the caller instead
// of exiting, with a usage text that includes examples.
func newFlagSet(e env, name, synopsis, examples string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
		fmt.Fprintf(out, "\nExamples:\n%s", examples)
	}
	return fs
}

// parseFlags parses args, allowing flags after positional arguments
// ("explain TEXT --json"), and returns the positionals. A help request
// prints the usage to stdout and returns flag.ErrHelp.
func parseFlags(e env, fs *flag.FlagSet, args []string) ([]string, error) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" || a == "--h" {
			fs.SetOutput(e.stdout)
			fs.Usage()
			return nil, flag.ErrHelp
		}
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// flagExit is the exit code for a parseFlags error: 0 for help, 2 otherwise
// (the flag package has already said what was wrong).
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

// usageError prints a usage problem and returns exitUsage.
func usageError(e env, cmd, format string, a ...any) int {
	fmt.Fprintf(e.stderr, "bedrock-doctor %s: %s\nRun \"bedrock-doctor %s --help\" for usage.\n", cmd, sanitize(fmt.Sprintf(format, a...)), cmd)
	return exitUsage
}
