package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// maxExplainInput bounds what explain reads from stdin: an error text, a
// log line or a CloudTrail record, never a whole log file.
const maxExplainInput = 1 << 20

const explainExamples = `  bedrock-doctor explain 'operation error Bedrock Runtime: Converse, https response error StatusCode: 403, RequestID: 1a2b, AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/BedrockInvoker/app is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0 because no identity-based policy allows the bedrock:InvokeModel action'
  kubectl logs deploy/app | grep AccessDenied | tail -1 | bedrock-doctor explain -
  bedrock-doctor explain --json "$(cat error.txt)" | jq -r .layer
`

// runExplain explains an error text with no AWS calls.
func runExplain(e env, args []string) int {
	fs := newFlagSet(e, "explain", "bedrock-doctor explain [--json] [TEXT | -]\n\nExplains an AWS error text (a Go SDK error, an AWS message, a boto3 line,\na JSON body, a CloudTrail record) without any AWS call. With no TEXT or with\n\"-\", the text is read from stdin.", explainExamples)
	asJSON := fs.Bool("json", false, "print the report as JSON (schema_version 1) and nothing else on stdout")
	pos, err := parseFlags(e, fs, args)
	if err != nil {
		return flagExit(err)
	}
	var text string
	switch {
	case len(pos) > 1:
		return usageError(e, "explain", "expected one TEXT argument (quote it), got %d", len(pos))
	case len(pos) == 1 && pos[0] != "-":
		text = pos[0]
	case len(pos) == 0 && e.stdinTerminal:
		return usageError(e, "explain", "no error text: pass it as an argument, or pipe it in with \"-\"")
	default:
		b, err := io.ReadAll(io.LimitReader(e.stdin, maxExplainInput+1))
		if err != nil {
			fmt.Fprintf(e.stderr, "bedrock-doctor explain: read stdin: %v\n", err)
			return exitUsage
		}
		if len(b) > maxExplainInput {
			return usageError(e, "explain", "input is over %d bytes: pass the one error line", maxExplainInput)
		}
		text = string(b)
	}
	if strings.TrimSpace(text) == "" {
		return usageError(e, "explain", "no error text: pass it as an argument or on stdin")
	}
	r := diagnose.Explain(text)
	if *asJSON {
		if err := writeJSON(e.stdout, r); err != nil {
			fmt.Fprintf(e.stderr, "bedrock-doctor explain: write: %v\n", err)
			return exitUsage
		}
		return explainExit(r)
	}
	e.printReport(e.stdout, r, "")
	return explainExit(r)
}

// explainExit is explain's exit code: a text that is not an access error at
// all (throttling, a quota, a service fault, a bad request, no network;
// Report.NotAccess) is 0, nothing to fix in access, not 3 (could not
// decide); otherwise the code every command uses.
func explainExit(r *diagnose.Report) int {
	if r.NotAccess {
		return exitOK
	}
	return exitFor(r)
}
