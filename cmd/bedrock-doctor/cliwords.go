package main

import (
	"regexp"
	"strings"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// The library writes its reports for Go callers: a fix names the Go option
// to set (diagnose.Options.DiagnosticConfig, stscreds AssumeRoleOptions,
// client.WithRole). A person at a terminal needs the CLI's flag, or the
// AWS API parameter that every SDK and tool shares. The library is right
// for its users, so the words are translated here, where the CLI prints.

// cliPhrases maps the library's Go names to the CLI's words. Longer
// phrases come first: strings.Replacer tries the arguments in order at
// each position.
var cliPhrases = strings.NewReplacer(
	"(diagnose.Options.DiagnosticConfig)", "(bedrock-doctor check --diagnostic-profile PROFILE)",
	"diagnose.Options.DiagnosticConfig", "bedrock-doctor check --diagnostic-profile PROFILE",
	"(stscreds AssumeRoleOptions: ExternalID, SourceIdentity, Tags, SerialNumber/TokenCode)",
	"(the AssumeRole parameters ExternalId, SourceIdentity, Tags, SerialNumber and TokenCode; check takes the first as --external-id)",
	"stscreds AssumeRoleOptions.Duration", "the AssumeRole parameter DurationSeconds",
	"stscreds AssumeRoleOptions.Policy / PolicyARNs", "the AssumeRole parameters Policy and PolicyArns",
	"stscreds AssumeRoleOptions.SerialNumber and TokenProvider", "the AssumeRole parameters SerialNumber and TokenCode",
	"stscreds AssumeRoleOptions.ExternalID", "the AssumeRole parameter ExternalId (check's --external-id)",
	"stscreds AssumeRoleOptions.RoleSessionName", "the AssumeRole parameter RoleSessionName (check's --session-name)",
	"stscreds AssumeRoleOptions", "the AssumeRole parameters",
	"(WithRole)", "(--role-arn)",
)

// cliPatterns rewrite what carries a value: client.WithRole("ARN").
var cliPatterns = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`pass client\.WithRole\("([^"]*)"\)`), `make the app assume $1 (bedrock-doctor check --role-arn $1 tries it)`},
	{regexp.MustCompile(`use client\.WithRole\("([^"]*)"\), which signs with the role's credentials even when the variable is set`),
		`make the app assume $1 and sign with the role's credentials (bedrock-doctor check --role-arn $1 does, even when the variable is set)`},
	{regexp.MustCompile(`client\.WithRole\("([^"]*)"\)`), `the role $1 (--role-arn $1)`},
}

// cliText translates one text field of a report into the CLI's words.
func cliText(s string) string {
	if s == "" {
		return s
	}
	for _, p := range cliPatterns {
		s = p.re.ReplaceAllString(s, p.repl)
	}
	return cliPhrases.Replace(s)
}

// cliReport returns a copy of r whose text fields (summary, fix, each
// check's detail and needs) are in the CLI's words. r is not changed; the
// JSON output keeps the library's report as it is.
func cliReport(r *diagnose.Report) *diagnose.Report {
	out := *r
	out.Summary = cliText(r.Summary)
	out.Fix = cliText(r.Fix)
	out.Checks = make([]diagnose.Check, len(r.Checks))
	for i, c := range r.Checks {
		c.Detail, c.Needs = cliText(c.Detail), cliText(c.Needs)
		out.Checks[i] = c
	}
	return &out
}
