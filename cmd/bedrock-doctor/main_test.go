package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// binary is the bedrock-doctor built once for the package's tests, on
// first use (fuzz workers never build it).
var (
	binary    string
	buildOnce sync.Once
	buildErr  error
	binDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// built returns the binary's path, building it with go build on first use.
func built(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "bedrock-doctor-test")
		if buildErr != nil {
			return
		}
		binary = filepath.Join(binDir, "bedrock-doctor")
		if runtime.GOOS == "windows" {
			binary += ".exe"
		}
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// result is one run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

// runCLI runs the binary with exactly env (nothing inherited but PATH), so
// no real AWS configuration or credentials can leak into a test.
func runCLI(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(built(t), args...)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
	}, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("bedrock-doctor %v: timed out", args)
	}
	r := result{stdout: out.String(), stderr: errb.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run: %v", err)
	}
	return r
}

// reportOf decodes a --json report, failing the test on anything else on
// stdout.
func reportOf(t *testing.T, r result) diagnose.Report {
	t.Helper()
	var rep diagnose.Report
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("stdout is not one JSON report: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	if dec.More() {
		t.Fatalf("stdout has more than the JSON report:\n%s", r.stdout)
	}
	if rep.SchemaVersion != 1 {
		t.Errorf("schema_version = %d, want 1", rep.SchemaVersion)
	}
	return rep
}

// Real error texts, each from where it was seen.
const (
	// Go SDK v2, role assumption nested in a Bedrock call's credential
	// retrieval (AWS.md §2.3; https://github.com/aws-cloudformation/rain/issues/205).
	textAssumeNested = "operation error Bedrock Runtime: Converse, get identity: get credentials: failed to refresh cached credentials, operation error STS: AssumeRole, https response error StatusCode: 403, RequestID: 4d2c7d5e-0000-4000-8000-000000000001, api error AccessDenied: User: arn:aws:iam::111111111111:user/app is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/BedrockInvoker"
	// Cross-Region inference denied in a destination region by the role's
	// identity policy (AWS.md §6.6 observed form).
	textDestRegion = "operation error Bedrock Runtime: Converse, https response error StatusCode: 403, RequestID: 4d2c7d5e-0000-4000-8000-000000000002, AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/BedrockInvoker/app is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0 because no identity-based policy allows the bedrock:InvokeModel action"
	// SCP explicit deny (AWS.md §3.8, §8: sample-badgers #33).
	textSCP = "User: arn:aws:sts::222222222222:assumed-role/BedrockInvoker/app is not authorized to perform: bedrock:InvokeModelWithResponseStream on resource: arn:aws:bedrock:::foundation-model/anthropic.claude-opus-4-6-v1 with an explicit deny in a service control policy: arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd"
	// boto3, model that needs an inference profile (AWS.md §6.6).
	textOnDemand = "An error occurred (ValidationException) when calling the Converse operation: Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model."
	// Bedrock Marketplace subscription failure (AWS.md §6.7).
	textMarketplace = "AccessDeniedException: Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to enable access to this model. Refer to the Amazon Bedrock documentation for further details. Your AWS Marketplace subscription for this model cannot be completed at this time. If you recently fixed this issue, try again after 5 minutes."
	// STS unknown access key (AWS.md §2.3, aws-azure-login #251).
	textInvalidToken = "operation error STS: GetCallerIdentity, https response error StatusCode: 403, RequestID: 4d2c7d5e-0000-4000-8000-000000000003, api error InvalidClientTokenId: The security token included in the request is invalid."
	// AWS returns this both for a typo and for a model not offered in the
	// region, so the text alone cannot decide (AWS.md §6.5).
	textInvalidID = "operation error Bedrock Runtime: InvokeModel, https response error StatusCode: 400, RequestID: 4d2c7d5e-0000-4000-8000-000000000004, ValidationException: The provided model identifier is invalid."
	// Not an access problem at all.
	textThrottled = "operation error Bedrock Runtime: Converse, exceeded maximum number of attempts, 3, https response error StatusCode: 429, RequestID: 4d2c7d5e-0000-4000-8000-000000000005, ThrottlingException: Too many requests, please wait before trying again."
)

func TestExplain(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		layer diagnose.Layer
		code  int
	}{
		{"assume-role nested", textAssumeNested, diagnose.LayerAssumeRole, exitDenied},
		{"destination region", textDestRegion, diagnose.LayerRolePermissions, exitDenied},
		{"scp", textSCP, diagnose.LayerOrgPolicy, exitDenied},
		{"on-demand", textOnDemand, diagnose.LayerModelID, exitDenied},
		{"marketplace", textMarketplace, diagnose.LayerModelAccess, exitDenied},
		{"invalid token", textInvalidToken, diagnose.LayerCredentials, exitDenied},
		{"invalid model id", textInvalidID, diagnose.LayerUnknown, exitUndecided},
		{"throttled", textThrottled, diagnose.LayerUnknown, exitOK}, // not an access error: nothing undecided
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Argument form.
			r := runCLI(t, nil, "", "explain", "--json", tt.text)
			if r.code != tt.code {
				t.Errorf("exit code = %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			if got := reportOf(t, r).Layer; got != tt.layer {
				t.Errorf("layer = %q, want %q", got, tt.layer)
			}
			// Stdin form, flag after the argument, text output.
			r = runCLI(t, nil, tt.text+"\n", "explain", "-")
			if r.code != tt.code {
				t.Errorf("stdin: exit code = %d, want %d", r.code, tt.code)
			}
			if want := "verdict: " + string(tt.layer); !strings.Contains(r.stdout, want) {
				t.Errorf("stdin: output lacks %q:\n%s", want, r.stdout)
			}
		})
	}
}

func TestExplainSanitizesTerminalOutput(t *testing.T) {
	// A remote party controls the message text: escape sequences must not
	// reach the terminal, and no colour is used when stdout is not one.
	text := "AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/R/s\x1b]0;pwned\x07 is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/x\x1b[2J because no identity-based policy allows the bedrock:InvokeModel action"
	r := runCLI(t, nil, "", "explain", text)
	if strings.ContainsAny(r.stdout, "\x1b\x07\r") {
		t.Errorf("output contains control characters: %q", r.stdout)
	}
	if r.code != exitDenied {
		t.Errorf("exit code = %d, want %d", r.code, exitDenied)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no command", nil, "Usage:"},
		{"unknown command", []string{"diagnose"}, `unknown command "diagnose"`},
		{"unknown flag", []string{"check", "--role", "x"}, "flag provided but not defined: -role"},
		{"missing model", []string{"check", "--role-arn", "arn:aws:iam::222222222222:role/R"}, "--model is required"},
		{"not an arn", []string{"check", "--role-arn", "BedrockInvoker", "--model", haiku}, "not an ARN"},
		{"user arn", []string{"check", "--role-arn", "arn:aws:iam::222222222222:user/app", "--model", haiku}, "not an IAM role ARN"},
		{"short account", []string{"check", "--role-arn", "arn:aws:iam::2222:role/R", "--model", haiku}, "is not 12 digits"},
		{"friendly model name", []string{"check", "--role-arn", "arn:aws:iam::222222222222:role/R", "--model", "Claude 3 Haiku"}, "--model"},
		{"bad operation", []string{"check", "--role-arn", "arn:aws:iam::222222222222:role/R", "--model", haiku, "--operation", "chat"}, "--operation"},
		{"bad session name", []string{"check", "--role-arn", "arn:aws:iam::222222222222:role/R", "--model", haiku, "--session-name", "has space"}, "--session-name"},
		{"bad budget", []string{"check", "--role-arn", "arn:aws:iam::222222222222:role/R", "--model", haiku, "--budget", "-1s"}, "--budget"},
		{"missing profile", []string{"check", "--profile", "no-such-profile", "--region", "us-east-1", "--model", haiku}, "load AWS configuration"},
		{"stray argument", []string{"check", "--model", haiku, "extra"}, "unexpected argument"},
		{"explain nothing", []string{"explain", "   "}, "no error text"},
		{"explain two texts", []string{"explain", "a", "b"}, "expected one TEXT"},
		{"unknown scenario", []string{"demo", "nope"}, `unknown scenario "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, nil, "", tt.args...)
			if r.code != exitUsage {
				t.Errorf("exit code = %d, want %d; stderr: %s", r.code, exitUsage, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty on a usage error:\n%s", r.stdout)
			}
		})
	}
}

func TestCheckWithoutRegionIsAnEnvironmentError(t *testing.T) {
	r := runCLI(t, []string{"AWS_ACCESS_KEY_ID=AKIAEXAMPLEEXAMPLE00", "AWS_SECRET_ACCESS_KEY=x"}, "",
		"check", "--role-arn", "arn:aws:iam::222222222222:role/R", "--model", haiku)
	if r.code != exitUsage || !strings.Contains(r.stderr, "no region") {
		t.Errorf("exit code = %d, stderr %q; want %d and a region message", r.code, r.stderr, exitUsage)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"check", "--help"}, {"explain", "-h"}, {"demo", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, nil, "", args...)
			if r.code != exitOK {
				t.Errorf("exit code = %d, want 0", r.code)
			}
			if !strings.Contains(r.stdout, "bedrock-doctor") || (len(args) > 1 && !strings.Contains(r.stdout, "Examples:")) {
				t.Errorf("help lacks usage or examples:\n%s", r.stdout)
			}
		})
	}
}
