package main

import (
	"bytes"
	"context"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionLine(t *testing.T) {
	tests := []struct {
		name string
		info *debug.BuildInfo
		want []string
	}{
		{"no build info", nil, []string{"bedrock-doctor (no build information) go"}},
		{"release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/bedrockdoctor/bedrockdoctor", Version: "v0.3.0"}},
			[]string{"bedrock-doctor v0.3.0 (github.com/bedrockdoctor/bedrockdoctor) go1.26.8 "}},
		{"checkout", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/bedrockdoctor/bedrockdoctor", Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "898dd50c0ffee0123456789abcdef0123456789a"}, {Key: "vcs.time", Value: "2026-12-05T14:00:00Z"}, {Key: "vcs.modified", Value: "true"}}},
			[]string{"bedrock-doctor (devel) (github.com/bedrockdoctor/bedrockdoctor, revision 898dd50c0ffe, 2026-12-05T14:00:00Z, modified) go1.26.8 "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := versionLine(tt.info)
			for _, w := range tt.want {
				if !strings.HasPrefix(got, w) {
					t.Errorf("versionLine = %q, want it to start with %q", got, w)
				}
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var out, errb bytes.Buffer
		e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
		if code := run(context.Background(), e, args); code != exitOK {
			t.Errorf("%v: exit %d, want 0; stderr %s", args, code, errb.String())
		}
		if !strings.HasPrefix(out.String(), "bedrock-doctor ") || strings.Count(out.String(), "\n") != 1 {
			t.Errorf("%v: stdout %q, want one line starting with bedrock-doctor", args, out.String())
		}
	}
	var out, errb bytes.Buffer
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	if code := run(context.Background(), e, []string{"version", "extra"}); code != exitUsage {
		t.Errorf("version extra: exit %d, want %d", code, exitUsage)
	}
}

func TestBudgetFlag(t *testing.T) {
	tests := []struct {
		in   string
		want string // the duration, or "" for an error
	}{
		{"5", "5s"}, {"2.5", "2.5s"}, {"10s", "10s"}, {"1m30s", "1m30s"}, {"500ms", "500ms"},
		{"five", ""}, {"5 s", ""}, {"NaN", ""}, {"1e300", ""}, {"", ""},
	}
	for _, tt := range tests {
		var f secondsFlag
		err := f.Set(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("Set(%q) = %s, want an error", tt.in, f.String())
		case tt.want == "" && !strings.Contains(err.Error(), "number of seconds"):
			t.Errorf("Set(%q) error %q does not say the expected form", tt.in, err)
		case tt.want != "" && (err != nil || f.String() != tt.want):
			t.Errorf("Set(%q) = %s, %v; want %s", tt.in, f.String(), err, tt.want)
		}
	}
	var errb bytes.Buffer
	e := env{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &errb}
	a, _, ok := parseCheck(e, []string{"--model", "anthropic.claude-3-haiku-20240307-v1:0", "--budget", "5"})
	if !ok || a.budget.String() != "5s" {
		t.Errorf("--budget 5: ok %v, budget %s; want 5s (stderr %s)", ok, a.budget, errb.String())
	}
	errb.Reset()
	if _, code, ok := parseCheck(e, []string{"--model", "anthropic.claude-3-haiku-20240307-v1:0", "--budget", "soon"}); ok || code != exitUsage || !strings.Contains(errb.String(), "10s or 1m30s") {
		t.Errorf("--budget soon: ok %v, exit %d, stderr %q; want a usage error naming the form", ok, code, errb.String())
	}
}
