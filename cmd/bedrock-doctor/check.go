package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
)

const checkExamples = `  # cross-account: the app's credentials (profile "app") assume a role in the Bedrock account
  bedrock-doctor check --profile app --role-arn arn:aws:iam::222222222222:role/BedrockInvoker \
      --model us.anthropic.claude-sonnet-4-5-20250929-v1:0 --region us-east-1 --operation converse

  # with an external id, as JSON for a script
  bedrock-doctor check --role-arn arn:aws:iam::222222222222:role/BedrockInvoker --external-id partner-42 \
      --model anthropic.claude-3-haiku-20240307-v1:0 --json | jq -r .layer

  # let the checks read the role's account (its trust policy) through a read-only auditor profile there
  bedrock-doctor check --profile app --diagnostic-profile bedrock-auditor \
      --role-arn arn:aws:iam::222222222222:role/BedrockInvoker --model anthropic.claude-3-haiku-20240307-v1:0

  # StartAsyncInvoke (e.g. Nova Reel): the model and the output bucket, written with the caller's s3:PutObject
  bedrock-doctor check --role-arn arn:aws:iam::222222222222:role/BedrockInvoker \
      --model amazon.nova-reel-v1:1 --operation async --output-s3-uri s3://team-videos/reel

  # prove the path end to end with one real, minimal call (costs a few tokens)
  bedrock-doctor check --role-arn arn:aws:iam::222222222222:role/BedrockInvoker \
      --model anthropic.claude-3-haiku-20240307-v1:0 --probe
`

// operations maps the --operation values to SDK operation names.
var operations = map[string]string{
	"invoke":          "InvokeModel",
	"converse":        "Converse",
	"stream":          "InvokeModelWithResponseStream",
	"converse-stream": "ConverseStream",
	"count-tokens":    "CountTokens",
	"async":           "StartAsyncInvoke",
}

// STS's patterns for the AssumeRole parameters (sts api_op_AssumeRole.go
// field docs: RoleSessionName [\w+=,.@-]{2,64}, ExternalId
// [\w+=,.@:\/-]{2,1224}); checking them here turns a typo into a usage
// error instead of a ValidationError diagnosis.
var (
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDPattern  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

// checkArgs are check's parsed flags.
type checkArgs struct {
	roleARN, model, region, profile string
	diagProfile                     string
	externalID, sessionName         string
	operation                       string // SDK name
	outputS3URI                     string // StartAsyncInvoke's output location
	json, probe                     bool
	budget                          time.Duration
}

// runCheck diagnoses a real setup with the standard credential chain.
func runCheck(ctx context.Context, e env, args []string) int {
	a, code, ok := parseCheck(e, args)
	if !ok {
		return code
	}
	var loadOpts []func(*config.LoadOptions) error
	if a.region != "" {
		loadOpts = append(loadOpts, config.WithRegion(a.region))
	}
	if a.profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(a.profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		fmt.Fprintf(e.stderr, "bedrock-doctor check: load AWS configuration: %s\n", sanitize(err.Error()))
		return exitUsage
	}
	if cfg.Region == "" {
		return usageError(e, "check", "no region: pass --region or set AWS_REGION (or region in the profile)")
	}
	if err := validateRegion(cfg.Region); err != nil {
		// --region was checked with the flags: this one came from the
		// environment or the profile.
		return usageError(e, "check", "region %q (from AWS_REGION, AWS_DEFAULT_REGION or the profile): %v", cfg.Region, err)
	}

	var assumeOpts []func(*stscreds.AssumeRoleOptions)
	if a.externalID != "" || a.sessionName != "" {
		ext, name := a.externalID, a.sessionName
		assumeOpts = append(assumeOpts, func(o *stscreds.AssumeRoleOptions) {
			if ext != "" {
				o.ExternalID = aws.String(ext)
			}
			if name != "" {
				o.RoleSessionName = name
			}
		})
	}
	target := diagnose.Target{
		RoleARN:           a.roleARN,
		AssumeRoleOptions: assumeOpts,
		ModelID:           a.model,
		Region:            cfg.Region,
		Operation:         a.operation,
		OutputS3URI:       a.outputS3URI,
	}
	dopts := diagnose.Options{Budget: a.budget, RoleARN: a.roleARN}
	// reach tells "AWS said no" from "AWS could not be asked": the checks'
	// own statuses are the library's reading, and a CLI that exits 1
	// (denied) on a network outage sends people to fix IAM policies.
	reach := &reachability{}
	if a.diagProfile != "" {
		diag, err := config.LoadDefaultConfig(ctx, config.WithRegion(cfg.Region), config.WithSharedConfigProfile(a.diagProfile))
		if err != nil {
			fmt.Fprintf(e.stderr, "bedrock-doctor check: load --diagnostic-profile: %s\n", sanitize(err.Error()))
			return exitUsage
		}
		diag = reach.instrument(diag)
		dopts.DiagnosticConfig = &diag
	}
	report, err := runBounded(ctx, a.budget, 5*time.Second, func(ctx context.Context) (*diagnose.Report, error) {
		return diagnose.NewDiagnoser(reach.instrument(cfg), dopts).Run(ctx, target)
	})
	if errors.Is(err, errStuck) {
		fmt.Fprintf(e.stderr, "bedrock-doctor check: %v\n", err)
		return exitUndecided
	}
	if err != nil {
		if errors.Is(err, diagnose.ErrInvalidTarget) {
			return usageError(e, "check", "%v", err)
		}
		fmt.Fprintf(e.stderr, "bedrock-doctor check: %s\n", sanitize(err.Error()))
		return exitUsage
	}
	code = exitFor(report)
	unreach := reach.verdict()
	if unreach != nil {
		report = unreach.apply(report)
		code = unreach.code
		fmt.Fprintf(e.stderr, "bedrock-doctor check: %s (%s)\n", unreach.summary, sanitize(unreach.detail))
	}

	var probe *probeResult
	if a.probe {
		probe = runProbe(ctx, cfg, a, assumeOpts)
		switch {
		case probe.check.Status == diagnose.StatusPass:
			// The probe is AWS's own answer: the call works, whatever a
			// read-only check concluded. Checks that disagree stay
			// visible, as warnings.
			report = probeSucceeded(report, probe.check)
			code = exitFor(report)
		case probe.report != nil:
			// The real call was denied: its diagnosis stands.
			report.Checks = append(report.Checks, probe.check)
			code = combineExit(code, probe.code)
		default:
			report.Checks = append(report.Checks, probe.check)
			if unreach == nil {
				code = combineExit(code, probe.code)
			}
		}
	}

	if a.json {
		out := report
		if probe != nil && probe.report != nil {
			// The real call was denied: its diagnosis, grounded in AWS's
			// own answer, is the verdict scripts read.
			r := *probe.report
			r.Checks = append(append([]diagnose.Check(nil), r.Checks...), probe.check)
			out = &r
		}
		if err := writeJSON(e.stdout, out); err != nil {
			fmt.Fprintf(e.stderr, "bedrock-doctor check: write: %v\n", err)
			return exitUsage
		}
		return code
	}
	w := e.stdout
	fmt.Fprintf(w, "%s %s in %s, %s\n", e.bold("bedrock-doctor check:"), sanitize(a.operation), sanitize(cfg.Region), sanitize(a.model))
	if a.roleARN != "" {
		fmt.Fprintf(w, "  through role %s\n", sanitize(a.roleARN))
	} else {
		fmt.Fprintln(w, "  with the base credentials (no --role-arn)")
	}
	fmt.Fprintln(w)
	e.printReport(w, report, "")
	if a.diagProfile == "" && unreach == nil && needsTargetCredentials(report) {
		fmt.Fprintf(w, "%s pass --diagnostic-profile with read-only credentials (iam:GetRole) in the role's account to run the checks marked ?\n", e.bold("hint:"))
	}
	if probe != nil {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "%s %s\n", e.bold("probe:"), sanitize(probe.check.Detail))
		if probe.report != nil {
			e.printReport(w, probe.report, "  ")
		}
	}
	return code
}

// parseCheck parses and validates check's flags; ok false means exit with
// code.
func parseCheck(e env, args []string) (a checkArgs, code int, ok bool) {
	fs := newFlagSet(e, "check", "bedrock-doctor check --role-arn ARN --model ID [flags]\n\nDiagnoses a real setup: loads the standard AWS credential chain (environment,\nprofiles, SSO, web identity, IMDS; AWS_ENDPOINT_URL_* overrides apply), assumes\nthe role, and runs read-only checks (sts:GetCallerIdentity, sts:AssumeRole,\niam:SimulatePrincipalPolicy, iam:GetRole, bedrock:Get*/List*). It invokes no\nmodel unless --probe is given.", checkExamples)
	fs.StringVar(&a.roleARN, "role-arn", "", "`ARN` of the role the app assumes (empty: the base credentials call Bedrock)")
	fs.StringVar(&a.model, "model", "", "model `ID`, inference profile ID or ARN, as the app passes it (required)")
	fs.StringVar(&a.region, "region", "", "the Bedrock `region` (default: AWS_REGION or the profile's)")
	fs.StringVar(&a.profile, "profile", "", "shared config `profile` for the base credentials (default: AWS_PROFILE or default)")
	fs.StringVar(&a.diagProfile, "diagnostic-profile", "", "shared config `profile` with read-only credentials in the role's account, so the checks can read what the app cannot (the trust policy)")
	fs.StringVar(&a.externalID, "external-id", "", "external `id` the role's trust policy requires")
	fs.StringVar(&a.sessionName, "session-name", "", "role session `name` (default: bedrockdoctor-check-<time>)")
	op := fs.String("operation", "converse", "the call to diagnose: invoke, converse, stream, converse-stream, count-tokens or async (StartAsyncInvoke, with --output-s3-uri)")
	fs.StringVar(&a.outputS3URI, "output-s3-uri", "", "StartAsyncInvoke's output `location` (s3://BUCKET/PREFIX): Bedrock writes there with the caller's s3:PutObject")
	fs.BoolVar(&a.json, "json", false, "print the report as JSON (schema_version 1) and nothing else on stdout")
	a.budget = 10 * time.Second
	fs.Var((*secondsFlag)(&a.budget), "budget", "`duration` allowed for the whole diagnosis: 10s, 1m30s, or a number of seconds")
	fs.BoolVar(&a.probe, "probe", false, "also make one real minimal call through the role (costs tokens)")
	pos, err := parseFlags(e, fs, args)
	if err != nil {
		return a, flagExit(err), false
	}
	fail := func(format string, v ...any) (checkArgs, int, bool) {
		return a, usageError(e, "check", format, v...), false
	}
	if len(pos) > 0 {
		return fail("unexpected argument %q (flags only)", pos[0])
	}
	if a.model == "" {
		return fail("--model is required")
	}
	if _, err := bedrockid.Parse(a.model); err != nil {
		return fail("--model %q: %v", a.model, err)
	}
	if a.roleARN != "" {
		if err := validateRoleARN(a.roleARN); err != nil {
			return fail("--role-arn %q: %v", a.roleARN, err)
		}
	}
	if name, found := operations[strings.ToLower(*op)]; found {
		a.operation = name
	} else if bedrockid.ActionFor(*op) != "" && *op != "ApplyGuardrail" {
		a.operation = *op // an SDK operation name
	} else {
		return fail("--operation %q: want invoke, converse, stream, converse-stream, count-tokens or async", *op)
	}
	switch {
	case a.operation == "StartAsyncInvoke" && !strings.HasPrefix(a.outputS3URI, "s3://"):
		return fail("--operation async needs --output-s3-uri s3://BUCKET/PREFIX (where the app writes the output)")
	case a.operation != "StartAsyncInvoke" && a.outputS3URI != "":
		return fail("--output-s3-uri is for --operation async only")
	case a.operation == "StartAsyncInvoke" && a.probe:
		return fail("--probe does not start an asynchronous invocation: it would run (and bill) a whole job")
	}
	if a.externalID != "" && (len(a.externalID) < 2 || len(a.externalID) > 1224 || !externalIDPattern.MatchString(a.externalID)) {
		return fail("--external-id: 2 to 1224 characters of letters, digits and +=,.@:/-")
	}
	if a.sessionName != "" && !sessionNamePattern.MatchString(a.sessionName) {
		return fail("--session-name %q: 2 to 64 characters of letters, digits and +=,.@-", a.sessionName)
	}
	if a.budget <= 0 {
		return fail("--budget must be positive")
	}
	if a.region != "" {
		if err := validateRegion(a.region); err != nil {
			return fail("--region %q: %v", a.region, err)
		}
	}
	return a, 0, true
}

// regionPattern is the shape of every AWS region name: a 2-4 letter area
// (us, eu, ap, cn, eusc), then words (gov, iso, isob, de, east, southeast,
// ...), then a number: us-east-1, us-gov-west-1, cn-north-1,
// eusc-de-east-1, us-isob-east-1.
var regionPattern = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+){1,3}-[0-9]{1,2}$`)

// validateRegion rejects what is not a region name, so a typo is a usage
// error instead of a diagnosis of a region that does not exist (an unknown
// region's endpoints do not resolve, which would read as "no network").
func validateRegion(s string) error {
	switch {
	case regionPattern.MatchString(s):
		return nil
	case len(s) > 1 && regionPattern.MatchString(s[:len(s)-1]) && s[len(s)-1] >= 'a' && s[len(s)-1] <= 'z':
		return fmt.Errorf("an availability zone, not a region: did you mean %s?", s[:len(s)-1])
	case strings.ToLower(s) != s && regionPattern.MatchString(strings.ToLower(s)):
		return fmt.Errorf("region names are lower case: did you mean %s?", strings.ToLower(s))
	}
	return fmt.Errorf("not a region name (want e.g. us-east-1, eu-central-2, us-gov-west-1, cn-north-1)")
}

// secondsFlag is a time.Duration flag that also takes a bare number as
// seconds ("--budget 5"), the way people type a timeout.
type secondsFlag time.Duration

func (f *secondsFlag) String() string { return time.Duration(*f).String() }

func (f *secondsFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || math.IsNaN(secs) || math.IsInf(secs, 0) || math.Abs(secs) > math.MaxInt64/float64(time.Second) {
			return errors.New("want a duration such as 10s or 1m30s, or a number of seconds")
		}
		d = time.Duration(secs * float64(time.Second))
	}
	*f = secondsFlag(d)
	return nil
}

// errStuck reports a diagnosis that overran its budget by far: a bug, but
// the CLI must still end.
var errStuck = errors.New("the diagnosis did not finish within its budget (please report this)")

// runBounded runs fn and gives up grace after budget: diagnose.Run bounds
// itself by its Budget, and a command-line tool should not hang if it does
// not.
func runBounded(ctx context.Context, budget, grace time.Duration, fn func(context.Context) (*diagnose.Report, error)) (*diagnose.Report, error) {
	type out struct {
		r   *diagnose.Report
		err error
	}
	done := make(chan out, 1)
	go func() {
		r, err := fn(ctx)
		done <- out{r, err}
	}()
	timer := time.NewTimer(budget + grace)
	defer timer.Stop()
	select {
	case o := <-done:
		return o.r, o.err
	case <-timer.C:
		return nil, errStuck
	}
}

// validateRoleARN accepts IAM role ARNs of every partition.
func validateRoleARN(s string) error {
	a, err := arn.Parse(s)
	if err != nil {
		return fmt.Errorf("not an ARN (want arn:aws:iam::123456789012:role/NAME)")
	}
	if !strings.HasPrefix(a.Partition, "aws") {
		return fmt.Errorf("partition %q is not an AWS partition (aws, aws-cn, aws-us-gov, ...)", a.Partition)
	}
	if a.Service != "iam" || a.Region != "" || !strings.HasPrefix(a.Resource, "role/") || len(a.Resource) <= len("role/") {
		return fmt.Errorf("not an IAM role ARN (want arn:%s:iam::123456789012:role/NAME)", a.Partition)
	}
	if len(a.AccountID) != 12 || strings.Trim(a.AccountID, "0123456789") != "" {
		return fmt.Errorf("account id %q is not 12 digits", a.AccountID)
	}
	return nil
}

// needsTargetCredentials reports a check that could run only with
// credentials in the role's account (diagnose.Options.DiagnosticConfig).
func needsTargetCredentials(r *diagnose.Report) bool {
	for _, c := range r.Checks {
		if c.Status == diagnose.StatusUnknown && strings.Contains(c.Needs, "DiagnosticConfig") {
			return true
		}
	}
	return false
}

// combineExit merges the diagnosis' and the probe's exit codes: a named
// layer wins, then undecided, then all clear.
func combineExit(a, b int) int {
	for _, c := range []int{exitDenied, exitUndecided} {
		if a == c || b == c {
			return c
		}
	}
	return exitOK
}

// probeSucceeded is the report once the probe call succeeded: layer none,
// since AWS itself allowed the call, with the probe's check appended. A
// read-only check that failed stays in the report, failing, and the
// summary says the probe succeeded despite it (it may see another path, an
// outdated state, or be wrong).
func probeSucceeded(r *diagnose.Report, probe diagnose.Check) *diagnose.Report {
	out := *r
	out.Layer = diagnose.LayerNone
	out.Candidates = nil
	out.Fix = ""
	out.FixPolicy = ""
	out.Checks = append(append([]diagnose.Check(nil), r.Checks...), probe)
	var failing []string
	for _, c := range r.Checks {
		if c.Status == diagnose.StatusFail {
			failing = append(failing, c.Name+" ("+string(c.Layer)+")")
		}
	}
	out.Summary = "the probe call succeeded: AWS allows the call end to end"
	if len(failing) > 0 {
		out.Summary += ", despite the failing read-only check " + strings.Join(failing, ", ") + ", kept as a warning"
	}
	return &out
}

// probeResult is the outcome of the one real call.
type probeResult struct {
	check  diagnose.Check
	report *diagnose.Report // the diagnosed error's report, nil otherwise
	code   int
}

// runProbe makes one minimal real call through the role with the library's
// client. Converse stands for InvokeModel and ConverseStream for
// InvokeModelWithResponseStream: each is authorized as the same IAM action,
// and Converse needs no model-specific request body.
func runProbe(ctx context.Context, cfg aws.Config, a checkArgs, assumeOpts []func(*stscreds.AssumeRoleOptions)) *probeResult {
	var opts []func(*client.Options)
	if a.roleARN != "" {
		opts = append(opts, client.WithRole(a.roleARN, assumeOpts...))
	}
	opts = append(opts, client.WithDiagnosis(func(o *diagnose.Options) { o.Budget = a.budget }))
	br := client.NewFromConfig(cfg, opts...)
	ctx, cancel := context.WithTimeout(ctx, a.budget+30*time.Second)
	defer cancel()

	msgs := []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Reply with one word."}}}}
	one := &types.InferenceConfiguration{MaxTokens: aws.Int32(1)}
	var (
		op         string
		err        error
		streamNote string
	)
	switch a.operation {
	case "InvokeModelWithResponseStream", "ConverseStream":
		op = "ConverseStream"
		var out *bedrockruntime.ConverseStreamOutput
		out, err = br.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{ModelId: aws.String(a.model), Messages: msgs, InferenceConfig: one})
		if err == nil {
			// AWS answers access with the initial response, which the call
			// above got; an error in the middle of the stream is not an
			// access decision, so it is noted, not judged.
			s := out.GetStream()
			for range s.Events() {
			}
			s.Close()
			if serr := s.Err(); serr != nil {
				streamNote = " (the stream then ended with: " + serr.Error() + ")"
			}
		}
	case "CountTokens":
		op = "CountTokens"
		_, err = br.CountTokens(ctx, &bedrockruntime.CountTokensInput{ModelId: aws.String(a.model), Input: &types.CountTokensInputMemberConverse{Value: types.ConverseTokensRequest{Messages: msgs}}})
	default:
		op = "Converse"
		_, err = br.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(a.model), Messages: msgs, InferenceConfig: one})
	}
	p := &probeResult{check: diagnose.Check{Name: "probe.call", Layer: diagnose.LayerNone}}
	var derr *diagnose.Error
	switch {
	case err == nil:
		p.check.Status = diagnose.StatusPass
		p.check.Detail = op + " through the library's client succeeded: the path works end to end" + streamNote
		p.code = exitOK
	case errors.As(err, &derr):
		p.report = derr.Report
		p.check.Layer = derr.Layer()
		p.check.Status = diagnose.StatusFail
		p.check.Detail = op + " failed: " + err.Error()
		p.code = exitFor(derr.Report)
	default:
		p.check.Layer = diagnose.LayerUnknown
		p.check.Status = diagnose.StatusUnknown
		p.check.Detail = op + " failed with an error that is not an access denial: " + err.Error()
		p.code = exitUndecided
	}
	return p
}
