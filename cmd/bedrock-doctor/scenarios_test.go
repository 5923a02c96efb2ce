package main

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

func TestBuiltinScenariosLoad(t *testing.T) {
	all, err := builtinScenarios()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range all {
		names = append(names, s.name)
		if want, ok := demoExpect[s.name]; !ok || s.expect != want {
			t.Errorf("%s: expect %q, the test expects %q", s.name, s.expect, want)
		}
	}
	// Files are read in name order: the chain order of the layers, then
	// the model kinds a team owns, then the routed kinds.
	want := "healthy, credentials, source-policy, trust-policy, trust-external-id, wrong-principal, role-permissions, org-policy, endpoint-policy, model-access, region, model-id, " +
		"provisioned-throughput, custom-model, copied-model-key, imported-model-key, other-account-model, " +
		"prompt-router, prompt, marketplace-endpoint, async-invoke"
	if got := strings.Join(names, ", "); got != want {
		t.Errorf("order:\n got %s\nwant %s", got, want)
	}
}

func TestParseScenarioErrors(t *testing.T) {
	good, err := os.ReadFile("testdata/own-world.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
		is   error
		want string
	}{
		{"not json", "{", errDemoFile, "decode"},
		{"unknown field", `{"title":"x","wrold":{}}`, errDemoFile, "unknown field"},
		{"no world", `{"title":"x"}`, errDemoFile, "no world"},
		{"bad world", `{"world":{"name":"x","accounts":[{"id":"1"}]}}`, awsfake.ErrScenario, "12 digits"},
		{"bad layer", strings.Replace(string(good), `"layer": "none"`, `"layer": "nope"`, 1), errDemoFile, `"nope" is not a layer`},
		{"no target model", strings.Replace(string(good), `"modelId": "anthropic.claude-3-haiku-20240307-v1:0"`, `"modelId": ""`, 1), errDemoFile, "target needs"},
		{"other operation", strings.Replace(string(good), `"operation": "Converse"`, `"operation": "ConverseStream"`, 1), errDemoFile, "not ConverseStream"},
		{"unknown principal", strings.Replace(string(good), `"principal": "111111111111/app"`, `"principal": "111111111111/nobody"`, 1), errDemoFile, "111111111111/nobody"},
		{"unknown diagnostic user", strings.Replace(string(good), `"title"`, `"app":{"diagnosticUser":"222222222222/ghost"},"title"`, 1), awsfake.ErrScenario, "ghost"},
		{"unknown wrapper field", strings.Replace(string(good), `"title"`, `"titel":"x","title"`, 1), awsfake.ErrScenario, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.data == string(good) {
				t.Fatal("the replacement did not apply")
			}
			_, err := parseScenario([]byte(tt.data))
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %v containing %q", err, tt.is, tt.want)
			}
		})
	}
	if _, err := parseScenario(good); err != nil {
		t.Errorf("good file: %v", err)
	}
}

func TestLoadScenariosDuplicateName(t *testing.T) {
	good, err := os.ReadFile("testdata/own-world.json")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{"s/a.json": {Data: good}, "s/b.json": {Data: good}}
	if _, err := loadScenarios(fsys, "s"); !errors.Is(err, errDemoFile) || !strings.Contains(err.Error(), "used twice") {
		t.Errorf("err = %v, want a duplicate-name error", err)
	}
}

func TestDemoOwnFile(t *testing.T) {
	r := runCLI(t, nil, "", "demo", "testdata/own-world.json")
	if r.code != exitOK || !strings.Contains(r.stdout, "my-world: a world of the user's own") {
		t.Errorf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// A bare awsfake scenario, without the demo's wrapper.
	r = runCLI(t, nil, "", "demo", "testdata/plain-world.json")
	if r.code != exitOK || !strings.Contains(r.stdout, "plain-world: ") {
		t.Errorf("plain world: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "", "demo", "testdata/missing.json")
	if r.code != exitUsage {
		t.Errorf("missing file: exit %d, want %d", r.code, exitUsage)
	}
}

// FuzzParseScenario: any bytes give a scenario or an error, never a panic,
// and a scenario it accepts names a valid layer and a complete target.
func FuzzParseScenario(f *testing.F) {
	entries, err := scenarioFS.ReadDir("scenarios")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		data, err := scenarioFS.ReadFile("scenarios/" + e.Name())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"world":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseScenario(data)
		if err != nil {
			return
		}
		if !s.expect.Valid() || s.target.ModelID == "" || s.target.RoleARN == "" || s.target.Region == "" {
			t.Errorf("accepted an incomplete scenario: %+v", s)
		}
	})
}
