package main

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// scenarioFS holds the demo's worlds. Each file is an awsfake scenario (the
// policies users really write, in IAM's own JSON) wrapped with what the
// demo shows about it; its "expect" names the layer a correct diagnosis
// gives, written by the scenario's author.
//
//go:embed scenarios/*.json
var scenarioFS embed.FS

// demoFile is the format of a file under scenarios/.
type demoFile struct {
	// Title is one line: what is wrong.
	Title string `json:"title"`
	// FixedBy says who fixes it, where.
	FixedBy string  `json:"fixedBy"`
	App     demoApp `json:"app"`
	// World is an awsfake scenario (awsfake.ParseScenario); its target is
	// the app's call and its expect.layer the expected diagnosis.
	World json.RawMessage `json:"world"`
}

// demoApp is how the app in a scenario builds its client.
type demoApp struct {
	// ForgetsRole: the app keeps bedrockruntime.NewFromConfig with
	// client.AppendDiagnosis (RoleARN set) and never assumes the role.
	ForgetsRole bool `json:"forgetsRole"`
	// DeletedKey: the app's access key is one the world never issued.
	DeletedKey bool `json:"deletedKey"`
	// ExternalID is the external id the app passes to AssumeRole.
	ExternalID string `json:"externalId"`
	// DiagnosticUser, "ACCOUNT/USER", gives the diagnosis that user's
	// credentials for the target account (diagnose.Options.DiagnosticConfig).
	DiagnosticUser string `json:"diagnosticUser"`
}

// scenario is one loaded demo world.
type scenario struct {
	name        string
	title       string
	who         string
	description string
	expect      diagnose.Layer
	app         demoApp
	target      awsfake.ScenarioTarget
	// world is the awsfake scenario's text, parsed afresh for each run:
	// a run changes its world (sessions, Marketplace subscriptions).
	world []byte
}

// errDemoFile is wrapped by every error for a bad demo file.
var errDemoFile = errors.New("invalid demo scenario")

// parseScenario reads a demo file and checks its world builds.
func parseScenario(data []byte) (scenario, error) {
	var f demoFile
	if isPlainWorld(data) {
		// A bare awsfake scenario (as in internal/awsfake/testdata): the
		// app builds its client in the usual way.
		f.World = data
	} else {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return scenario{}, fmt.Errorf("decode: %v: %w", err, errDemoFile)
		}
	}
	if len(f.World) == 0 {
		return scenario{}, fmt.Errorf("no world: %w", errDemoFile)
	}
	sc, err := awsfake.ParseScenario(f.World)
	if err != nil {
		return scenario{}, fmt.Errorf("world: %w", err)
	}
	s := scenario{
		name: sc.Name, title: f.Title, who: f.FixedBy, description: sc.Description,
		expect: diagnose.Layer(sc.Expect["layer"]), app: f.App, target: sc.Target, world: f.World,
	}
	switch {
	case s.name == "":
		return s, fmt.Errorf("world has no name: %w", errDemoFile)
	case !s.expect.Valid():
		return s, fmt.Errorf("scenario %s: expect.layer %q is not a layer: %w", s.name, s.expect, errDemoFile)
	case s.target.RoleARN == "" || s.target.ModelID == "" || s.target.Region == "":
		return s, fmt.Errorf("scenario %s: target needs roleArn, modelId and region: %w", s.name, errDemoFile)
	case s.target.Operation != "" && s.target.Operation != "Converse":
		return s, fmt.Errorf("scenario %s: the demo makes Converse calls, not %s: %w", s.name, s.target.Operation, errDemoFile)
	}
	if _, ok := sc.Credentials(s.target.Principal); !ok {
		return s, fmt.Errorf("scenario %s: target principal %q is not a user of the world: %w", s.name, s.target.Principal, errDemoFile)
	}
	if u := s.app.DiagnosticUser; u != "" {
		if _, ok := sc.Credentials(u); !ok {
			return s, fmt.Errorf("scenario %s: diagnosticUser %q is not a user of the world: %w", s.name, u, errDemoFile)
		}
	}
	if s.title == "" {
		s.title = s.description
	}
	return s, nil
}

// isPlainWorld reports a bare awsfake scenario: a JSON object with the
// world's "accounts" and no "world" wrapper.
func isPlainWorld(data []byte) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return false
	}
	_, wrapped := top["world"]
	_, accounts := top["accounts"]
	return accounts && !wrapped
}

// loadScenarios reads every *.json file of fsys's root, in name order.
func loadScenarios(fsys fs.FS, dir string) ([]scenario, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]scenario, 0, len(names))
	seen := map[string]bool{}
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		s, err := parseScenario(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if seen[s.name] {
			return nil, fmt.Errorf("%s: scenario name %q used twice: %w", n, s.name, errDemoFile)
		}
		seen[s.name] = true
		out = append(out, s)
	}
	return out, nil
}

// builtinScenarios are the embedded worlds.
func builtinScenarios() ([]scenario, error) {
	return loadScenarios(scenarioFS, "scenarios")
}

// scenarioNames lists names for messages.
func scenarioNames(ss []scenario) string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}
