package oracle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrUnavailable is wrapped when node or the installed oracle is missing.
var ErrUnavailable = errors.New("oracle unavailable")

// Result is the oracle's answer for one case.
type Result struct {
	// Decision is "allow", "explicit-deny" or "implicit-deny"; empty when
	// Error is set.
	Decision string `json:"decision"`
	// Error says why the oracle could not evaluate the case (a policy it
	// rejects, an action it does not know, ...).
	Error string `json:"error,omitempty"`
	// Via is "simulate" (the oracle's public runSimulation) or "engine"
	// (its authorize(), for ARNs runSimulation has no resource type for).
	Via string `json:"via,omitempty"`
	// BlockedBy is the oracle's own list of blocking policy kinds.
	BlockedBy []string `json:"blocked_by,omitempty"`
	// IgnoredContextKeys are context keys the oracle dropped because the
	// service authorization reference does not list them for the action.
	IgnoredContextKeys []string `json:"ignored_context_keys,omitempty"`
	// Types is the oracle's per-policy-type verdict and the statements that
	// decided it, as JSON, for explanations.
	Types json.RawMessage `json:"types,omitempty"`
}

// Oracle runs the node harness run.mjs in Dir.
type Oracle struct {
	// Dir holds run.mjs and node_modules.
	Dir string
	// Node is the node executable.
	Node string
}

// Find locates node on PATH and the oracle installed in dir. Its error
// wraps ErrUnavailable and says what to run.
func Find(dir string) (*Oracle, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("find oracle: %w: node not on PATH (install node 20+): %w", ErrUnavailable, err)
	}
	pkg := filepath.Join(dir, "node_modules", "@cloud-copilot", "iam-simulate", "package.json")
	if _, err := os.Stat(pkg); err != nil {
		return nil, fmt.Errorf("find oracle: %w: @cloud-copilot/iam-simulate not installed in %s (run .ci/oracle.sh): %w", ErrUnavailable, dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "run.mjs")); err != nil {
		return nil, fmt.Errorf("find oracle: %w: %w", ErrUnavailable, err)
	}
	return &Oracle{Dir: dir, Node: node}, nil
}

// Evaluate runs every case through the oracle in one node process and
// returns one result per case, in order.
func (o *Oracle) Evaluate(ctx context.Context, cases []Case) ([]Result, error) {
	in, err := json.Marshal(cases)
	if err != nil {
		return nil, fmt.Errorf("oracle evaluate: encode cases: %w", err)
	}
	cmd := exec.CommandContext(ctx, o.Node, "run.mjs")
	cmd.Dir = o.Dir
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("oracle evaluate: node run.mjs: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var results []Result
	if err := json.Unmarshal(stdout.Bytes(), &results); err != nil {
		return nil, fmt.Errorf("oracle evaluate: decode results: %w", err)
	}
	if len(results) != len(cases) {
		return nil, fmt.Errorf("oracle evaluate: %d results for %d cases", len(results), len(cases))
	}
	return results, nil
}
