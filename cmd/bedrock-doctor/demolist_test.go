package main

import (
	"encoding/json"
	"testing"
)

func TestDemoListJSON(t *testing.T) {
	r := runCLI(t, nil, "", "demo", "--list", "--json")
	if r.code != exitOK {
		t.Fatalf("demo --list --json: exit %d, stderr %s", r.code, r.stderr)
	}
	var list []scenarioEntry
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("stdout is not a JSON array: %v\n%s", err, r.stdout)
	}
	got := map[string]bool{}
	for _, s := range list {
		if s.Scenario == "" || s.Expected == "" || s.Title == "" {
			t.Errorf("incomplete entry %+v", s)
		}
		got[s.Scenario] = true
	}
	for name := range demoExpect {
		if !got[name] {
			t.Errorf("--list --json lacks %s", name)
		}
	}
}
