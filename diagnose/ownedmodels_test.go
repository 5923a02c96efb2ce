package diagnose_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// The worlds of internal/awsfake/testdata/modelkinds: provisioned,
// custom, deployed, copied and imported models, their KMS keys in the same
// account and across accounts, and other accounts' models. Each file states
// the layer a human names for the app's call ("layer") and for Run
// ("run"); the app's call is diagnosed in-call through client.NewFromConfig
// + WithRole, then a fresh copy of the world is diagnosed by Run.

const modelKindsDir = "../internal/awsfake/testdata/modelkinds"

// ownedReads are the diagnosis' reads of these worlds: the allow-list of
// scenario_test.go and the reads of model kinds and keys.
var ownedReads = map[string]bool{
	"GetCustomModel": true, "GetImportedModel": true, "GetProvisionedModelThroughput": true, "GetCustomModelDeployment": true,
	"DescribeKey": true, "GetKeyPolicy": true, "ListGrants": true,
}

// kindScenario is a loaded world, served.
type kindScenario struct {
	sc  *awsfake.Scenario
	srv *awsfake.Server
	cfg aws.Config
	opt func(*diagnose.Options)
}

func loadKindScenario(t *testing.T, path string) *kindScenario {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := awsfake.ParseScenario(data)
	if err != nil {
		t.Fatal(err)
	}
	srv := awsfake.NewServer(sc.World)
	t.Cleanup(srv.Close)
	keys, ok := sc.Credentials(sc.Target.Principal)
	if !ok {
		t.Fatalf("no user %s", sc.Target.Principal)
	}
	ks := &kindScenario{sc: sc, srv: srv, cfg: srv.Config(sc.Target.Region, keys)}
	var diag *aws.Config
	if u := sc.App.DiagnosticUser; u != "" {
		c, _ := sc.Credentials(u)
		d := srv.Config(sc.Target.Region, c)
		diag = &d
	}
	ks.opt = func(o *diagnose.Options) {
		o.Budget, o.RateLimit, o.DiagnosticConfig = 10*time.Second, -1, diag
	}
	return ks
}

func TestOwnedModelKinds(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	files, err := filepath.Glob(filepath.Join(modelKindsDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no worlds: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// In-call: the app's own call through the drop-in client.
			ks := loadKindScenario(t, file)
			want := diagnose.Layer(ks.sc.Expect["layer"])
			c := client.NewFromConfig(ks.cfg, client.WithRole(ks.sc.Target.RoleARN), client.WithDiagnosis(ks.opt))
			callErr := runOp(context.Background(), c, ks.sc.Target.Operation, ks.sc.Target.ModelID)
			got, report := diagnose.LayerNone, (*diagnose.Report)(nil)
			var derr *diagnose.Error
			switch {
			case callErr == nil:
			case errors.As(callErr, &derr):
				got, report = derr.Layer(), derr.Report
			default:
				t.Fatalf("the error was not diagnosed: %v", callErr)
			}
			if got != want {
				t.Errorf("in-call layer = %s, want %s\nerror: %v\n%s", got, want, callErr, report)
			}
			app, _ := ks.srv.AppCall()
			if want != diagnose.LayerNone && !slices.Contains(app.Truth, string(want)) {
				t.Errorf("the world's truth %v does not hold %s: the scenario is wrong", app.Truth, want)
			}
			if report != nil {
				checkOwnedFix(t, ks.sc, report)
			}
			assertOwnedReadOnly(t, ks.srv, ks.sc.Target.Operation)

			// Run on a fresh copy of the world.
			ks = loadKindScenario(t, file)
			d := diagnose.NewDiagnoser(ks.cfg, optionsOf(ks.opt))
			r, err := d.Run(context.Background(), diagnose.Target{RoleARN: ks.sc.Target.RoleARN, ModelID: ks.sc.Target.ModelID, Operation: ks.sc.Target.Operation})
			if err != nil {
				t.Fatal(err)
			}
			if wantRun := diagnose.Layer(ks.sc.Expect["run"]); r.Layer != wantRun {
				t.Errorf("Run layer = %s, want %s\n%s", r.Layer, wantRun, r)
			}
			if r.Layer != diagnose.LayerNone {
				checkOwnedFix(t, ks.sc, r)
			}
			assertOwnedReadOnly(t, ks.srv, "")
		})
	}
}

func optionsOf(f func(*diagnose.Options)) diagnose.Options {
	var o diagnose.Options
	f(&o)
	return o
}

// checkOwnedFix checks that a report's fix names the real ARNs: the model
// ARN for a role's permissions, the key for a key, and never a policy for
// another account's model.
func checkOwnedFix(t *testing.T, sc *awsfake.Scenario, r *diagnose.Report) {
	t.Helper()
	switch r.Layer {
	case diagnose.LayerRolePermissions:
		if !strings.Contains(r.FixPolicy, sc.Target.ModelID) {
			t.Errorf("the fix policy does not name %s:\n%s", sc.Target.ModelID, r.FixPolicy)
		}
	case diagnose.LayerKeyPolicy:
		if !strings.Contains(r.Fix+r.FixPolicy+r.FixPlace, "arn:aws:kms:") || !strings.Contains(r.Summary+r.Fix, "key") {
			t.Errorf("the key-policy fix names no key:\nsummary: %s\nfix: %s\npolicy: %s\nplace: %s", r.Summary, r.Fix, r.FixPolicy, r.FixPlace)
		}
		if r.FixPolicy != "" && !strings.Contains(r.FixPolicy, "kms:Decrypt") {
			t.Errorf("the key-policy fix policy does not allow kms:Decrypt:\n%s", r.FixPolicy)
		}
	case diagnose.LayerModelID:
		if r.FixPolicy != "" {
			t.Errorf("a model-id verdict with a fix policy: %s", r.FixPolicy)
		}
		if strings.Contains(sc.Target.ModelID, ":333333333333:") && !strings.Contains(r.Fix, "RAM") {
			t.Errorf("another account's model: the fix does not say how to share it: %s", r.Fix)
		}
	}
}

// assertOwnedReadOnly checks from the fake's log that the diagnosis made
// only reads; op is the app's call ("" for Run, which makes none).
func assertOwnedReadOnly(t *testing.T, srv *awsfake.Server, op string) {
	t.Helper()
	for _, e := range srv.Log() {
		if e.Service == "bedrock-runtime" {
			if e.Action != op {
				t.Errorf("unexpected runtime call %s", e.Action)
			}
			continue
		}
		if !readOnly[e.Action] && !ownedReads[e.Action] {
			t.Errorf("the diagnosis called %s:%s, which is not a read", e.Service, e.Action)
		}
	}
}

// TestKeyPolicyAcrossAccountsUnread: a key of another account whose policy
// refuses the role, diagnosed without credentials of that account: Run
// cannot read the key policy (GetKeyPolicy does not work across accounts),
// so it says unknown, names the key and the read that would decide.
func TestKeyPolicyAcrossAccountsUnread(t *testing.T) {
	ks := loadKindScenario(t, filepath.Join(modelKindsDir, "kinds-copied-key-policy-cross-account.json"))
	r, err := diagnose.NewDiagnoser(ks.cfg, diagnose.Options{RateLimit: -1}).Run(context.Background(),
		diagnose.Target{RoleARN: ks.sc.Target.RoleARN, ModelID: ks.sc.Target.ModelID, Operation: ks.sc.Target.Operation})
	if err != nil {
		t.Fatal(err)
	}
	if r.Layer != diagnose.LayerUnknown || !slices.Contains(r.Candidates, diagnose.LayerKeyPolicy) {
		t.Fatalf("layer %s, candidates %v; want unknown with key-policy\n%s", r.Layer, r.Candidates, r)
	}
	for _, c := range r.Checks {
		if c.Name == "key-policy.evaluate" {
			if c.Status != diagnose.StatusUnknown || !strings.Contains(c.Needs, "kms:GetKeyPolicy on arn:aws:kms:us-east-1:444444444444:key/") || !strings.Contains(c.Needs, "444444444444") {
				t.Errorf("key check: %+v", c)
			}
			return
		}
	}
	t.Errorf("no key-policy.evaluate check\n%s", r)
}

// TestGuardrailKey: the guardrail a Converse call applies is encrypted
// with a key whose policy refuses the role: key-policy in-call and by Run.
func TestGuardrailKey(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	const (
		model = "amazon.titan-text-express-v1"
		role  = "arn:aws:iam::222222222222:role/App"
	)
	w := awsfake.NewWorld()
	w.Model(awsfake.FoundationModel{ID: model, Provider: "Amazon", Regions: []string{"us-east-1"}, OnDemand: true})
	src, tgt := w.Account("111111111111"), w.Account("222222222222")
	app := src.User("app").Inline("a", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+role+`"}]}`)
	tgt.Role("App", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/app"},"Action":"sts:AssumeRole"}]}`).
		Inline("p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["bedrock:*","kms:*","iam:Get*","iam:List*","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`)
	key := tgt.KMSKey("us-east-1", "guard-key", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/GuardrailAdmin"},"Action":"kms:*","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"`+role+`"},"Action":["kms:DescribeKey","kms:GetKeyPolicy","kms:ListGrants"],"Resource":"*"}]}`)
	br := tgt.Bedrock("us-east-1")
	br.Guardrail("gr01", "pii", "1")
	br.EncryptGuardrail("gr01", key)
	srv := awsfake.NewServer(w)
	defer srv.Close()
	cfg := srv.Config("us-east-1", app.AccessKey())
	opt := func(o *diagnose.Options) { o.Budget, o.RateLimit = 10*time.Second, -1 }
	c := client.NewFromConfig(cfg, client.WithRole(role), client.WithDiagnosis(opt))
	err := converseWithGuardrail(context.Background(), c, model, "gr01", "1")
	var derr *diagnose.Error
	if !errors.As(err, &derr) || derr.Layer() != diagnose.LayerKeyPolicy {
		t.Fatalf("in-call: %v", err)
	}
	if !strings.Contains(derr.Report.FixPolicy, key) && !strings.Contains(derr.Report.FixPlace, key) {
		t.Errorf("the fix does not name the key:\n%s", derr.Report)
	}
	r, err := diagnose.NewDiagnoser(cfg, optionsOf(opt)).Run(context.Background(), diagnose.Target{RoleARN: role, ModelID: model, Operation: "Converse", GuardrailID: "gr01", GuardrailVersion: "1"})
	if err != nil || r.Layer != diagnose.LayerKeyPolicy {
		t.Fatalf("Run: %v\n%s", err, r)
	}
}

// converseWithGuardrail makes a Converse call that applies a guardrail.
func converseWithGuardrail(ctx context.Context, c *bedrockruntime.Client, model, guardrail, version string) error {
	_, err := c.Converse(ctx, &bedrockruntime.ConverseInput{
		ModelId:         aws.String(model),
		Messages:        []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}},
		GuardrailConfig: &types.GuardrailConfiguration{GuardrailIdentifier: aws.String(guardrail), GuardrailVersion: aws.String(version)},
	})
	return err
}

// TestExplainKeyAndKindTexts reads real KMS denials (as KMS words them and
// as other services pass them through) and the IAM grammar on another
// account's model: the key refuses (key-policy) unless an organization's
// policy is named; no policy opens another account's model (model-id).
func TestExplainKeyAndKindTexts(t *testing.T) {
	tests := []struct {
		name, text string
		want       diagnose.Layer
		fix        string // a substring of Fix
	}{
		// https://github.com/jbrt/ec2cryptomatic/issues/26
		{"KMS's own text, key policy", "AccessDeniedException: User: arn:aws:iam::391582400000:user/EC2Cryptomatic is not authorized to perform: kms:DescribeKey on resource: arn:aws:kms:us-west-2:391582400000:key/5f2e1a9c-048e-4be0-b497-ca151cd223c5 because no resource-based policy allows the kms:DescribeKey action.",
			diagnose.LayerKeyPolicy, "key policy"},
		// https://github.com/4dn-dcic/tibanna/issues/402 (Lambda passes KMS's text through)
		{"passed through by another service", "Lambda was unable to decrypt the environment variables because KMS access was denied. Please check the function's KMS key settings. KMS Exception: AccessDeniedExceptionKMS Message: User: arn:aws:sts::111122223333:assumed-role/tibanna_a_run_task_awsem/run_task_awsem_tibanna_a is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab because no resource-based policy allows the kms:Decrypt action (Service: Lambda, Status Code: 502, Request ID: ID)",
			diagnose.LayerKeyPolicy, "key policy"},
		// https://github.com/ministryofjustice/modernisation-platform/pull/11726
		{"the key leaves it to IAM", "AccessDenied: User: arn:aws:sts::624384546187:assumed-role/cortex_xsiam20240930112820077540000001/xdr-collection is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:eu-west-2:624384546187:key/b997e702-260d-456b-95c4-270624f53307 because no identity-based policy allows the kms:Decrypt action status code: 403",
			diagnose.LayerKeyPolicy, "Allow kms:Decrypt on arn:aws:kms:eu-west-2:624384546187:key/b997e702-260d-456b-95c4-270624f53307"},
		{"an SCP denies the key", "AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/App/s is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:222222222222:key/k1 with an explicit deny in a service control policy",
			diagnose.LayerOrgPolicy, ""},
		// The IAM grammar on another account's model (UNCONFIRMED wording for Bedrock).
		{"another account's deployment", "operation error Bedrock Runtime: InvokeModel, https response error StatusCode: 403, RequestID: r, AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/App/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1:333333333333:custom-model-deployment/dep1 because no resource-based policy allows the bedrock:InvokeModel action",
			diagnose.LayerModelID, "AWS RAM"},
		{"a custom model's own ARN", "AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/App/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1:222222222222:custom-model/amazon.titan-text-express-v1/ft1 because no identity-based policy allows the bedrock:InvokeModel action",
			diagnose.LayerModelID, "CreateCustomModelDeployment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := diagnose.Explain(tt.text)
			if r.Layer != tt.want || !strings.Contains(r.Fix, tt.fix) {
				t.Errorf("layer %s, want %s; fix %q lacks %q", r.Layer, tt.want, r.Fix, tt.fix)
			}
		})
	}
}

// TestCustomModelOnDemandInCall: the role may invoke the custom model's
// own ARN, and Bedrock answers that it does not support on-demand
// throughput: the fix deploys it (or buys Provisioned Throughput), never an
// inference profile.
func TestCustomModelOnDemandInCall(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	ks := loadKindScenario(t, filepath.Join(modelKindsDir, "kinds-custom-model-arn.json"))
	ks.sc.World.RoleByARN(ks.sc.Target.RoleARN).Inline("custom", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:us-east-1:222222222222:custom-model/*"}]}`)
	c := client.NewFromConfig(ks.cfg, client.WithRole(ks.sc.Target.RoleARN), client.WithDiagnosis(ks.opt))
	err := runOp(context.Background(), c, ks.sc.Target.Operation, ks.sc.Target.ModelID)
	var derr *diagnose.Error
	if !errors.As(err, &derr) || derr.Layer() != diagnose.LayerModelID {
		t.Fatalf("%v", err)
	}
	if r := derr.Report; !strings.Contains(err.Error(), "doesn't support on-demand throughput") || !strings.Contains(r.Fix, "CreateCustomModelDeployment") || strings.Contains(r.Fix, "inference profile") {
		t.Errorf("fix: %s\n%s", r.Fix, r)
	}
}
