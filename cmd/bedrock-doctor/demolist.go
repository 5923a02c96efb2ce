package main

import (
	"fmt"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// scenarioEntry is one line of demo --list; its JSON form is
// demo --list --json.
type scenarioEntry struct {
	Scenario string         `json:"scenario"`
	Expected diagnose.Layer `json:"expected"`
	Title    string         `json:"title"`
	FixedBy  string         `json:"fixed_by,omitempty"`
}

// printScenarioList writes the scenarios, as text or (asJSON) as a JSON
// array and nothing else.
func (e env) printScenarioList(all []scenario, asJSON bool) int {
	if !asJSON {
		width := 17
		for _, s := range all {
			width = max(width, len(s.name))
		}
		for _, s := range all {
			fmt.Fprintf(e.stdout, "%-*s expect %-17s %s\n", width, s.name, s.expect, s.title)
		}
		return exitOK
	}
	list := make([]scenarioEntry, len(all))
	for i, s := range all {
		list[i] = scenarioEntry{Scenario: s.name, Expected: s.expect, Title: s.title, FixedBy: s.who}
	}
	if err := writeJSON(e.stdout, list); err != nil {
		fmt.Fprintf(e.stderr, "bedrock-doctor demo: write: %v\n", err)
		return exitUsage
	}
	return exitOK
}
