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

// scenario is one loaded demo world.
type scenario struct {
	name        string
	title       string
	who         string
	description string
	expect      diagnose.Layer
	app         awsfake.ScenarioApp
	target      awsfake.ScenarioTarget
	// world is the file's text (a demo file or a bare awsfake scenario),
	// parsed afresh for each run: a run changes its world (sessions,
	// Marketplace subscriptions).
	world []byte
}

// errDemoFile is wrapped by every error for a bad demo file.
var errDemoFile = errors.New("invalid demo scenario")

// parseScenario reads a demo file (an awsfake scenario wrapped with
// "title", "fixedBy" and "app") or a bare awsfake scenario, and checks that
// its world builds and that the demo can play it.
func parseScenario(data []byte) (scenario, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return scenario{}, fmt.Errorf("decode: %v: %w", err, errDemoFile)
	}
	world, wrapped := top["world"]
	_, bare := top["accounts"]
	if !wrapped && !bare {
		// Neither a world nor a demo file around one: name what is
		// unknown, else what is missing.
		var f struct {
			Title   string               `json:"title"`
			FixedBy string               `json:"fixedBy"`
			App     *awsfake.ScenarioApp `json:"app"`
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return scenario{}, fmt.Errorf("decode: %v: %w", err, errDemoFile)
		}
		return scenario{}, fmt.Errorf("no world: %w", errDemoFile)
	}
	if wrapped && string(bytes.TrimSpace(world)) == "null" {
		return scenario{}, fmt.Errorf("no world: %w", errDemoFile)
	}
	sc, err := awsfake.ParseScenario(data)
	if err != nil {
		return scenario{}, err
	}
	s := scenario{
		name: sc.Name, title: sc.Title, who: sc.FixedBy, description: sc.Description,
		expect: diagnose.Layer(sc.Expect["layer"]), app: sc.App, target: sc.Target, world: data,
	}
	switch {
	case s.name == "":
		return s, fmt.Errorf("world has no name: %w", errDemoFile)
	case !s.expect.Valid():
		return s, fmt.Errorf("scenario %s: expect.layer %q is not a layer: %w", s.name, s.expect, errDemoFile)
	case s.target.RoleARN == "" || s.target.ModelID == "" || s.target.Region == "":
		return s, fmt.Errorf("scenario %s: target needs roleArn, modelId and region: %w", s.name, errDemoFile)
	case s.target.Operation == "StartAsyncInvoke" && !strings.HasPrefix(s.target.OutputS3URI, "s3://"):
		return s, fmt.Errorf("scenario %s: StartAsyncInvoke needs target.outputS3Uri: %w", s.name, errDemoFile)
	case s.target.Operation != "" && s.target.Operation != "Converse" && s.target.Operation != "InvokeModel" && s.target.Operation != "StartAsyncInvoke":
		return s, fmt.Errorf("scenario %s: the demo makes Converse, InvokeModel or StartAsyncInvoke calls, not %s: %w", s.name, s.target.Operation, errDemoFile)
	}
	if _, ok := sc.Credentials(s.target.Principal); !ok {
		return s, fmt.Errorf("scenario %s: target principal %q is not a user of the world: %w", s.name, s.target.Principal, errDemoFile)
	}
	if s.title == "" {
		// A bare scenario: its description says what is wrong.
		s.title, s.description = s.description, ""
	}
	if s.who == "" {
		s.who = fixedBy[s.expect]
	}
	return s, nil
}

// fixedBy is who fixes each layer, where (DESIGN.md's table), for worlds
// that do not say.
var fixedBy = map[diagnose.Layer]string{
	diagnose.LayerNone:            "nobody",
	diagnose.LayerCredentials:     "the app's environment (source account)",
	diagnose.LayerAssumeRole:      "source account IAM, target account IAM or the organization (the checks narrow it)",
	diagnose.LayerSourcePolicy:    "source account IAM",
	diagnose.LayerTrustPolicy:     "target account IAM: the role's trust policy",
	diagnose.LayerWrongPrincipal:  "the app's configuration",
	diagnose.LayerRolePermissions: "target account IAM (or the session policy the app passes)",
	diagnose.LayerOrgPolicy:       "the organization's administrators",
	diagnose.LayerEndpointPolicy:  "the network/VPC owner",
	diagnose.LayerKeyPolicy:       "the KMS key's owner: its key policy (and, across accounts, the role's own policy)",
	diagnose.LayerModelAccess:     "target account Bedrock admin",
	diagnose.LayerRegion:          "the app's configuration",
	diagnose.LayerModelID:         "the app's configuration",
	diagnose.LayerUnknown:         "(the report names the check that would decide)",
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
