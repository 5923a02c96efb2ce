package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

const demoExamples = `  go run ./cmd/bedrock-doctor demo                  # every scenario
  bedrock-doctor demo trust-policy                  # one scenario
  bedrock-doctor demo --list                        # the scenarios and their expected layers
  bedrock-doctor demo ./my-world.json               # a world of your own, in the scenarios' format
  bedrock-doctor demo --json | jq '.[] | {scenario, expected, layer}'
`

// demoBudget bounds each scenario's diagnosis; the fake answers on
// loopback, so this is generous.
const demoBudget = 10 * time.Second

// demoResult is one scenario's outcome; its JSON form is the demo's --json
// output.
type demoResult struct {
	Scenario string           `json:"scenario"`
	Title    string           `json:"title"`
	Expected diagnose.Layer   `json:"expected"`
	Layer    diagnose.Layer   `json:"layer"`
	OK       bool             `json:"ok"`
	Plain    string           `json:"plain_sdk_error,omitempty"`
	Error    string           `json:"bedrockdoctor_error,omitempty"`
	Report   *diagnose.Report `json:"report"`
}

// runDemo runs the built-in scenarios against a fake AWS in this process.
func runDemo(ctx context.Context, e env, args []string) int {
	fs := newFlagSet(e, "demo", "bedrock-doctor demo [SCENARIO | FILE.json ...] [--list] [--json]\n\nRuns a local multi-account AWS in this process (loopback only: no AWS account,\nno network) and, for each scenario, makes the app's Bedrock call twice: with\na plain SDK client and with bedrockdoctor's client. It prints both errors and\nthe diagnosis. Exits 0 when every scenario's diagnosis names the layer the\nscenario expects, 1 otherwise. The built-in scenarios are JSON files\n(cmd/bedrock-doctor/scenarios/) holding real IAM policy documents.", demoExamples)
	list := fs.Bool("list", false, "list the scenarios and exit")
	asJSON := fs.Bool("json", false, "print the results as a JSON array and nothing else on stdout")
	pos, err := parseFlags(e, fs, args)
	if err != nil {
		return flagExit(err)
	}
	all, err := builtinScenarios()
	if err != nil {
		fmt.Fprintf(e.stderr, "bedrock-doctor demo: embedded scenarios: %v\n", err)
		return exitUsage
	}
	if *list {
		return e.printScenarioList(all, *asJSON)
	}
	chosen := all
	if len(pos) > 0 {
		chosen = nil
		for _, arg := range pos {
			if strings.HasSuffix(arg, ".json") {
				// A scenario of the user's own, in the same format.
				data, err := os.ReadFile(arg)
				if err != nil {
					return usageError(e, "demo", "%v", err)
				}
				s, err := parseScenario(data)
				if err != nil {
					return usageError(e, "demo", "%s: %v", arg, err)
				}
				chosen = append(chosen, s)
				continue
			}
			s, ok := findScenario(all, arg)
			if !ok {
				return usageError(e, "demo", "unknown scenario %q (the scenarios: %s)", arg, scenarioNames(all))
			}
			chosen = append(chosen, s)
		}
	}
	// The demo's world is self-contained: a Bedrock API key in the
	// environment would make the plain SDK client bypass it.
	if os.Getenv("AWS_BEARER_TOKEN_BEDROCK") != "" {
		os.Unsetenv("AWS_BEARER_TOKEN_BEDROCK")
		fmt.Fprintln(e.stderr, "bedrock-doctor demo: ignoring AWS_BEARER_TOKEN_BEDROCK: the demo signs with its own fake credentials")
	}

	if !*asJSON {
		fmt.Fprintf(e.stdout, "%s\n%s\n\n", e.bold("bedrock-doctor demo: a local AWS in this process (loopback only: no account, no network)."),
			"Each world is real IAM policy documents in a few accounts. The app makes one Converse call (InvokeModel for an\n"+
				"imported model), first with a plain SDK client (bedrockruntime.NewFromConfig + stscreds), then with\n"+
				"bedrockdoctor's client.NewFromConfig; both errors are shown, then the diagnosis' report: one line per check, ✓ pass, ✗ fail, ? could not run.")
	}
	results := make([]demoResult, 0, len(chosen))
	passed := 0
	for i, s := range chosen {
		if ctx.Err() != nil {
			fmt.Fprintln(e.stderr, "bedrock-doctor demo: interrupted")
			return exitUsage
		}
		res := playScenario(ctx, s)
		results = append(results, res)
		if res.OK {
			passed++
		}
		if !*asJSON {
			e.printScenario(i+1, len(chosen), s, res)
		}
	}
	if *asJSON {
		if err := writeJSON(e.stdout, results); err != nil {
			fmt.Fprintf(e.stderr, "bedrock-doctor demo: write: %v\n", err)
			return exitUsage
		}
	} else {
		fmt.Fprintln(e.stdout, e.bold("summary:"))
		for _, res := range results {
			mark := e.green("✓")
			if !res.OK {
				mark = e.red("✗")
			}
			fmt.Fprintf(e.stdout, "  %s %-24s expected %-17s diagnosed %s\n", mark, sanitize(res.Scenario), res.Expected, e.layerText(res.Layer))
		}
		summary := fmt.Sprintf("%d/%d scenarios diagnosed as expected", passed, len(chosen))
		if passed == len(chosen) {
			summary = e.green(summary)
		} else {
			summary = e.red(summary)
		}
		fmt.Fprintf(e.stdout, "%s\n", e.bold(summary))
	}
	if passed != len(chosen) {
		return exitDenied
	}
	return exitOK
}

// findScenario returns the scenario named name.
func findScenario(all []scenario, name string) (scenario, bool) {
	for _, s := range all {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// stage is one running copy of a scenario's world.
type stage struct {
	sc   *awsfake.Scenario
	srv  *awsfake.Server
	base aws.Config // the app's base credentials, pointed at srv
}

// serve builds a fresh copy of s's world and serves it on loopback. Each
// client gets its own copy: a call can change a world (a Marketplace
// subscription starts on first use), and both clients must meet the same one.
func serve(s scenario) (*stage, error) {
	sc, err := awsfake.ParseScenario(s.world)
	if err != nil {
		return nil, err
	}
	keys, _ := sc.Credentials(s.target.Principal)
	if s.app.DeletedKey {
		// A key id the world never issued, as after a key is deleted.
		keys = awsfake.Credentials{AccessKeyID: "AKIA" + "DEMODELETEDKEY00", SecretAccessKey: "deleted-key-secret-not-a-real-secret00"}
	}
	srv := awsfake.NewServer(sc.World)
	return &stage{sc: sc, srv: srv, base: srv.Config(s.target.Region, keys)}, nil
}

// playScenario makes the app's call with a plain SDK client and with the
// library's client, each on its own copy of the world.
func playScenario(ctx context.Context, s scenario) demoResult {
	res := demoResult{Scenario: s.name, Title: s.title, Expected: s.expect}
	fail := func(err error) demoResult {
		res.Report = &diagnose.Report{SchemaVersion: diagnose.SchemaVersion, Layer: diagnose.LayerUnknown, Summary: "world: " + err.Error(), Checks: []diagnose.Check{}}
		res.Layer = res.Report.Layer
		return res
	}
	role, model := s.target.RoleARN, s.target.ModelID

	// The plain SDK: what the app logs today.
	st, err := serve(s)
	if err != nil {
		return fail(err)
	}
	var plain *bedrockruntime.Client
	if s.app.ForgetsRole {
		plain = bedrockruntime.NewFromConfig(st.base)
	} else {
		cfg := st.base.Copy()
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(st.base), role, s.assumeOptions()...))
		plain = bedrockruntime.NewFromConfig(cfg)
	}
	if err := appCall(ctx, plain, s.target.Operation, model, s.target.OutputS3URI); err != nil {
		res.Plain = err.Error()
	}
	st.srv.Close()

	st, err = serve(s)
	if err != nil {
		return fail(err)
	}
	defer st.srv.Close()
	base := st.base

	// bedrockdoctor: the one-line migration (or AppendDiagnosis for an app
	// that keeps the SDK's constructor).
	// No rate limit: it protects real AWS accounts, and this one is local.
	dopts := diagnose.Options{Budget: demoBudget, RateLimit: -1}
	if u := s.app.DiagnosticUser; u != "" {
		c, _ := st.sc.Credentials(u)
		diag := st.srv.Config(s.target.Region, c)
		dopts.DiagnosticConfig = &diag
	}
	withOpts := func(o *diagnose.Options) {
		o.Budget, o.RateLimit, o.DiagnosticConfig = dopts.Budget, dopts.RateLimit, dopts.DiagnosticConfig
	}
	var lib *bedrockruntime.Client
	if s.app.ForgetsRole {
		cfg := base.Copy()
		client.AppendDiagnosis(&cfg.APIOptions, cfg, withOpts, func(o *diagnose.Options) { o.RoleARN = role })
		lib = bedrockruntime.NewFromConfig(cfg)
	} else {
		lib = client.NewFromConfig(base, client.WithRole(role, s.assumeOptions()...), client.WithDiagnosis(withOpts))
	}
	err = appCall(ctx, lib, s.target.Operation, model, s.target.OutputS3URI)
	var derr *diagnose.Error
	switch {
	case err == nil:
		// The call worked; Run shows the checks that prove it.
		r, rerr := diagnose.NewDiagnoser(base, dopts).Run(ctx, diagnose.Target{RoleARN: role, AssumeRoleOptions: s.assumeOptions(), ModelID: model, Operation: orDefault(s.target.Operation, "Converse"), OutputS3URI: s.target.OutputS3URI})
		if rerr != nil {
			r = &diagnose.Report{SchemaVersion: diagnose.SchemaVersion, Layer: diagnose.LayerUnknown, Summary: "run: " + rerr.Error(), Checks: []diagnose.Check{}}
		}
		res.Report = r
	case errors.As(err, &derr):
		res.Error = err.Error()
		res.Report = derr.Report
	default:
		res.Error = err.Error()
		res.Report = &diagnose.Report{SchemaVersion: diagnose.SchemaVersion, Layer: diagnose.LayerUnknown, Summary: "the error was not diagnosed", Checks: []diagnose.Check{}}
	}
	res.Layer = res.Report.Layer
	res.OK = res.Layer == s.expect
	return res
}

// assumeOptions are the stscreds options the scenario's app passes.
func (s scenario) assumeOptions() []func(*stscreds.AssumeRoleOptions) {
	if s.app.ExternalID == "" {
		return nil
	}
	id := s.app.ExternalID
	return []func(*stscreds.AssumeRoleOptions){func(o *stscreds.AssumeRoleOptions) { o.ExternalID = &id }}
}

// appCall makes the app's call: one short Converse turn, or for a world
// whose model Converse does not take (an imported model) one InvokeModel
// in the body format of Meta Llama, the usual architecture of an import;
// StartAsyncInvoke starts one Nova Reel job writing to output.
func appCall(ctx context.Context, br *bedrockruntime.Client, op, model, output string) error {
	ctx, cancel := context.WithTimeout(ctx, demoBudget+5*time.Second)
	defer cancel()
	if op == "StartAsyncInvoke" {
		return startAsync(ctx, br, model, output) // async.go
	}
	if op == "InvokeModel" {
		_, err := br.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String(model), ContentType: aws.String("application/json"),
			Body: []byte(`{"prompt":"Say hello.","max_gen_len":16}`)})
		return err
	}
	_, err := br.Converse(ctx, &bedrockruntime.ConverseInput{
		ModelId: aws.String(model),
		Messages: []types.Message{{
			Role:    types.ConversationRoleUser,
			Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Say hello."}},
		}},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(16)},
	})
	return err
}

// printScenario writes one scenario for a newcomer: what is wrong, the two
// errors side by side, then the report.
func (e env) printScenario(i, n int, s scenario, res demoResult) {
	w := e.stdout
	fmt.Fprintf(w, "%s\n", e.bold(fmt.Sprintf("━━ %d/%d %s: %s", i, n, sanitize(s.name), sanitize(s.title))))
	if s.description != "" && s.description != s.title {
		fmt.Fprintf(w, "  %s\n", e.dim(sanitize(s.description)))
	}
	fmt.Fprintf(w, "  %s %s %s in %s as %s", e.dim("call:"), orDefault(s.target.Operation, "Converse"), sanitize(s.target.ModelID), sanitize(s.target.Region), sanitize(s.target.Principal))
	if s.app.ForgetsRole {
		fmt.Fprintf(w, " (meant to assume %s)\n", sanitize(s.target.RoleARN))
	} else {
		fmt.Fprintf(w, " → %s\n", sanitize(s.target.RoleARN))
	}
	plain := "(none: the call succeeded)"
	if res.Plain != "" {
		plain = sanitize(res.Plain)
	}
	mine := "(none: the call succeeded)"
	if res.Error != "" {
		mine = sanitize(res.Error)
	}
	fmt.Fprintf(w, "  %s     %s\n", e.bold("plain SDK error:"), plain)
	fmt.Fprintf(w, "  %s  %s\n", e.bold("with bedrockdoctor:"), mine)
	mark := e.green("✓")
	if !res.OK {
		mark = e.red("✗ MISMATCH")
	}
	fmt.Fprintf(w, "  expected layer %s, diagnosed %s %s; fixed by %s\n", s.expect, e.layerText(res.Layer), mark, sanitize(s.who))
	if u := s.app.DiagnosticUser; u != "" {
		fmt.Fprintf(w, "  %s the checks read the target account as %s (diagnose.Options.DiagnosticConfig)\n", e.dim("note:"), sanitize(u))
	}
	fmt.Fprintln(w, "  report:")
	e.printRunbook(w, res.Report, "    ")
	fmt.Fprintln(w)
}
