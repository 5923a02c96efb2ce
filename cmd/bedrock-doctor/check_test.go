package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// The ids the scenarios use.
const (
	demoRole = "arn:aws:iam::222222222222:role/BedrockInvoker"
	haiku    = "anthropic.claude-3-haiku-20240307-v1:0"
	sonnet   = "anthropic.claude-sonnet-4-5-20250929-v1:0"
	usSonnet = "us." + sonnet
	nova     = "amazon.nova-lite-v1:0"
)

// world builds a world: an embedded demo scenario by name, or a plain
// awsfake scenario file under testdata/.
func world(t *testing.T, name string) *awsfake.Scenario {
	t.Helper()
	if strings.HasSuffix(name, ".json") {
		sc, err := awsfake.LoadScenario(os.DirFS("testdata"), name)
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	all, err := builtinScenarios()
	if err != nil {
		t.Fatal(err)
	}
	s, ok := findScenario(all, name)
	if !ok {
		t.Fatalf("no scenario %q", name)
	}
	sc, err := awsfake.ParseScenario(s.world)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// appKeys are the access keys of the app user of the scenarios.
func appKeys(t *testing.T, sc *awsfake.Scenario) awsfake.Credentials {
	t.Helper()
	c, ok := sc.Credentials("111111111111/app")
	if !ok {
		t.Fatal("no user 111111111111/app")
	}
	return c
}

// fakeEnv serves sc and returns the environment a real deployment would
// have: keys issued by the fake, every service endpoint overridden.
func fakeEnv(t *testing.T, sc *awsfake.Scenario, keys awsfake.Credentials) []string {
	t.Helper()
	_, env := fakeServer(t, sc, keys)
	return env
}

// fakeServer is fakeEnv that also returns the server, to script its
// answers and inject faults.
func fakeServer(t *testing.T, sc *awsfake.Scenario, keys awsfake.Credentials) (*awsfake.Server, []string) {
	t.Helper()
	srv := awsfake.NewServer(sc.World)
	t.Cleanup(srv.Close)
	return srv, endpointEnv(srv.URL, keys)
}

// endpointEnv points every service the CLI calls at url.
func endpointEnv(url string, keys awsfake.Credentials) []string {
	return []string{
		"AWS_ENDPOINT_URL_STS=" + url,
		"AWS_ENDPOINT_URL_IAM=" + url,
		"AWS_ENDPOINT_URL_BEDROCK=" + url,
		"AWS_ENDPOINT_URL_BEDROCK_RUNTIME=" + url,
		"AWS_ENDPOINT_URL_BEDROCK_AGENT=" + url,
		"AWS_ENDPOINT_URL_KMS=" + url,
		"AWS_ACCESS_KEY_ID=" + keys.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + keys.SecretAccessKey,
		"AWS_REGION=us-east-1",
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		world   string
		badKeys bool
		args    []string
		layer   diagnose.Layer
		code    int
	}{
		{"healthy", "healthy", false, []string{"--model", haiku}, diagnose.LayerNone, exitOK},
		{"healthy profile through us.", "healthy", false, []string{"--model", usSonnet, "--operation", "converse-stream"}, diagnose.LayerNone, exitOK},
		{"external id", "external-id.json", false, []string{"--model", haiku, "--external-id", "partner-42", "--session-name", "ci-check"}, diagnose.LayerNone, exitOK},
		{"source policy", "source-policy", false, []string{"--model", haiku}, diagnose.LayerSourcePolicy, exitDenied},
		{"role permissions", "role-permissions", false, []string{"--model", usSonnet, "--operation", "invoke"}, diagnose.LayerRolePermissions, exitDenied},
		{"model id", "healthy", false, []string{"--model", sonnet}, diagnose.LayerModelID, exitDenied},
		{"region", "healthy", false, []string{"--model", nova, "--region", "us-west-2"}, diagnose.LayerRegion, exitDenied},
		{"credentials", "healthy", true, []string{"--model", haiku}, diagnose.LayerCredentials, exitDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc := world(t, tt.world)
			keys := awsfake.Credentials{AccessKeyID: "AKIA" + "TESTNOTISSUED000", SecretAccessKey: "not-issued"}
			if !tt.badKeys {
				keys = appKeys(t, sc)
			}
			env := fakeEnv(t, sc, keys)
			args := append([]string{"check", "--json", "--role-arn", demoRole}, tt.args...)
			r := runCLI(t, env, "", args...)
			rep := reportOf(t, r)
			if rep.Layer != tt.layer {
				t.Errorf("layer = %q, want %q\n%s", rep.Layer, tt.layer, r.stdout)
			}
			if r.code != tt.code {
				t.Errorf("exit code = %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
		})
	}
}

func TestCheckText(t *testing.T) {
	sc := world(t, "role-permissions")
	r := runCLI(t, fakeEnv(t, sc, appKeys(t, sc)), "", "check", "--role-arn", demoRole, "--model", usSonnet)
	if r.code != exitDenied {
		t.Errorf("exit code = %d, want %d", r.code, exitDenied)
	}
	// The runbook first, then the verdict, the evidence and the fix.
	order := []string{"checks:", "✗ role-permissions.simulate", "verdict: role-permissions", "evidence: role-permissions.simulate", "fix: "}
	at := 0
	for _, want := range order {
		i := strings.Index(r.stdout[at:], want)
		if i < 0 {
			t.Fatalf("output lacks %q after offset %d:\n%s", want, at, r.stdout)
		}
		at += i
	}
}

func TestCheckProbe(t *testing.T) {
	t.Run("healthy", func(t *testing.T) {
		sc := world(t, "healthy")
		r := runCLI(t, fakeEnv(t, sc, appKeys(t, sc)), "", "check", "--json", "--probe", "--role-arn", demoRole, "--model", haiku)
		rep := reportOf(t, r)
		if r.code != exitOK || rep.Layer != diagnose.LayerNone {
			t.Errorf("exit code %d, layer %q; want 0, none", r.code, rep.Layer)
		}
		probe := findCheck(rep, "probe.call")
		if probe == nil || probe.Status != diagnose.StatusPass {
			t.Errorf("probe check = %+v, want pass", probe)
		}
	})
	for _, op := range []string{"invoke", "stream", "converse-stream", "count-tokens"} {
		t.Run(op, func(t *testing.T) {
			sc := world(t, "healthy")
			r := runCLI(t, fakeEnv(t, sc, appKeys(t, sc)), "", "check", "--json", "--probe", "--operation", op, "--role-arn", demoRole, "--model", haiku)
			rep := reportOf(t, r)
			if probe := findCheck(rep, "probe.call"); r.code != exitOK || probe == nil || probe.Status != diagnose.StatusPass {
				t.Errorf("exit %d, probe %+v; want 0 and a passing probe", r.code, probe)
			}
		})
	}
	t.Run("marketplace", func(t *testing.T) {
		// Run cannot see a failed Marketplace subscription on a model
		// that GetFoundationModelAvailability calls available: only the
		// real call shows it, and its diagnosis decides the exit code.
		sc := world(t, "model-access")
		r := runCLI(t, fakeEnv(t, sc, appKeys(t, sc)), "", "check", "--json", "--probe", "--role-arn", demoRole, "--model", haiku)
		rep := reportOf(t, r)
		probe := findCheck(rep, "probe.call")
		if probe == nil || probe.Status != diagnose.StatusFail || probe.Layer != diagnose.LayerModelAccess {
			t.Errorf("probe check = %+v, want fail, model-access", probe)
		}
		// The report is the real call's diagnosis.
		if rep.Layer != diagnose.LayerModelAccess || findCheck(rep, "message.parse") == nil {
			t.Errorf("report layer %q (message.parse %v), want the denied call's model-access", rep.Layer, findCheck(rep, "message.parse") != nil)
		}
		if r.code != exitDenied {
			t.Errorf("exit code = %d, want %d", r.code, exitDenied)
		}
	})
}

func findCheck(r diagnose.Report, name string) *diagnose.Check {
	for i := range r.Checks {
		if r.Checks[i].Name == name {
			return &r.Checks[i]
		}
	}
	return nil
}

func TestRunBounded(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	start := time.Now()
	_, err := runBounded(context.Background(), 10*time.Millisecond, 10*time.Millisecond, func(context.Context) (*diagnose.Report, error) {
		<-block
		return nil, nil
	})
	if !errors.Is(err, errStuck) {
		t.Errorf("err = %v, want errStuck", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %v", d)
	}
	want := &diagnose.Report{Layer: diagnose.LayerNone}
	got, err := runBounded(context.Background(), time.Second, time.Second, func(context.Context) (*diagnose.Report, error) { return want, nil })
	if got != want || err != nil {
		t.Errorf("runBounded = %v, %v; want the report", got, err)
	}
}

func TestCheckDiagnosticProfile(t *testing.T) {
	// The app cannot read the role's trust policy in the other account;
	// with a read-only profile there the check names the layer instead of
	// assume-role.
	sc := world(t, "trust-policy")
	auditor, ok := sc.Credentials("222222222222/bedrockdoctor-auditor")
	if !ok {
		t.Fatal("no auditor user")
	}
	creds := filepath.Join(t.TempDir(), "credentials")
	ini := "[auditor]\naws_access_key_id = " + auditor.AccessKeyID + "\naws_secret_access_key = " + auditor.SecretAccessKey + "\n"
	if err := os.WriteFile(creds, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(fakeEnv(t, sc, appKeys(t, sc)), "AWS_SHARED_CREDENTIALS_FILE="+creds)

	r := runCLI(t, env, "", "check", "--json", "--role-arn", demoRole, "--model", haiku)
	if rep := reportOf(t, r); rep.Layer != diagnose.LayerAssumeRole || r.code != exitDenied {
		t.Errorf("without the auditor: layer %q, exit %d; want assume-role, 1", rep.Layer, r.code)
	}
	r = runCLI(t, env, "", "check", "--json", "--diagnostic-profile", "auditor", "--role-arn", demoRole, "--model", haiku)
	rep := reportOf(t, r)
	if rep.Layer != diagnose.LayerTrustPolicy || r.code != exitDenied {
		t.Errorf("with the auditor: layer %q, exit %d; want trust-policy, 1", rep.Layer, r.code)
	}
	if c := findCheck(rep, "trust-policy.evaluate"); c == nil || c.Status != diagnose.StatusFail {
		t.Errorf("trust-policy.evaluate = %+v, want fail", c)
	}
	r = runCLI(t, env, "", "check", "--role-arn", demoRole, "--model", haiku)
	if !strings.Contains(r.stdout, "hint: pass --diagnostic-profile") {
		t.Errorf("no hint to pass --diagnostic-profile:\n%s", r.stdout)
	}
	r = runCLI(t, env, "", "check", "--diagnostic-profile", "nobody", "--role-arn", demoRole, "--model", haiku)
	if r.code != exitUsage {
		t.Errorf("unknown diagnostic profile: exit %d, want %d", r.code, exitUsage)
	}
}

func TestCheckGenericEndpointVariable(t *testing.T) {
	// AWS_ENDPOINT_URL alone points every service at the fake.
	sc := world(t, "model-access")
	srv := awsfake.NewServer(sc.World)
	t.Cleanup(srv.Close)
	keys := appKeys(t, sc)
	env := []string{
		"AWS_ENDPOINT_URL=" + srv.URL,
		"AWS_ACCESS_KEY_ID=" + keys.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + keys.SecretAccessKey,
		"AWS_REGION=us-east-1",
	}
	r := runCLI(t, env, "", "check", "--json", "--role-arn", demoRole, "--model", haiku)
	if rep := reportOf(t, r); rep.Layer != diagnose.LayerModelAccess || r.code != exitDenied {
		t.Errorf("layer %q, exit %d; want model-access, 1", rep.Layer, r.code)
	}
}
