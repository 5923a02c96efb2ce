package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

func TestClassifyReach(t *testing.T) {
	// responseErr is an HTTP answer with status and an API error code, the
	// way the SDK wraps one.
	responseErr := func(status int, code string) error {
		return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      &smithy.GenericAPIError{Code: code, Message: "m"},
		}}
	}
	tests := []struct {
		name string
		err  error
		want reachOutcome
	}{
		{"success", nil, reachAnswered},
		{"denied", responseErr(403, "AccessDenied"), reachAnswered},
		{"not found", responseErr(404, "NoSuchEntity"), reachAnswered},
		{"connection refused", &smithyhttp.RequestSendError{Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}, reachUnreachable},
		{"dns failure", &smithyhttp.RequestSendError{Err: &net.DNSError{Err: "no such host", Name: "sts.example.invalid", IsNotFound: true}}, reachUnreachable},
		{"dns failure, unwrapped", fmt.Errorf("resolve: %w", &net.DNSError{Err: "server misbehaving", Name: "sts.amazonaws.com"}), reachUnreachable},
		{"5xx", responseErr(500, "InternalFailure"), reachFault},
		{"503", responseErr(503, "ServiceUnavailableException"), reachFault},
		{"429", responseErr(429, "ThrottlingException"), reachFault},
		{"STS throttling is a 400", responseErr(400, "Throttling"), reachFault},
		{"malformed body", &smithy.DeserializationError{Err: errors.New("unexpected EOF")}, reachFault},
		{"budget ran out", fmt.Errorf("operation error STS: AssumeRole: %w", context.DeadlineExceeded), reachFault},
		{"no credentials to sign with", errors.New("failed to retrieve credentials"), reachLocal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classifyReach(tt.err); got != tt.want {
				t.Errorf("classifyReach(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestValidateRegion(t *testing.T) {
	tests := []struct {
		region string
		want   string // "" valid, else in the error
	}{
		{"us-east-1", ""},
		{"eu-central-2", ""},
		{"us-gov-west-1", ""},
		{"cn-north-1", ""},
		{"ap-southeast-7", ""},
		{"il-central-1", ""},
		{"eusc-de-east-1", ""},
		{"us-isob-east-1", ""},
		{"us-east-1a", "availability zone"},
		{"US-EAST-1", "lower case"},
		{"useast1", "not a region name"},
		{"us-east", "not a region name"},
		{"us-east-1 ", "not a region name"},
		{"local", "not a region name"},
		{"", "not a region name"},
	}
	for _, tt := range tests {
		t.Run(tt.region, func(t *testing.T) {
			err := validateRegion(tt.region)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("validateRegion(%q) = %v, want valid", tt.region, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("validateRegion(%q) = %v, want an error with %q", tt.region, err, tt.want)
			}
		})
	}
}

func TestCheckRegionErrors(t *testing.T) {
	keys := []string{"AWS_ACCESS_KEY_ID=AKIAEXAMPLEEXAMPLE00", "AWS_SECRET_ACCESS_KEY=x"}
	tests := []struct {
		name string
		env  []string
		args []string
		want string // in stderr
	}{
		{"availability zone", nil, []string{"--region", "us-east-1a"}, `--region "us-east-1a": an availability zone, not a region: did you mean us-east-1?`},
		{"no hyphens", nil, []string{"--region", "useast1"}, `--region "useast1": not a region name`},
		{"from the environment", []string{"AWS_REGION=useast1"}, nil, `region "useast1" (from AWS_REGION`},
		{"none at all", nil, nil, "no region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"check", "--role-arn", demoRole, "--model", haiku}, tt.args...)
			r := runCLI(t, append(append([]string(nil), keys...), tt.env...), "", args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, exitUsage, tt.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty on a usage error:\n%s", r.stdout)
			}
		})
	}
}

// TestCheckCannotReachAWS: when no diagnostic call gets an answer from AWS
// (the network is down, the endpoint refuses, every call is throttled or
// fails on AWS's side), check never exits 1 and never names a layer: 2 for
// the network, 3 when AWS answered only with faults, the report's layer
// unknown with the check aws.reach saying why.
func TestCheckCannotReachAWS(t *testing.T) {
	everyCall := func(f func(svc string) awsfake.Fault) func(*awsfake.Server) {
		return func(srv *awsfake.Server) {
			for _, svc := range []string{"sts", "iam", "bedrock", "bedrock-runtime"} {
				srv.InjectFault(svc, "*", f(svc))
			}
		}
	}
	tests := []struct {
		name     string
		endpoint string                // an endpoint URL that is not the fake's
		faults   func(*awsfake.Server) // with the fake
		code     int
	}{
		{"closed port", "http://" + closedPort(t), nil, exitUsage},
		// .invalid never resolves (RFC 2606); 3 where a resolver that
		// does not answer lets the budget run out first.
		{"DNS failure", "http://bedrock-doctor-test.invalid", nil, exitUsage},
		{"dropped connections", "", everyCall(func(string) awsfake.Fault { return awsfake.Fault{Drop: true} }), exitUsage},
		{"500 on every call", "", everyCall(func(svc string) awsfake.Fault {
			if svc == "sts" || svc == "iam" {
				return awsfake.Fault{Status: 500, Code: "ServiceFailure", Message: "internal error"}
			}
			return awsfake.Fault{Status: 500, Code: "InternalServerException", Message: "internal error"}
		}), exitUndecided},
		{"429 on every call", "", everyCall(func(svc string) awsfake.Fault {
			if svc == "sts" || svc == "iam" {
				return awsfake.Fault{Status: 429, Code: "Throttling", Message: "Rate exceeded"}
			}
			return awsfake.Fault{Status: 429, Code: "ThrottlingException", Message: "Too many requests, please wait before trying again."}
		}), exitUndecided},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc := world(t, "healthy")
			var env []string
			if tt.endpoint != "" {
				env = endpointEnv(tt.endpoint, appKeys(t, sc))
			} else {
				var srv *awsfake.Server
				srv, env = fakeServer(t, sc, appKeys(t, sc))
				tt.faults(srv)
			}
			args := []string{"check", "--budget", "3s", "--role-arn", demoRole, "--model", haiku}
			r := runCLI(t, env, "", append(args, "--json")...)
			rep := reportOf(t, r)
			code := tt.code
			if tt.name == "DNS failure" && r.code == exitUndecided {
				code = exitUndecided
			}
			if r.code != code {
				t.Errorf("exit code = %d, want %d; stderr: %s", r.code, code, r.stderr)
			}
			if rep.Layer != diagnose.LayerUnknown || len(rep.Candidates) > 0 || rep.FixPolicy != "" {
				t.Errorf("layer %q, candidates %v, fix policy %q; want unknown and no claim", rep.Layer, rep.Candidates, rep.FixPolicy)
			}
			if c := findCheck(rep, "aws.reach"); c == nil || c.Status != diagnose.StatusUnknown || !strings.Contains(c.Detail, "no AWS call got an answer") {
				t.Errorf("aws.reach = %+v, want unknown with the reason", c)
			}
			if !strings.Contains(r.stderr, "nothing is known about access") {
				t.Errorf("stderr does not say AWS could not be asked: %q", r.stderr)
			}
			// The text output, with --probe (which cannot reach AWS either):
			// no denied layer, no fix, the same exit code.
			r = runCLI(t, env, "", append(args, "--probe")...)
			if r.code != code {
				t.Errorf("text with --probe: exit code = %d, want %d", r.code, code)
			}
			if !strings.Contains(r.stdout, "verdict: unknown") || strings.Contains(r.stdout, "fix policy") || strings.Contains(r.stdout, "hint:") {
				t.Errorf("text output claims more than it knows:\n%s", r.stdout)
			}
		})
	}
}

// closedPort returns a loopback address nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestCheckProbeContradictsChecks: the probe is AWS's own answer. When the
// real call succeeds while a read-only check fails (here
// GetFoundationModelAvailability says NOT_AUTHORIZED), the verdict is none:
// exit 0, or 3 when some check could not run; the failing check stays in
// the report and is printed as a warning.
func TestCheckProbeContradictsChecks(t *testing.T) {
	notAuthorized := `{"modelId":"` + haiku + `","agreementAvailability":{"status":"AVAILABLE"},"authorizationStatus":"NOT_AUTHORIZED","entitlementAvailability":"AVAILABLE","regionAvailability":"AVAILABLE"}`
	tests := []struct {
		name   string
		script func(*awsfake.Server)
		code   int
	}{
		{"every check ran", func(srv *awsfake.Server) {
			srv.Script("bedrock", "GetFoundationModelAvailability", awsfake.Respond{Body: notAuthorized})
		}, exitOK},
		{"a check could not run", func(srv *awsfake.Server) {
			srv.Script("bedrock", "GetFoundationModelAvailability", awsfake.Respond{Body: notAuthorized})
			srv.InjectFault("iam", "SimulatePrincipalPolicy", awsfake.Fault{Status: 500, Code: "ServiceFailure", Message: "internal error"})
		}, exitUndecided},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc := world(t, "healthy")
			srv, env := fakeServer(t, sc, appKeys(t, sc))
			tt.script(srv)
			args := []string{"check", "--role-arn", demoRole, "--model", haiku}

			// Without the probe, the read-only check decides.
			r := runCLI(t, env, "", append(args, "--json")...)
			if rep := reportOf(t, r); rep.Layer != diagnose.LayerModelAccess || r.code != exitDenied {
				t.Fatalf("without --probe: layer %q, exit %d; want model-access, 1 (the scripted check must fail)", rep.Layer, r.code)
			}

			r = runCLI(t, env, "", append(args, "--json", "--probe")...)
			rep := reportOf(t, r)
			if r.code != tt.code || rep.Layer != diagnose.LayerNone {
				t.Errorf("with --probe: layer %q, exit %d; want none, %d; stderr: %s", rep.Layer, r.code, tt.code, r.stderr)
			}
			if c := findCheck(rep, "probe.call"); c == nil || c.Status != diagnose.StatusPass {
				t.Errorf("probe.call = %+v, want pass", c)
			}
			if c := findCheck(rep, "model-access.availability"); c == nil || c.Status != diagnose.StatusFail {
				t.Errorf("model-access.availability = %+v, want kept, failing", c)
			}
			if !strings.Contains(rep.Summary, "probe call succeeded") || !strings.Contains(rep.Summary, "model-access.availability") {
				t.Errorf("summary %q does not say the probe succeeded despite the check", rep.Summary)
			}
			if len(rep.Candidates) > 0 || rep.Fix != "" || rep.FixPolicy != "" {
				t.Errorf("a none report with candidates %v, fix %q, fix policy %q", rep.Candidates, rep.Fix, rep.FixPolicy)
			}

			r = runCLI(t, env, "", append(args, "--probe")...)
			if r.code != tt.code {
				t.Errorf("text: exit code = %d, want %d", r.code, tt.code)
			}
			for _, want := range []string{"verdict: none: the probe call succeeded", "warning: model-access.availability [model-access] failed", "probe: Converse through the library's client succeeded"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("text output lacks %q:\n%s", want, r.stdout)
				}
			}
			if strings.Contains(r.stdout, "evidence:") || strings.Contains(r.stdout, "fix:") {
				t.Errorf("text output still argues for a denial:\n%s", r.stdout)
			}
		})
	}
}
