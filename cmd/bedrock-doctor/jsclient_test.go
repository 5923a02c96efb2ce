package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// jsClientDir holds the JavaScript client and its lockfile; .ci/jsclient.sh
// installs its node_modules with npm ci.
const jsClientDir = "testdata/jsclient"

// TestJSClient: a client that is not ours — the stock AWS SDK for
// JavaScript v3, configured only by serve's export lines — assumes the
// role and makes one Bedrock call the world allows and one it denies. Its
// Bedrock Runtime client speaks HTTP/2 without TLS (h2c) and signs
// ":authority"; the world must answer both calls as AWS would.
//
// Without node or the installed modules the test skips; CI sets
// BEDROCKDOCTOR_JSCLIENT=1 (after .ci/jsclient.sh), and then it fails
// instead.
func TestJSClient(t *testing.T) {
	required := os.Getenv("BEDROCKDOCTOR_JSCLIENT") != ""
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(jsClientDir, "node_modules", "@aws-sdk", "client-bedrock-runtime"))
	}
	if err != nil {
		if required {
			t.Fatalf("BEDROCKDOCTOR_JSCLIENT is set but the JavaScript client cannot run: %v (install node >= 20 and run .ci/jsclient.sh)", err)
		}
		t.Skipf("the JavaScript client cannot run here (%v): install node >= 20 and run .ci/jsclient.sh to run this test", err)
	}

	s := startServe(t, "role-permissions", "--log")
	const (
		allowed = "anthropic.claude-3-haiku-20240307-v1:0"       // on demand in us-east-1, which the role allows
		denied  = "us.anthropic.claude-sonnet-4-5-20250929-v1:0" // routed to us-east-2, which it does not
	)
	cmd := exec.Command(node, "client.mjs", demoRole, allowed, denied)
	cmd.Dir = jsClientDir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"AWS_CONFIG_FILE=" + filepath.Join(t.TempDir(), "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(t.TempDir(), "credentials"),
		"AWS_EC2_METADATA_DISABLED=true"}, s.env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() })
	err = cmd.Wait()
	timer.Stop()
	if err != nil {
		t.Fatalf("node client.mjs: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}

	type step struct {
		Step, Arn, ModelID, StopReason, Name, Message string
		OK                                            bool
		Status                                        int
	}
	var steps []step
	dec := json.NewDecoder(&out)
	for dec.More() {
		var st step
		if err := dec.Decode(&st); err != nil {
			t.Fatalf("client output: %v", err)
		}
		steps = append(steps, st)
	}
	if len(steps) != 4 {
		t.Fatalf("%d steps, want 4: %+v\nstderr: %s", len(steps), steps, errb.String())
	}
	if steps[0].Arn != "arn:aws:iam::111111111111:user/app" || steps[1].Step != "assumed" {
		t.Errorf("caller and role: %+v %+v", steps[0], steps[1])
	}
	if st := steps[2]; !st.OK || st.StopReason != "end_turn" {
		t.Errorf("the allowed call: %+v", st)
	}
	wantMsg := "User: arn:aws:sts::222222222222:assumed-role/BedrockInvoker/jsclient is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0 because no identity-based policy allows the bedrock:InvokeModel action"
	if st := steps[3]; st.OK || st.Name != "AccessDeniedException" || st.Status != 403 || st.Message != wantMsg {
		t.Errorf("the denied call: %+v", st)
	}

	// serve --log: STS over HTTP/1.1, both Bedrock Runtime calls over
	// HTTP/2, each authenticated (a signature mismatch would be a 403
	// InvalidSignatureException, not these answers).
	s.stop(t, os.Interrupt)
	var runtime []string
	for _, line := range strings.Split(s.stderr.String(), "\n") {
		if strings.Contains(line, " bedrock-runtime Converse ") {
			runtime = append(runtime, line)
		}
	}
	if len(runtime) != 2 || !strings.Contains(runtime[0], " 200 allow HTTP/2.0 ") ||
		!strings.Contains(runtime[1], " 403 deny HTTP/2.0 ") || !strings.Contains(runtime[1], "denied by: role-permissions") {
		t.Errorf("serve's log of the Bedrock Runtime calls:\n%s", strings.Join(runtime, "\n"))
	}
}
