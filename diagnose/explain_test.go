package diagnose

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/messages/golden")

// realMessage is one file of testdata/messages: a text a user pasted in a
// public thread and what the thread's resolution proved.
type realMessage struct {
	Source string `json:"source"`
	Text   string `json:"text"`
	// Layer is the layer the thread's resolution proved; empty when the
	// thread did not resolve.
	Layer Layer `json:"layer"`
	// ExplainLayer is what the text alone can prove, when that is less than
	// the resolution (unknown or assume-role with Candidates).
	ExplainLayer Layer       `json:"explain_layer"`
	Candidates   []Layer     `json:"candidates"`
	Kind         MessageKind `json:"kind"`
	// Access is false for texts that are not access denials.
	Access *bool  `json:"access"`
	Note   string `json:"note"`
}

func loadRealMessages(t testing.TB) map[string]realMessage {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "messages", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 40 {
		t.Fatalf("testdata/messages holds %d messages, want at least 40", len(files))
	}
	out := make(map[string]realMessage, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m realMessage
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if m.Source == "" || m.Text == "" || m.Note == "" {
			t.Fatalf("%s: source, text and note are required", f)
		}
		if m.Layer == "" && m.ExplainLayer == "" {
			t.Fatalf("%s: an unresolved thread needs explain_layer", f)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = m
	}
	return out
}

// TestExplainRealMessages runs every real text through Explain and checks
// the report against what the thread proved. When the text alone cannot
// prove the resolution, the resolution must be among the candidates: Explain
// may say less than the truth, never something else.
func TestExplainRealMessages(t *testing.T) {
	for name, tc := range loadRealMessages(t) {
		t.Run(name, func(t *testing.T) {
			r := Explain(tc.Text)
			want := tc.ExplainLayer
			if want == "" {
				want = tc.Layer
			}
			if r.Layer != want {
				t.Errorf("Layer = %q, want %q\nsummary: %s\ndetail: %s", r.Layer, want, r.Summary, r.Checks[0].Detail)
			}
			if tc.Layer != "" && tc.Layer != r.Layer && !slices.Contains(r.Candidates, tc.Layer) {
				t.Errorf("resolution %q is neither the layer %q nor among the candidates %v", tc.Layer, r.Layer, r.Candidates)
			}
			if tc.Candidates != nil && !slices.Equal(r.Candidates, tc.Candidates) {
				t.Errorf("Candidates = %v, want %v", r.Candidates, tc.Candidates)
			}
			m := ParseMessage(tc.Text)
			if tc.Kind != "" && m.Kind != tc.Kind {
				t.Errorf("Kind = %q, want %q", m.Kind, tc.Kind)
			}
			if tc.Access != nil {
				if got := m.Kind.IsAccessDenial(); got != *tc.Access {
					t.Errorf("IsAccessDenial() = %v, want %v", got, *tc.Access)
				}
				if !*tc.Access && !strings.HasPrefix(r.Summary, "not an access denial: ") {
					t.Errorf("Summary = %q, want the not-an-access-denial form", r.Summary)
				}
				if r.NotAccess == *tc.Access {
					t.Errorf("NotAccess = %v for a text whose access is %v", r.NotAccess, *tc.Access)
				}
			}
			checkReportInvariants(t, tc.Text, r)
			golden(t, name, r)
		})
	}
}

// golden compares the report's JSON with testdata/messages/golden/<name>.json.
func golden(t *testing.T, name string, r *Report) {
	t.Helper()
	got, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "messages", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestExplainRealMessages -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report differs from %s (run with -update if the change is intended):\n%s", path, got)
	}
}

// checkReportInvariants are the promises every Explain report keeps.
func checkReportInvariants(t *testing.T, text string, r *Report) {
	t.Helper()
	if r == nil {
		t.Fatalf("Explain(%q) = nil", text)
	}
	if r.SchemaVersion != SchemaVersion {
		t.Errorf("SchemaVersion = %d", r.SchemaVersion)
	}
	if !r.Layer.Valid() {
		t.Errorf("Layer %q is not a documented layer", r.Layer)
	}
	for _, c := range r.Candidates {
		if !c.Valid() || c == LayerUnknown || c == LayerNone {
			t.Errorf("candidate %q is not a layer that can deny", c)
		}
	}
	if r.Checks == nil || len(r.Checks) != 1 || r.Checks[0].Name != CheckMessageParse {
		t.Fatalf("Checks = %+v, want the one %s check", r.Checks, CheckMessageParse)
	}
	if c := r.Checks[0]; c.Layer != r.Layer || (c.Status != StatusFail && c.Status != StatusUnknown) {
		t.Errorf("check %+v does not point at layer %q with fail/unknown", c, r.Layer)
	}
	if r.Summary == "" || r.Fix == "" {
		t.Errorf("Summary %q and Fix %q must be set", r.Summary, r.Fix)
	}
	if r.NotAccess && (r.Layer != LayerUnknown || len(r.Candidates) > 0 || r.FixPolicy != "") {
		t.Errorf("not an access error, yet layer %s %v and fix policy %q", r.Layer, r.Candidates, r.FixPolicy)
	}
	for name, v := range map[string]string{
		"summary": r.Summary, "fix": r.Fix, "principal": r.Principal, "action": r.Action,
		"resource": r.Resource, "region": r.Region, "source": r.SourceAccount, "target": r.TargetAccount,
		"role": r.RoleARN, "model": r.ModelID, "operation": r.Operation, "request": r.RequestID,
		"detail": r.Checks[0].Detail,
	} {
		if i := strings.IndexFunc(v, isControl); i >= 0 {
			t.Errorf("%s %q has a control character at %d", name, v, i)
		}
	}
	if r.FixPolicy != "" && !json.Valid([]byte(r.FixPolicy)) {
		t.Errorf("FixPolicy is not JSON: %s", r.FixPolicy)
	}
	e := NewError(nil, r, false).Error()
	if strings.ContainsFunc(e, isControl) || !strings.Contains(e, "; diagnosis: "+string(r.Layer)) {
		t.Errorf("Error() = %q", e)
	}
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029'
}

// TestExplainFields checks the identities, fix and policy Explain derives,
// on texts built in the exact forms the SDKs print (AWS.md §1.4, §3.8).
func TestExplainFields(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Report // only the non-empty fields are compared, plus Layer and Candidates always
		// policy is a fragment FixPolicy must contain; "-" means no FixPolicy.
		policy string
	}{
		{
			name: "go sdk bedrock identity denial",
			text: "operation error Bedrock Runtime: InvokeModel, https response error StatusCode: 403, RequestID: 9b1c7e0a-1111-4a2b-9c3d-0123456789ab, AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/BedrockInvoke/app-session is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0 because no identity-based policy allows the bedrock:InvokeModel action",
			want: Report{
				Layer: LayerRolePermissions, Principal: "arn:aws:sts::222222222222:assumed-role/BedrockInvoke/app-session",
				Action: "bedrock:InvokeModel", Resource: "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
				Region: "us-east-1", TargetAccount: "222222222222", RoleARN: "arn:aws:iam::222222222222:role/BedrockInvoke",
				ModelID: "anthropic.claude-3-haiku-20240307-v1:0", Operation: "InvokeModel", RequestID: "9b1c7e0a-1111-4a2b-9c3d-0123456789ab",
			},
			policy: `"Resource": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"`,
		},
		{
			name: "go sdk nested assume role, bare",
			text: "operation error Bedrock Runtime: Converse, get identity: get credentials: failed to refresh cached credentials, operation error STS: AssumeRole, https response error StatusCode: 403, RequestID: 5d1e0c4f-2222-4b3c-8d4e-0123456789ab, api error AccessDenied: User: arn:aws:iam::111111111111:user/app is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/BedrockInvoke",
			want: Report{
				Layer: LayerAssumeRole, Candidates: []Layer{LayerSourcePolicy, LayerTrustPolicy, LayerOrgPolicy},
				Principal: "arn:aws:iam::111111111111:user/app", Action: "sts:AssumeRole", Resource: "arn:aws:iam::222222222222:role/BedrockInvoke",
				SourceAccount: "111111111111", TargetAccount: "222222222222", RoleARN: "arn:aws:iam::222222222222:role/BedrockInvoke",
				Operation: "Converse", RequestID: "5d1e0c4f-2222-4b3c-8d4e-0123456789ab",
			},
			policy: "-",
		},
		{
			name: "assume role denied by an SCP",
			text: "api error AccessDenied: User: arn:aws:sts::111111111111:assumed-role/ci/run-7 is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/BedrockInvoke with an explicit deny in a service control policy: arn:aws:organizations::999999999999:policy/o-abcd1234/service_control_policy/p-abcd1234",
			want: Report{
				Layer: LayerOrgPolicy, SourceAccount: "111111111111", TargetAccount: "222222222222",
				RoleARN: "arn:aws:iam::222222222222:role/BedrockInvoke",
			},
			policy: "-",
		},
		{
			name:   "assume role, no identity-based policy allows",
			text:   "User: arn:aws:iam::111111111111:user/app is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/BedrockInvoke because no identity-based policy allows the sts:AssumeRole action",
			want:   Report{Layer: LayerSourcePolicy, SourceAccount: "111111111111"},
			policy: `"Action": "sts:AssumeRole"`,
		},
		{
			name:   "assume role, trust policy",
			text:   "User: arn:aws:sts::111111111111:assumed-role/ci/run-7 is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/BedrockInvoke because no role trust policy allows the sts:AssumeRole action",
			want:   Report{Layer: LayerTrustPolicy, TargetAccount: "222222222222"},
			policy: `"AWS": "arn:aws:iam::111111111111:role/ci"`,
		},
		{
			name: "session policy",
			text: "User: arn:aws:sts::222222222222:assumed-role/BedrockInvoke/s is not authorized to perform: bedrock:InvokeModelWithResponseStream on resource: arn:aws:bedrock:us-west-2:222222222222:inference-profile/us.anthropic.claude-sonnet-4-6 because no session policy allows the bedrock:InvokeModelWithResponseStream action",
			want: Report{
				Layer: LayerRolePermissions, Region: "us-west-2", ModelID: "us.anthropic.claude-sonnet-4-6",
				Fix: "Allow bedrock:InvokeModelWithResponseStream on the resource in the session policy the app passes when it assumes the role (stscreds AssumeRoleOptions.Policy / PolicyARNs) (the diagnosis could not read that policy: if one of their statements already allows bedrock:InvokeModelWithResponseStream under a Condition, the call does not meet that Condition; meet it rather than adding this policy, which would bypass it). The profile also needs its foundation model allowed in every destination region (arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-6, and for a global profile the region-less arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-6).",
			},
			policy: `"Action": "bedrock:InvokeModelWithResponseStream"`,
		},
		{
			name:   "permissions boundary, cn partition",
			text:   "User: arn:aws-cn:sts::222222222222:assumed-role/BedrockInvoke/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws-cn:bedrock:cn-north-1::foundation-model/amazon.titan-text-express-v1 because no permissions boundary allows the bedrock:InvokeModel action",
			want:   Report{Layer: LayerRolePermissions, RoleARN: "arn:aws-cn:iam::222222222222:role/BedrockInvoke", Region: "cn-north-1"},
			policy: "arn:aws-cn:bedrock:cn-north-1::foundation-model/amazon.titan-text-express-v1",
		},
		{
			name:   "vpc endpoint policy, gov partition",
			text:   "User: arn:aws-us-gov:sts::222222222222:assumed-role/BedrockInvoke/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0 because no VPC endpoint policy allows the bedrock:InvokeModel action",
			want:   Report{Layer: LayerEndpointPolicy, Region: "us-gov-west-1", RoleARN: "arn:aws-us-gov:iam::222222222222:role/BedrockInvoke"},
			policy: "-",
		},
		{
			name:   "bare bedrock denial",
			text:   "AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/BedrockInvoke/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:eu-west-1::foundation-model/mistral.mistral-large-2402-v1:0",
			want:   Report{Layer: LayerUnknown, Candidates: []Layer{LayerRolePermissions, LayerOrgPolicy, LayerEndpointPolicy}, Region: "eu-west-1"},
			policy: "-",
		},
		{
			name:   "resource control policy",
			text:   "User: arn:aws:sts::222222222222:assumed-role/BedrockInvoke/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-6 with an explicit deny in a resource control policy",
			want:   Report{Layer: LayerOrgPolicy, Region: "us-east-2"},
			policy: "-",
		},
		{
			name: "cross-region destination with the call's region",
			text: "operation error Bedrock Runtime: Converse, https response error StatusCode: 403, RequestID: r-1, AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/R/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-6 because no identity-based policy allows the bedrock:InvokeModel action (POST https://bedrock-runtime.us-west-2.amazonaws.com/model/us.anthropic.claude-sonnet-4-6/converse)",
			want: Report{Layer: LayerRolePermissions, Region: "us-east-2",
				Fix: "Allow bedrock:InvokeModel on the resource in the identity policy of role arn:aws:iam::222222222222:role/R, in account 222222222222 (the diagnosis could not read that policy: if one of their statements already allows bedrock:InvokeModel under a Condition, the call does not meet that Condition; meet it rather than adding this policy, which would bypass it). The denied resource is the foundation model in us-east-2 while the call went to us-west-2: a cross-region inference destination, which must be allowed too (denials there are intermittent).",
			},
			policy: "foundation-model/anthropic.claude-sonnet-4-6",
		},
		{
			name:   "explicit identity deny names its policy",
			text:   "User: arn:aws:sts::222222222222:assumed-role/R/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/x with an explicit deny in an identity-based policy: arn:aws:iam::222222222222:policy/DenyBedrock",
			want:   Report{Layer: LayerRolePermissions, Summary: "an identity-based policy of arn:aws:sts::222222222222:assumed-role/R/s (account 222222222222) explicitly denies bedrock:InvokeModel on arn:aws:bedrock:us-east-1::foundation-model/x (arn:aws:iam::222222222222:policy/DenyBedrock)"},
			policy: "-",
		},
		{
			name:   "root principal assuming a role",
			text:   "User: arn:aws:iam::111111111111:root is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/R",
			want:   Report{Layer: LayerCredentials, SourceAccount: "111111111111"},
			policy: "-",
		},
		{
			name:   "on-demand names the profile id",
			text:   "ValidationException: Invocation of model ID anthropic.claude-sonnet-4-20250514-v1:0 with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
			want:   Report{Layer: LayerModelID, ModelID: "anthropic.claude-sonnet-4-20250514-v1:0"},
			policy: "-",
		},
		{
			name:   "on-demand with the call's region says where to find a profile, never makes one up",
			text:   "operation error Bedrock Runtime: Converse, https response error StatusCode: 400, RequestID: r-4, ValidationException: Invocation of model ID anthropic.claude-sonnet-4-6 with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model. (POST https://bedrock-runtime.eu-central-1.amazonaws.com/model/anthropic.claude-sonnet-4-6/converse)",
			want:   Report{Layer: LayerModelID, Region: "eu-central-1", Fix: "Call the model through an inference profile that contains anthropic.claude-sonnet-4-6: pass the profile's id instead of anthropic.claude-sonnet-4-6 (bedrock:ListInferenceProfiles in eu-central-1 lists the profiles and their models; bedrock-doctor check names the ones the catalog has); the role must then allow the profile ARN and the foundation model in every destination region."},
			policy: "-",
		},
		{
			name:   "use-case form",
			text:   "ResourceNotFoundException: Model use case details have not been submitted for this account. Fill out the Anthropic use case details form before using the model. If you have already filled out the form, try again in 15 minutes.",
			want:   Report{Layer: LayerModelAccess},
			policy: "-",
		},
		{
			name:   "marketplace grants the three actions",
			text:   "AccessDeniedException: Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to enable access to this model.",
			want:   Report{Layer: LayerModelAccess},
			policy: `"aws-marketplace:ViewSubscriptions"`,
		},
		{
			name:   "cloudtrail record",
			text:   `{"eventVersion":"1.11","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::222222222222:assumed-role/R/s"},"eventSource":"bedrock.amazonaws.com","eventName":"InvokeModel","awsRegion":"eu-central-1","errorCode":"AccessDenied","errorMessage":"User: arn:aws:sts::222222222222:assumed-role/R/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:eu-central-1::foundation-model/amazon.nova-pro-v1:0 with an explicit deny in a service control policy","requestID":"c0ffee00-0000-4000-8000-000000000001"}`,
			want:   Report{Layer: LayerOrgPolicy, Operation: "InvokeModel", RequestID: "c0ffee00-0000-4000-8000-000000000001", Region: "eu-central-1", ModelID: "amazon.nova-pro-v1:0"},
			policy: "-",
		},
		{
			name:   "garbage",
			text:   "segmentation fault (core dumped)",
			want:   Report{Layer: LayerUnknown, Summary: "nothing recognised in the text"},
			policy: "-",
		},
		{
			name:   "empty",
			text:   "",
			want:   Report{Layer: LayerUnknown, Summary: "nothing recognised in the text"},
			policy: "-",
		},
		{
			name:   "bad request body",
			text:   "operation error Bedrock Runtime: Converse, https response error StatusCode: 400, RequestID: r-2, ValidationException: A conversation must start with a user message. Try again with a conversation that starts with a user message.",
			want:   Report{Layer: LayerUnknown, Summary: "not an access denial: ValidationException"},
			policy: "-",
		},
		{
			name:   "service fault",
			text:   "operation error Bedrock Runtime: InvokeModel, exceeded maximum number of attempts, 3, https response error StatusCode: 503, RequestID: r-3, ServiceUnavailableException: Bedrock is unable to process your request.",
			want:   Report{Layer: LayerUnknown, Summary: "not an access denial: ServiceUnavailableException"},
			policy: "-",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Explain(tt.text)
			checkReportInvariants(t, tt.text, r)
			if r.Layer != tt.want.Layer {
				t.Errorf("Layer = %q, want %q (summary %q)", r.Layer, tt.want.Layer, r.Summary)
			}
			if !slices.Equal(r.Candidates, tt.want.Candidates) {
				t.Errorf("Candidates = %v, want %v", r.Candidates, tt.want.Candidates)
			}
			for _, f := range []struct{ name, got, want string }{
				{"Principal", r.Principal, tt.want.Principal}, {"Action", r.Action, tt.want.Action},
				{"Resource", r.Resource, tt.want.Resource}, {"Region", r.Region, tt.want.Region},
				{"SourceAccount", r.SourceAccount, tt.want.SourceAccount}, {"TargetAccount", r.TargetAccount, tt.want.TargetAccount},
				{"RoleARN", r.RoleARN, tt.want.RoleARN}, {"ModelID", r.ModelID, tt.want.ModelID},
				{"Operation", r.Operation, tt.want.Operation}, {"RequestID", r.RequestID, tt.want.RequestID},
				{"Summary", r.Summary, tt.want.Summary}, {"Fix", r.Fix, tt.want.Fix},
			} {
				if f.want != "" && f.got != f.want {
					t.Errorf("%s = %q, want %q", f.name, f.got, f.want)
				}
			}
			switch {
			case tt.policy == "-" && r.FixPolicy != "":
				t.Errorf("FixPolicy = %s, want none", r.FixPolicy)
			case tt.policy != "-" && !strings.Contains(r.FixPolicy, tt.policy):
				t.Errorf("FixPolicy = %s, want it to contain %s", r.FixPolicy, tt.policy)
			}
		})
	}
}

// responseError is the SDK's error for an HTTP error response, as its
// deserializers build it.
func responseError(status int, requestID string, apiErr error) error {
	return &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: apiErr},
		RequestID:     requestID,
	}
}

// TestExplainSDKErrors feeds Explain the Error() of the SDK's own error
// types, assembled as the SDK assembles them (AWS.md §1.4), so a change in
// the SDK's formatting shows up here rather than in production.
func TestExplainSDKErrors(t *testing.T) {
	denied := &types.AccessDeniedException{Message: aws.String("User: arn:aws:sts::222222222222:assumed-role/BedrockInvoke/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0 with an explicit deny in a service control policy")}
	modelErr := &smithy.OperationError{ServiceID: "Bedrock Runtime", OperationName: "InvokeModel", Err: responseError(403, "req-1", denied)}

	stsErr := &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole", Err: responseError(403, "req-2", &smithy.GenericAPIError{
		Code: "AccessDenied", Message: "User: arn:aws:iam::111111111111:user/app is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/BedrockInvoke",
	})}
	cache := aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, stsErr
	}))
	_, credErr := cache.Retrieve(context.Background())
	nested := &smithy.OperationError{ServiceID: "Bedrock Runtime", OperationName: "Converse", Err: fmt.Errorf("get identity: get credentials: %w", credErr)}

	expired := &smithy.OperationError{ServiceID: "Bedrock Runtime", OperationName: "ConverseStream", Err: responseError(403, "req-3", &smithy.GenericAPIError{
		Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid.",
	})}

	tests := []struct {
		err        error
		layer      Layer
		candidates []Layer
		requestID  string
	}{
		{modelErr, LayerOrgPolicy, nil, "req-1"},
		{nested, LayerAssumeRole, []Layer{LayerSourcePolicy, LayerTrustPolicy, LayerOrgPolicy}, "req-2"},
		{expired, LayerCredentials, nil, "req-3"},
	}
	for _, tt := range tests {
		r := Explain(tt.err.Error())
		checkReportInvariants(t, tt.err.Error(), r)
		if r.Layer != tt.layer || !slices.Equal(r.Candidates, tt.candidates) || r.RequestID != tt.requestID {
			t.Errorf("Explain(%q) = %s %v request %q, want %s %v request %q", tt.err, r.Layer, r.Candidates, r.RequestID, tt.layer, tt.candidates, tt.requestID)
		}
	}
	if m := ParseMessage(nested.Error()); !m.AssumeRole || m.Operation != "Converse" || m.Code != "AccessDenied" {
		t.Errorf("nested: AssumeRole %v, Operation %q, Code %q", m.AssumeRole, m.Operation, m.Code)
	}
}

// typicalDenial is a 400-byte Go SDK error string, the middleware's usual
// input.
const typicalDenial = "operation error Bedrock Runtime: InvokeModel, https response error StatusCode: 403, RequestID: 9b1c7e0a-1111-4a2b-9c3d-0123456789ab, AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/BedrockInvoke/app-session is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0 because no identity-based policy allows the bedrock:InvokeModel action"

func BenchmarkExplain(b *testing.B) {
	b.SetBytes(int64(len(typicalDenial)))
	b.ReportAllocs()
	for b.Loop() {
		if Explain(typicalDenial).Layer != LayerRolePermissions {
			b.Fatal("wrong layer")
		}
	}
}

func BenchmarkParseMessage(b *testing.B) {
	b.SetBytes(int64(len(typicalDenial)))
	b.ReportAllocs()
	for b.Loop() {
		if ParseMessage(typicalDenial).Kind != KindIAMDenied {
			b.Fatal("wrong kind")
		}
	}
}

// hostileText is 64 KiB built to make a careless reader quadratic: the
// markers each search looks for, thousands of times, with placeholder values.
var hostileText = strings.Repeat(`requestID: nil, "message": "operation error User: `, (maxMessageText/50)+1)

func BenchmarkExplainHostile(b *testing.B) {
	b.SetBytes(int64(len(hostileText)))
	b.ReportAllocs()
	for b.Loop() {
		Explain(hostileText)
	}
}

// TestJSONQuote checks the hand-written quoting against encoding/json, the
// oracle, on the characters that need escaping.
func TestJSONQuote(t *testing.T) {
	for _, s := range []string{"", "arn:aws:iam::1:role/a", `a"b\c`, "tab\there", "nul\x00", "sep\u2028\u2029", "ünïcødé ✓", "<&>"} {
		got := jsonQuote(s)
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil || back != s {
			t.Errorf("jsonQuote(%q) = %s: decodes to %q, %v", s, got, back, err)
		}
	}
}
