package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// served is a running bedrock-doctor serve.
type served struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	// env is what its export lines set; check is its "check it" line, as
	// the arguments after bedrock-doctor, and checkEnv the variables that
	// line sets for the command alone.
	env, check, checkEnv []string
	lines                []string
}

// startServe runs the binary's serve with stdin at EOF from the start (it
// must not stop serve), reads its shell lines and returns once the check
// line is out. The test's cleanup kills it if the test did not stop it.
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	cmd := exec.Command(built(t), append([]string{"serve"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	cmd.Stdin = strings.NewReader("")
	s := &served{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = s.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(time.Minute)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("serve ended before its check line:\n%s\nstderr: %s", strings.Join(s.lines, "\n"), s.stderr)
			}
			s.lines = append(s.lines, line)
			switch {
			case strings.HasPrefix(line, "export "):
				s.env = append(s.env, strings.TrimPrefix(line, "export "))
			case strings.HasPrefix(line, "# check it: "):
				words := strings.Fields(strings.TrimPrefix(line, "# check it: "))
				for len(words) > 0 && strings.Contains(words[0], "=") {
					s.checkEnv, words = append(s.checkEnv, words[0]), words[1:]
				}
				if len(words) < 2 || words[0] != "bedrock-doctor" || words[1] != "check" {
					t.Fatalf("check line %q", line)
				}
				s.check = words[1:]
				go func() {
					for range lines {
					}
				}()
				return s
			}
		case <-timeout:
			t.Fatalf("no check line after a minute:\n%s", strings.Join(s.lines, "\n"))
		}
	}
}

// stop sends sig and returns serve's exit code.
func (s *served) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop on %v", sig)
		return -1
	}
}

// TestServeCheck: for several worlds, check run as serve's own lines say
// (its exports, its check line) names the layer the world is built to show,
// with the exit code that goes with it; serve outlives the end of its
// stdin and stops cleanly on SIGINT or SIGTERM.
func TestServeCheck(t *testing.T) {
	tests := []struct {
		world string
		layer diagnose.Layer
		code  int
	}{
		{"healthy", diagnose.LayerNone, exitOK},
		{"credentials", diagnose.LayerCredentials, exitDenied},
		{"source-policy", diagnose.LayerSourcePolicy, exitDenied},
		{"trust-policy", diagnose.LayerTrustPolicy, exitDenied}, // through the auditor's profile
		{"trust-external-id", diagnose.LayerTrustPolicy, exitDenied},
		{"role-permissions", diagnose.LayerRolePermissions, exitDenied},
		{"org-policy", diagnose.LayerOrgPolicy, exitDenied},
		{"model-id", diagnose.LayerModelID, exitDenied},
		{"../../internal/awsfake/testdata/scenarios/use-case-missing.json", diagnose.LayerModelAccess, exitDenied},
	}
	for i, tt := range tests {
		t.Run(filepath.Base(tt.world), func(t *testing.T) {
			t.Parallel()
			s := startServe(t, tt.world)
			env := append(append([]string{}, s.env...), s.checkEnv...)
			r := runCLI(t, env, "", append(s.check, "--json")...)
			rep := reportOf(t, r)
			if rep.Layer != tt.layer || r.code != tt.code {
				t.Errorf("check: layer %q exit %d, want %q %d\nserve printed:\n%s\ncheck stderr: %s", rep.Layer, r.code, tt.layer, tt.code, strings.Join(s.lines, "\n"), r.stderr)
			}
			sig := os.Signal(os.Interrupt)
			if i%2 == 1 {
				sig = syscall.SIGTERM
			}
			if code := s.stop(t, sig); code != exitOK || !strings.Contains(s.stderr.String(), "stopped") {
				t.Errorf("on %v serve exits %d; stderr: %s", sig, code, s.stderr)
			}
			for _, kv := range s.checkEnv {
				if f, ok := strings.CutPrefix(kv, "AWS_SHARED_CREDENTIALS_FILE="); ok {
					if _, err := os.Stat(f); !os.IsNotExist(err) {
						t.Errorf("%s outlives serve (%v)", f, err)
					}
				}
			}
		})
	}
}

// TestServeLines: the shell lines name every endpoint variable, the region,
// the app's keys as exports and the other principals' as comments, and
// nothing else is a command.
func TestServeLines(t *testing.T) {
	s := startServe(t, "trust-policy")
	defer s.stop(t, os.Interrupt)
	var names []string
	for _, kv := range s.env {
		names = append(names, kv[:strings.Index(kv, "=")])
	}
	if got, want := strings.Join(names, " "), "AWS_ENDPOINT_URL_STS AWS_ENDPOINT_URL_IAM AWS_ENDPOINT_URL_BEDROCK AWS_ENDPOINT_URL_BEDROCK_RUNTIME AWS_ENDPOINT_URL_BEDROCK_AGENT AWS_ENDPOINT_URL_KMS AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY"; got != want {
		t.Errorf("exports %s\nwant    %s", got, want)
	}
	text := strings.Join(s.lines, "\n")
	for _, want := range []string{"# the diagnostic auditor: user bedrockdoctor-auditor in account 222222222222", "#   export AWS_ACCESS_KEY_ID=AKIA", "unset AWS_PROFILE AWS_SESSION_TOKEN AWS_BEARER_TOKEN_BEDROCK", "--diagnostic-profile auditor"} {
		if !strings.Contains(text, want) {
			t.Errorf("serve's lines lack %q:\n%s", want, text)
		}
	}
	for _, line := range s.lines {
		if !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "export ") && !strings.HasPrefix(line, "unset ") {
			t.Errorf("not a shell line to paste: %q", line)
		}
	}
}

func TestServeUsage(t *testing.T) {
	for _, args := range [][]string{{"serve", "nosuchworld"}, {"serve", "a", "b"}, {"serve", "--nosuchflag"}, {"serve", "testdata/missing.json"}} {
		if r := runCLI(t, nil, "", args...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, r.code, exitUsage)
		}
	}
}
