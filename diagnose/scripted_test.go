package diagnose_test

import (
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// TestScriptedWorlds: AWS's answers are scripted regardless of the world's
// policies, so the diagnosis is tested against decisions the shared
// evaluator did not compute. The expected layer is what the scripted answer
// and the world together prove.
func TestScriptedWorlds(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	const session = "arn:aws:sts::222222222222:assumed-role/BedrockAccess/bedrockdoctor-1"
	const fm = "arn:aws:bedrock:us-east-1::foundation-model/" + haiku
	type script struct {
		service, action string
		r               awsfake.Respond
	}
	for _, tc := range []struct {
		name       string
		spec       func() spec
		scripts    []script
		want       diagnose.Layer // "" = not diagnosed (left alone)
		candidates []diagnose.Layer
		alsoFails  string // a check that must fail without deciding the layer
	}{
		{
			name: "bare IAM denial, the role really lacks the grant",
			spec: noBedrock,
			scripts: []script{{"bedrock-runtime", "Converse", awsfake.Respond{Status: 403, Code: "AccessDeniedException",
				Message: "User: " + session + " is not authorized to perform: bedrock:InvokeModel on resource: " + fm}}},
			want: diagnose.LayerRolePermissions,
		},
		{
			name: "bare IAM denial, every check passes",
			spec: healthy,
			scripts: []script{{"bedrock-runtime", "Converse", awsfake.Respond{Status: 403, Code: "AccessDeniedException",
				Message: "User: " + session + " is not authorized to perform: bedrock:InvokeModel on resource: " + fm}}},
			want:       diagnose.LayerUnknown,
			candidates: []diagnose.Layer{diagnose.LayerRolePermissions, diagnose.LayerOrgPolicy, diagnose.LayerEndpointPolicy},
		},
		{
			name: "bare IAM denial while model access is also broken: not model-access",
			spec: func() spec { s := healthy(); s.access = awsfake.AccessNotAvailable; return s },
			scripts: []script{{"bedrock-runtime", "Converse", awsfake.Respond{Status: 403, Code: "AccessDeniedException",
				Message: "User: " + session + " is not authorized to perform: bedrock:InvokeModel on resource: " + fm}}},
			want:       diagnose.LayerUnknown,
			candidates: []diagnose.Layer{diagnose.LayerRolePermissions, diagnose.LayerOrgPolicy, diagnose.LayerEndpointPolicy},
			alsoFails:  "model-access.availability",
		},
		{
			name: "AssumeRole denied though both sides allow: an organization policy",
			spec: healthy,
			scripts: []script{{"sts", "AssumeRole", awsfake.Respond{Status: 403, Code: "AccessDenied",
				Message: "User: " + appARN + " is not authorized to perform: sts:AssumeRole on resource: " + roleARN}}},
			want:       diagnose.LayerAssumeRole,
			candidates: []diagnose.Layer{diagnose.LayerOrgPolicy},
		},
		{
			name: "VPC endpoint policy",
			spec: healthy,
			scripts: []script{{"bedrock-runtime", "Converse", awsfake.Respond{Status: 403, Code: "AccessDeniedException",
				Message: "User: " + session + " is not authorized to perform: bedrock:InvokeModel on resource: " + fm + " with an explicit deny in a VPC endpoint policy"}}},
			want: diagnose.LayerEndpointPolicy,
		},
		{
			name: "SCP with its ARN",
			spec: healthy,
			scripts: []script{{"bedrock-runtime", "Converse", awsfake.Respond{Status: 403, Code: "AccessDeniedException",
				Message: "User: " + session + " is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-west-2::foundation-model/" + haiku + " with an explicit deny in a service control policy: arn:aws:organizations::999999999999:policy/o-abcd1234/service_control_policy/p-2kgnabcd"}}},
			want: diagnose.LayerOrgPolicy,
		},
		{
			name: "legacy model-access text",
			spec: healthy,
			scripts: []script{{"bedrock-runtime", "Converse", awsfake.Respond{Status: 403, Code: "AccessDeniedException",
				Message: "You don't have access to the model with the specified model ID."}}},
			want: diagnose.LayerModelAccess,
		},
		{
			name: "on-demand not supported, straight apostrophe",
			spec: healthy,
			scripts: []script{{"bedrock-runtime", "Converse", awsfake.Respond{Status: 400, Code: "ValidationException",
				Message: "Invocation of model ID " + haiku + " with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model."}}},
			want: diagnose.LayerModelID,
		},
		{
			name: "expired session on the runtime",
			spec: healthy,
			scripts: []script{{"bedrock-runtime", "Converse", awsfake.Respond{Status: 403, Code: "ExpiredTokenException",
				Message: "The security token included in the request is expired"}}},
			want: diagnose.LayerCredentials,
		},
		{
			name: "throttling is left alone",
			spec: healthy,
			scripts: []script{{"bedrock-runtime", "Converse", awsfake.Respond{Status: http.StatusTooManyRequests, Code: "ThrottlingException",
				Message: "Too many requests, please wait before trying again."}}},
			want: "",
		},
		{
			name: "a bad request body is left alone",
			spec: healthy,
			scripts: []script{{"bedrock-runtime", "Converse", awsfake.Respond{Status: 400, Code: "ValidationException",
				Message: "Malformed input request: #: required key [messages] not found, please reformat your input and try again."}}},
			want: "",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := tc.spec()
			wd := build(t, sp, tierFull)
			for _, s := range tc.scripts {
				wd.srv.Script(s.service, s.action, s.r)
			}
			err := wd.call(t, sp, tierFull, "Converse", haiku)
			if err == nil {
				t.Fatal("the scripted answer did not fail the call")
			}
			var derr *diagnose.Error
			diagnosed := errors.As(err, &derr)
			if tc.want == "" {
				if diagnosed {
					t.Errorf("diagnosed a non-access error as %s", derr.Layer())
				}
				return
			}
			if !diagnosed {
				t.Fatalf("not diagnosed: %v", err)
			}
			if derr.Layer() != tc.want {
				t.Errorf("layer = %s, want %s\n%s", derr.Layer(), tc.want, derr.Report)
			}
			if tc.alsoFails != "" {
				failed := false
				for _, ch := range derr.Report.Checks {
					failed = failed || ch.Name == tc.alsoFails && ch.Status == diagnose.StatusFail
				}
				if !failed {
					t.Errorf("check %s should have failed:\n%s", tc.alsoFails, derr.Report)
				}
			}
			for _, c := range tc.candidates {
				if !slices.Contains(derr.Report.Candidates, c) {
					t.Errorf("candidates %v lack %s", derr.Report.Candidates, c)
				}
			}
		})
	}
}
