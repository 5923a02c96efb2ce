// Command bedrock-doctor finds which layer of the AWS access chain denies a
// Bedrock call made through a role in another account (or the same one), and
// says who must fix what.
//
// Usage:
//
//	bedrock-doctor check --role-arn ARN --model ID [flags]          diagnose a real setup
//	bedrock-doctor explain [TEXT | -] [--json]                      explain an error text, offline
//	bedrock-doctor demo [SCENARIO | FILE.json ...] [--list] [--json] run the built-in scenarios, offline
//	bedrock-doctor serve [SCENARIO | FILE.json]                     serve a local world for check or any SDK
//	bedrock-doctor version                                           module version and VCS revision
//
// Exit codes: 0 all clear, 1 a layer denies (named in the output), 2 usage or
// environment error (AWS unreachable included), 3 the diagnosis could not
// decide (AWS answering only with throttling or faults included).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
)

// Exit codes, stable for scripts.
const (
	exitOK        = 0 // layer none and every check ran
	exitDenied    = 1 // a layer is named
	exitUsage     = 2 // bad flags, bad input, broken environment, AWS unreachable
	exitUndecided = 3 // layer unknown, or none with checks that could not run, or AWS only faulted
)

const usage = `bedrock-doctor finds which layer denies a Bedrock call and who must fix it.

Usage:
  bedrock-doctor check   --role-arn ARN --model ID [flags]
      diagnose a real setup (read-only AWS calls)
  bedrock-doctor explain [TEXT | -] [--json]
      explain an error text (no AWS calls)
  bedrock-doctor demo    [SCENARIO | FILE.json ...] [--list] [--json]
      run the built-in scenarios against a local fake AWS (no account, no network)
  bedrock-doctor serve   [SCENARIO | FILE.json]
      serve one local world on loopback and print the shell lines to use it
  bedrock-doctor version
      print the module version and the VCS revision of this binary

Run "bedrock-doctor <command> --help" for a command's flags and examples.

Exit codes:
  0  all clear: nothing denies and every check ran
  1  a layer denies the call (the output names it, with the fix)
  2  usage or environment error (bad flags, no valid region, AWS unreachable)
  3  the diagnosis could not decide (see the checks marked ?)
`

// env is what a command may touch: its streams and what they are connected
// to.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	color          bool
	// stdinTerminal: explain with no text would wait on a person typing.
	stdinTerminal bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	e := env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, color: colorWanted(os.Stdout), stdinTerminal: isTerminal(os.Stdin)}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// run dispatches to a command and returns the exit code.
func run(ctx context.Context, e env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "check":
		return runCheck(ctx, e, rest)
	case "explain":
		return runExplain(e, rest)
	case "demo":
		return runDemo(ctx, e, rest)
	case "serve":
		return runServe(ctx, e, rest)
	case "version", "--version":
		return runVersion(e, rest)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(e.stderr, "bedrock-doctor: unknown command %q\n\n%s", sanitize(cmd), usage)
		return exitUsage
	}
}
