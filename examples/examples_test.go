package examples_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExamplesLocal builds each example and runs it with -local: it must
// exit 0 and print the layer its offline world is built to show.
func TestExamplesLocal(t *testing.T) {
	tests := []struct {
		dir  string
		want []string
	}{
		{"dropin", []string{"layer: role-permissions", "; diagnosis: role-permissions: ", "fix: "}},
		{"crossaccount", []string{`"layer":"org-policy"`, `"msg":"bedrock denied the call"`, `"aws_message":"User: arn:aws:sts::222222222222:assumed-role/BedrockInvoker/crossaccount-example `}},
		{"explain", []string{"layer: org-policy", "summary: a service control policy"}},
	}
	bin := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			exe := filepath.Join(bin, tt.dir)
			build := exec.Command("go", "build", "-o", exe, "./"+tt.dir)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("go build ./%s: %v\n%s", tt.dir, err, out)
			}
			home := t.TempDir()
			cmd := exec.Command(exe, "-local")
			// Nothing from the real environment: no AWS configuration,
			// credentials or Bedrock API key can reach the example.
			cmd.Env = []string{
				"HOME=" + home,
				"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
				"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
				"AWS_EC2_METADATA_DISABLED=true",
			}
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			timer := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
			err := cmd.Wait()
			timer.Stop()
			if err != nil {
				t.Fatalf("%s -local: %v\nstdout:\n%s\nstderr:\n%s", tt.dir, err, out.String(), errb.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("%s -local: output lacks %q:\n%s", tt.dir, w, out.String())
				}
			}
		})
	}
}
