package diagnose_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// mergeStatements adds the statements of fix to doc.
func mergeStatements(t *testing.T, doc, fix string) string {
	t.Helper()
	var a, b struct {
		Version   string
		Statement []json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &a); err != nil {
		t.Fatalf("policy %s: %v", doc, err)
	}
	if err := json.Unmarshal([]byte(fix), &b); err != nil {
		t.Fatalf("fix policy %s: %v", fix, err)
	}
	a.Statement = append(a.Statement, b.Statement...)
	out, _ := json.Marshal(a)
	return string(out)
}

// TestFixPolicyFixes applies the report's FixPolicy where it says to, and
// checks that the app's call then succeeds: the fix is exact, not advice.
func TestFixPolicyFixes(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	// Where each scenario's fix belongs, as the scenario's owner would
	// apply it; "" means there is no policy to add (an explicit deny must be
	// removed, which the fix says in words).
	where := map[string]string{
		"source-policy/no-assume-allow":       "source",
		"trust-policy/wrong-account":          "trust",
		"trust-policy/external-id":            "condition",
		"role-permissions/no-bedrock":         "role",
		"role-permissions/destination-region": "role",
		"role-permissions/explicit-deny":      "",
		"role-permissions/boundary":           "boundary",
		"role-permissions/session-policy":     "session",
	}
	apply := map[string]func(sp *spec, fix string){
		"role":     func(sp *spec, fix string) { sp.rolePolicy = mergeStatements(t, sp.rolePolicy, fix) },
		"source":   func(sp *spec, fix string) { sp.sourcePolicy = mergeStatements(t, sp.sourcePolicy, fix) },
		"trust":    func(sp *spec, fix string) { sp.trust = mergeStatements(t, sp.trust, fix) },
		"boundary": func(sp *spec, fix string) { sp.boundary = mergeStatements(t, sp.boundary, fix) },
		"session":  func(sp *spec, fix string) { sp.sessionPol = mergeStatements(t, sp.sessionPol, fix) },
	}
	for _, sc := range scenarios() {
		target, ok := where[sc.name]
		if !ok {
			continue
		}
		for _, kind := range sc.kinds {
			for _, tr := range []tier{tierFull, tierNone} {
				if tr == tierNone && (sc.want != diagnose.LayerRolePermissions || kind == kindApp) {
					// Without permissions these are assume-role (no fix policy
					// to apply), and an application profile's models cannot be
					// known: its fix says so in words.
					continue
				}
				t.Run(sc.name+"/"+string(kind)+"/"+string(tr), func(t *testing.T) {
					sp := sc.spec()
					wd := build(t, sp, tr)
					model := wd.modelIDs[kind]
					if sp.model != "" {
						model = sp.model
					}
					err := wd.call(t, sp, tr, "Converse", model)
					var derr *diagnose.Error
					if !errors.As(err, &derr) || derr.Layer() != sc.want {
						t.Fatalf("want a %s diagnosis, got %v", sc.want, err)
					}
					if target == "condition" {
						// The principal is trusted; the app must pass the
						// external id the condition names.
						if derr.Report.FixPolicy != "" || !strings.Contains(derr.Report.Fix, "sts:ExternalId expected-id") {
							t.Errorf("a failing condition needs the app's parameter, not a new statement:\nfix: %s\nfix policy: %s", derr.Report.Fix, derr.Report.FixPolicy)
						}
						return
					}
					if target == "" {
						if derr.Report.FixPolicy != "" || !strings.Contains(derr.Report.Fix, "Deny statement") {
							t.Errorf("an explicit deny needs removing, not an added allow:\nfix: %s\nfix policy: %s", derr.Report.Fix, derr.Report.FixPolicy)
						}
						return
					}
					if derr.Report.FixPolicy == "" {
						t.Fatalf("no FixPolicy for %s:\n%s", sc.want, derr.Report)
					}
					apply[target](&sp, derr.Report.FixPolicy)
					fixed := build(t, sp, tr)
					if kind == kindApp {
						model = fixed.appARN
					}
					if err := fixed.call(t, sp, tr, "Converse", model); err != nil {
						t.Errorf("after applying the fix policy to the %s policy the call still fails: %v\nfix: %s\nfix policy:\n%s", target, err, derr.Report.Fix, derr.Report.FixPolicy)
					}
				})
			}
		}
	}
}
