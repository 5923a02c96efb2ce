package diagnose_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// TestDiagnosticFaults: whatever a diagnostic call suffers — throttling, a
// service fault, a hang, a malformed body, a dropped connection, a denial —
// the check it feeds is unknown with the reason, the diagnosis ends within
// its budget, and the app gets its original error, wrapped, with the layer
// its text proves.
func TestDiagnosticFaults(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	const budget = time.Second
	faults := map[string]func(svc string) (awsfake.Fault, *awsfake.Respond){
		"throttled": func(svc string) (awsfake.Fault, *awsfake.Respond) {
			if svc == "bedrock" {
				return awsfake.Fault{Status: http.StatusTooManyRequests, Code: "ThrottlingException", Message: "Too many requests, please wait before trying again."}, nil
			}
			return awsfake.Fault{Status: http.StatusBadRequest, Code: "Throttling", Message: "Rate exceeded"}, nil
		},
		"5xx": func(svc string) (awsfake.Fault, *awsfake.Respond) {
			if svc == "bedrock" {
				return awsfake.Fault{Status: http.StatusInternalServerError, Code: "InternalServerException", Message: "internal error"}, nil
			}
			return awsfake.Fault{Status: http.StatusInternalServerError, Code: "ServiceFailure", Message: "internal error"}, nil
		},
		"hang":      func(string) (awsfake.Fault, *awsfake.Respond) { return awsfake.Fault{Latency: 30 * time.Second}, nil },
		"malformed": func(string) (awsfake.Fault, *awsfake.Respond) { return awsfake.Fault{Malformed: true}, nil },
		"dropped":   func(string) (awsfake.Fault, *awsfake.Respond) { return awsfake.Fault{Drop: true}, nil },
		"denied": func(svc string) (awsfake.Fault, *awsfake.Respond) {
			code := "AccessDenied"
			if svc == "bedrock" {
				code = "AccessDeniedException"
			}
			return awsfake.Fault{}, &awsfake.Respond{Status: http.StatusForbidden, Code: code,
				Message: "User: arn:aws:sts::222222222222:assumed-role/BedrockAccess/s is not authorized to perform: the read"}
		},
	}
	targets := []struct{ svc, action, check string }{
		{"iam", "SimulatePrincipalPolicy", "role-permissions.simulate"},
		{"bedrock", "GetFoundationModelAvailability", "model-access.availability"},
		{"bedrock", "GetFoundationModel", "model.resolve"},
	}
	for name, fault := range faults {
		for _, tg := range targets {
			t.Run(name+"/"+tg.action, func(t *testing.T) {
				t.Parallel()
				wd := build(t, noBedrock(), tierFull)
				f, scripted := fault(tg.svc)
				if scripted != nil {
					wd.srv.Script(tg.svc, tg.action, *scripted)
				} else {
					wd.srv.InjectFault(tg.svc, tg.action, f)
				}
				c := client.NewFromConfig(wd.srv.Config(wd.region, wd.appKey), client.WithRole(roleARN),
					client.WithDiagnosis(func(o *diagnose.Options) { o.Budget = budget; o.RateLimit = -1 }))
				start := time.Now()
				err := runOp(context.Background(), c, "InvokeModel", haiku)
				took := time.Since(start)
				var derr *diagnose.Error
				if !errors.As(err, &derr) {
					t.Fatalf("want a diagnosed error, got %v", err)
				}
				if derr.Layer() != diagnose.LayerRolePermissions {
					t.Errorf("layer = %s, want role-permissions (the text proves it)\n%s", derr.Layer(), derr.Report)
				}
				found := false
				for _, ch := range derr.Report.Checks {
					if ch.Name == tg.check {
						found = true
						if ch.Status != diagnose.StatusUnknown || ch.Detail == "" {
							t.Errorf("%s = %s %q, want unknown with the reason", ch.Name, ch.Status, ch.Detail)
						}
					}
				}
				if !found {
					t.Errorf("check %s missing:\n%s", tg.check, derr.Report)
				}
				// Loose bound for a shared machine: the budget plus slack.
				if took > budget+3*time.Second {
					t.Errorf("the denied call took %s with a %s budget", took, budget)
				}
			})
		}
	}
}
