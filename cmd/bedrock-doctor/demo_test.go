package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// demoExpect is what a correct diagnosis names for each built-in scenario,
// written here by hand from the scenario's story, not read from the code.
var demoExpect = map[string]diagnose.Layer{
	"healthy":           "none",
	"credentials":       "credentials",
	"source-policy":     "source-policy",
	"trust-policy":      "trust-policy",
	"trust-external-id": "trust-policy",
	"wrong-principal":   "wrong-principal",
	"role-permissions":  "role-permissions",
	"org-policy":        "org-policy",
	"endpoint-policy":   "endpoint-policy",
	"model-access":      "model-access",
	"region":            "region",
	"model-id":          "model-id",
	// The model kinds a team owns, and their KMS keys.
	"provisioned-throughput": "role-permissions",
	"custom-model":           "model-id",
	"copied-model-key":       "key-policy",
	"imported-model-key":     "key-policy",
	"other-account-model":    "model-id",
	// Routers, prompts, Marketplace endpoints and StartAsyncInvoke's output
	// (diagnose/routed.go): each misses one permission of the role.
	"prompt-router":        "role-permissions",
	"prompt":               "role-permissions",
	"marketplace-endpoint": "role-permissions",
	"async-invoke":         "role-permissions",
}

func TestDemoJSON(t *testing.T) {
	r := runCLI(t, nil, "", "demo", "--json")
	var results []demoResult
	if err := json.Unmarshal([]byte(r.stdout), &results); err != nil {
		t.Fatalf("stdout is not the JSON results: %v\n%s\nstderr: %s", err, r.stdout, r.stderr)
	}
	if len(results) != len(demoExpect) {
		t.Errorf("%d scenarios ran, want %d", len(results), len(demoExpect))
	}
	for _, res := range results {
		want, ok := demoExpect[res.Scenario]
		if !ok {
			t.Errorf("unexpected scenario %q", res.Scenario)
			continue
		}
		if res.Layer != want || res.Report == nil || res.Report.Layer != want {
			t.Errorf("%s: layer = %q, want %q", res.Scenario, res.Layer, want)
		}
		if res.Scenario == "healthy" {
			if res.Plain != "" || res.Error != "" {
				t.Errorf("healthy: errors %q / %q, want none", res.Plain, res.Error)
			}
			continue
		}
		if res.Plain == "" {
			t.Errorf("%s: the plain SDK call did not fail", res.Scenario)
		}
		// The library's error is the SDK's text plus the diagnosis.
		if !strings.Contains(res.Error, "; diagnosis: "+string(want)+":") {
			t.Errorf("%s: error %q lacks the diagnosis", res.Scenario, res.Error)
		}
		if strings.Contains(res.Plain, "diagnosis:") {
			t.Errorf("%s: the plain SDK error was diagnosed: %q", res.Scenario, res.Plain)
		}
	}
	if r.code != exitOK {
		t.Errorf("exit code = %d, want 0; stderr: %s", r.code, r.stderr)
	}
}

func TestDemoText(t *testing.T) {
	r := runCLI(t, nil, "", "demo")
	if r.code != exitOK {
		t.Errorf("exit code = %d, want 0", r.code)
	}
	out := r.stdout
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour escapes with stdout not a terminal")
	}
	for name, layer := range demoExpect {
		loc := regexp.MustCompile(`(?m)^━━ \d+/\d+ ` + regexp.QuoteMeta(name) + `: `).FindStringIndex(out)
		if loc == nil {
			t.Errorf("no heading for %s", name)
			continue
		}
		section := out[loc[0]:]
		if j := strings.Index(section[1:], "━━ "); j >= 0 {
			section = section[:j]
		}
		for _, want := range []string{"plain SDK error:", "with bedrockdoctor:", "report:", "diagnosis: " + string(layer), "expected layer " + string(layer) + ", diagnosed " + string(layer) + " ✓"} {
			if !strings.Contains(section, want) {
				t.Errorf("%s: section lacks %q:\n%s", name, want, section)
			}
		}
	}
	for name, layer := range demoExpect {
		line := regexp.MustCompile(`(?m)^  ✓ ` + regexp.QuoteMeta(name) + ` +expected ` + regexp.QuoteMeta(string(layer)) + ` +diagnosed ` + regexp.QuoteMeta(string(layer)) + `$`)
		if !line.MatchString(out) {
			t.Errorf("summary lacks the line for %s", name)
		}
	}
	if n := len(demoExpect); !strings.Contains(out, fmt.Sprintf("%d/%d scenarios diagnosed as expected", n, n)) {
		t.Errorf("no summary line:\n%s", out[max(0, len(out)-300):])
	}
}

func TestDemoTrustPolicy(t *testing.T) {
	r := runCLI(t, nil, "", "demo", "--json", "trust-policy")
	var results []demoResult
	if err := json.Unmarshal([]byte(r.stdout), &results); err != nil || len(results) != 1 {
		t.Fatalf("stdout is not one JSON result (%v):\n%s", err, r.stdout)
	}
	if results[0].Layer != diagnose.LayerTrustPolicy || r.code != exitOK {
		t.Errorf("layer %q, exit %d; want trust-policy, 0", results[0].Layer, r.code)
	}
	// The diagnosis read the trust policy through the auditor.
	if c := findCheck(*results[0].Report, "trust-policy.evaluate"); c == nil || c.Status != diagnose.StatusFail {
		t.Errorf("trust-policy.evaluate = %+v, want fail", c)
	}
}

func TestDemoOneScenarioAndList(t *testing.T) {
	r := runCLI(t, nil, "", "demo", "model-id")
	if r.code != exitOK || !strings.Contains(r.stdout, "1/1 scenarios diagnosed as expected") {
		t.Errorf("demo model-id: exit %d\n%s", r.code, r.stdout)
	}
	r = runCLI(t, nil, "", "demo", "--list")
	if r.code != exitOK {
		t.Errorf("demo --list: exit %d", r.code)
	}
	for name := range demoExpect {
		if !strings.Contains(r.stdout, name) {
			t.Errorf("--list lacks %s", name)
		}
	}
}

func TestColorFor(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1], true
				}
			}
			return "", false
		}
	}
	tests := []struct {
		name     string
		terminal bool
		env      func(string) (string, bool)
		want     bool
	}{
		{"terminal", true, env("TERM", "xterm-256color"), true},
		{"pipe", false, env("TERM", "xterm-256color"), false},
		{"NO_COLOR on a terminal", true, env("NO_COLOR", "1", "TERM", "xterm"), false},
		{"NO_COLOR empty still counts", true, env("NO_COLOR", ""), false},
		{"dumb terminal", true, env("TERM", "dumb"), false},
	}
	for _, tt := range tests {
		if got := colorFor(tt.terminal, tt.env); got != tt.want {
			t.Errorf("%s: colorFor = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestDemoBareScenarioFiles is the README's own command: the bare awsfake
// scenario files run as demo worlds, each diagnosed as its author expects,
// each title printed once and every "fixed by" saying who.
func TestDemoBareScenarioFiles(t *testing.T) {
	files, err := filepath.Glob("../../internal/awsfake/testdata/scenarios/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("scenario files: %v %v", files, err)
	}
	r := runCLI(t, nil, "", append([]string{"demo"}, files...)...)
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "━━ ") {
			title := line[strings.Index(line, ": ")+2:]
			if n := strings.Count(r.stdout, title); n != 1 {
				t.Errorf("title printed %d times: %s", n, title)
			}
		}
		if i := strings.Index(line, "fixed by"); i >= 0 && strings.TrimSpace(line[i+len("fixed by"):]) == "" {
			t.Errorf("fixed by nobody named: %q", line)
		}
	}
}
