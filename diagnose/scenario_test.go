package diagnose_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// The scenario matrix: every layer × operation × model kind × diagnostic
// permissions, against the local AWS with the real SDK. Each scenario states
// the policies a user really has and the layer a human would name; the code
// under test never computes the expectation.

const (
	srcAcct  = "111111111111"
	tgtAcct  = "222222222222"
	mgmtAcct = "999999999999"
	haiku    = "anthropic.claude-3-haiku-20240307-v1:0"  // on demand
	sonnet   = "anthropic.claude-sonnet-4-20250514-v1:0" // inference profiles only
	usSonnet = "us." + sonnet
	appProf  = "appprof01abcd"
	roleName = "BedrockAccess"
	roleARN  = "arn:aws:iam::" + tgtAcct + ":role/" + roleName
	appARN   = "arn:aws:iam::" + srcAcct + ":user/app"
)

// tier is how much the diagnosing principals may read.
type tier string

const (
	tierNone tier = "none" // no diagnostic permission at all
	tierSome tier = "some" // the role may read Bedrock's catalog
	tierFull tier = "full" // + IAM simulation on both sides, an auditor in the target account
	tierRead tier = "read" // the role may read Bedrock's catalog and its own policies, not simulate
)

type modelKind string

const (
	kindFM      modelKind = "foundation-model"
	kindProfile modelKind = "system-profile"
	kindApp     modelKind = "app-profile"
)

// spec is a world as its owners wrote it. Scenarios change one thing.
type spec struct {
	sourcePolicy string // the app user's identity policy
	trust        string // the role's trust policy
	rolePolicy   string // the role's Bedrock permissions
	scp          string // an SCP on the target account, "" none
	endpoint     string // a VPC endpoint policy the app's traffic crosses, "" none
	access       awsfake.AccessState
	badKey       bool   // the app's access key is not one AWS issued
	externalID   string // the app passes this ExternalId
	plainClient  bool   // the app signs with its user (AppendDiagnosis + RoleARN)
	ownStscreds  bool   // the app assumes the role with stscreds itself (AppendDiagnosis + RoleARN)
	region       string // the app's region, default us-east-1
	model        string // overrides the model id of the kind
	routeTo      string // the destination a profile routes this call to
	boundary     string // the role's permissions boundary, "" none
	sessionPol   string // the session policy the app passes to AssumeRole
	roleTags     map[string]string
}

func policy(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

var (
	allowAssume    = `{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + roleARN + `"}`
	trustApp       = policy(`{"Effect":"Allow","Principal":{"AWS":"` + appARN + `"},"Action":"sts:AssumeRole"}`)
	allowInvokeAll = `{"Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],"Resource":["arn:aws:bedrock:*::foundation-model/*","arn:aws:bedrock:*:` + tgtAcct + `:inference-profile/*","arn:aws:bedrock:*:` + tgtAcct + `:application-inference-profile/*"]}`
	readBedrock    = `{"Effect":"Allow","Action":["bedrock:GetFoundationModel","bedrock:ListFoundationModels","bedrock:GetInferenceProfile","bedrock:ListInferenceProfiles","bedrock:GetFoundationModelAvailability","bedrock:GetUseCaseForModelAccess"],"Resource":"*"}`
	simulateRole   = `{"Effect":"Allow","Action":["iam:SimulatePrincipalPolicy","iam:GetRole"],"Resource":"` + roleARN + `"}`
	simulateSelf   = `{"Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"` + appARN + `"}`
	readOwnPolicy  = `{"Effect":"Allow","Action":["iam:GetRole","iam:ListRolePolicies","iam:GetRolePolicy","iam:ListAttachedRolePolicies"],"Resource":"` + roleARN + `"},{"Effect":"Allow","Action":["iam:GetPolicy","iam:GetPolicyVersion"],"Resource":"arn:aws:iam::` + tgtAcct + `:policy/*"}`
)

func healthy() spec {
	return spec{
		sourcePolicy: policy(allowAssume),
		trust:        trustApp,
		rolePolicy:   policy(allowInvokeAll),
		access:       awsfake.AccessAuthorized,
	}
}

// world is a built scenario: the server and what the app holds.
type world struct {
	w        *awsfake.World
	logs     *syncBuffer // everything the library logged
	srv      *awsfake.Server
	appKey   awsfake.Credentials
	auditor  awsfake.Credentials
	appARN   string // application inference profile ARN
	region   string
	modelIDs map[modelKind]string
}

func build(t testing.TB, sp spec, tr tier) *world {
	t.Helper()
	w := awsfake.NewWorld()
	w.Model(awsfake.FoundationModel{ID: haiku, Name: "Claude 3 Haiku", Provider: "Anthropic", Regions: []string{"us-east-1", "us-east-2", "us-west-2"}, OnDemand: true, Marketplace: true})
	w.Model(awsfake.FoundationModel{ID: sonnet, Name: "Claude Sonnet 4", Provider: "Anthropic", Regions: []string{"us-east-1", "us-east-2", "us-west-2"}, Marketplace: true})
	w.Profile(awsfake.SystemProfile{ID: usSonnet, Name: "US Claude Sonnet 4", ModelID: sonnet,
		Sources: []string{"us-east-1", "us-east-2", "us-west-2"}, Destinations: []string{"us-east-1", "us-east-2", "us-west-2"}})

	org := w.Organization("o-abcd1234", mgmtAcct)
	src := w.Account(srcAcct)
	tgt := w.Account(tgtAcct).InOrg(org)
	if sp.scp != "" {
		tgt.SCP("p-regiondeny", sp.scp)
	}

	srcPolicy := sp.sourcePolicy
	if tr == tierFull {
		srcPolicy = strings.TrimSuffix(srcPolicy, "]}") + "," + simulateSelf + "]}"
	}
	app := src.User("app").Inline("app", srcPolicy)
	rolePolicy := sp.rolePolicy
	switch tr {
	case tierSome:
		rolePolicy = strings.TrimSuffix(rolePolicy, "]}") + "," + readBedrock + "]}"
	case tierFull:
		rolePolicy = strings.TrimSuffix(rolePolicy, "]}") + "," + readBedrock + "," + simulateRole + "]}"
	case tierRead:
		rolePolicy = strings.TrimSuffix(rolePolicy, "]}") + "," + readBedrock + "," + readOwnPolicy + "]}"
	}
	role := tgt.Role(roleName, sp.trust).Inline("bedrock", rolePolicy)
	for k, v := range sp.roleTags {
		role.Tag(k, v)
	}
	if sp.boundary != "" {
		role.Boundary(tgt.ManagedPolicy("BedrockBoundary", sp.boundary))
	}

	region := sp.region
	if region == "" {
		region = "us-east-1"
	}
	for _, r := range []string{"us-east-1", "us-east-2", "us-west-2"} {
		tgt.Bedrock(r).Access(haiku, sp.access).Access(sonnet, sp.access)
	}
	wd := &world{w: w, region: region, logs: &syncBuffer{}}
	wd.appARN = tgt.Bedrock("us-east-1").ApplicationProfile(appProf, "team-app", sonnet, "us-east-1", "us-west-2")
	wd.appKey = app.AccessKey()
	if sp.badKey {
		wd.appKey = awsfake.Credentials{AccessKeyID: "AKIANOTISSUEDBYAWS00", SecretAccessKey: "not-a-real-secret"}
	}
	if tr == tierFull {
		wd.auditor = tgt.User("auditor").Inline("read", policy(simulateRole, readBedrock)).AccessKey()
	}
	if sp.endpoint != "" {
		w.VPCEndpoint("vpce-0abc1234", "bedrock-runtime", sp.endpoint)
		w.RouteThroughEndpoint(wd.appKey.AccessKeyID, "vpce-0abc1234")
	}
	wd.srv = awsfake.NewServer(w)
	t.Cleanup(wd.srv.Close)
	if sp.routeTo != "" {
		dest := sp.routeTo
		wd.srv.SetRouter(func(_, _ string, dests []string) string { return dest })
	}
	wd.modelIDs = map[modelKind]string{kindFM: haiku, kindProfile: usSonnet, kindApp: wd.appARN}
	return wd
}

// call makes the app's call with the drop-in client and returns its error.
func (wd *world) call(t *testing.T, sp spec, tr tier, op string, model string) error {
	t.Helper()
	cfg := wd.srv.Config(wd.region, wd.appKey)
	diag := func(o *diagnose.Options) {
		o.Budget = 10 * time.Second // generous: -race on a shared machine
		o.RateLimit = -1
		o.Logger = slog.New(slog.NewJSONHandler(wd.logs, nil))
		if tr == tierFull {
			a := wd.srv.Config(wd.region, wd.auditor)
			o.DiagnosticConfig = &a
		}
	}
	var c *bedrockruntime.Client
	if sp.ownStscreds {
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleARN))
	}
	if sp.plainClient || sp.ownStscreds {
		client.AppendDiagnosis(&cfg.APIOptions, cfg, diag, func(o *diagnose.Options) { o.RoleARN = roleARN })
		c = bedrockruntime.NewFromConfig(cfg)
	} else {
		var roleOpts []func(*stscreds.AssumeRoleOptions)
		if sp.externalID != "" {
			roleOpts = append(roleOpts, func(o *stscreds.AssumeRoleOptions) { o.ExternalID = aws.String(sp.externalID) })
		}
		if sp.sessionPol != "" {
			roleOpts = append(roleOpts, func(o *stscreds.AssumeRoleOptions) { o.Policy = aws.String(sp.sessionPol) })
		}
		c = client.NewFromConfig(cfg, client.WithRole(roleARN, roleOpts...), client.WithDiagnosis(diag))
	}
	return runOp(context.Background(), c, op, model)
}

func runOp(ctx context.Context, c *bedrockruntime.Client, op, model string) error {
	msgs := []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}}
	body := []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`)
	switch op {
	case "InvokeModel":
		_, err := c.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String(model), ContentType: aws.String("application/json"), Body: body})
		return err
	case "Converse":
		_, err := c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(model), Messages: msgs})
		return err
	case "ConverseStream":
		out, err := c.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{ModelId: aws.String(model), Messages: msgs})
		if err != nil {
			return err
		}
		for range out.GetStream().Events() {
		}
		return out.GetStream().Close()
	case "InvokeModelWithResponseStream":
		out, err := c.InvokeModelWithResponseStream(ctx, &bedrockruntime.InvokeModelWithResponseStreamInput{ModelId: aws.String(model), ContentType: aws.String("application/json"), Body: body})
		if err != nil {
			return err
		}
		for range out.GetStream().Events() {
		}
		return out.GetStream().Close()
	}
	panic("unknown op " + op)
}

// scenario is one broken (or healthy) world and the layer it must be named.
type scenario struct {
	name  string
	spec  func() spec
	kinds []modelKind
	// want is the layer with full diagnostic permissions; lesser tiers may
	// also answer one of honest (e.g. assume-role, unknown), never another.
	want   diagnose.Layer
	honest map[tier][]diagnose.Layer
}

var allKinds = []modelKind{kindFM, kindProfile, kindApp}
var profileKinds = []modelKind{kindProfile, kindApp}

var undecidedAssume = map[tier][]diagnose.Layer{tierNone: {diagnose.LayerAssumeRole}, tierSome: {diagnose.LayerAssumeRole}, tierRead: {diagnose.LayerAssumeRole}}

func scenarios() []scenario {
	return []scenario{
		{name: "healthy", spec: healthy, kinds: allKinds, want: diagnose.LayerNone},
		{name: "credentials/invalid-key", kinds: allKinds, want: diagnose.LayerCredentials,
			spec: func() spec { s := healthy(); s.badKey = true; return s }},
		{name: "source-policy/no-assume-allow", kinds: allKinds, want: diagnose.LayerSourcePolicy, honest: undecidedAssume,
			spec: func() spec {
				s := healthy()
				s.sourcePolicy = policy(`{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}`)
				return s
			}},
		{name: "trust-policy/wrong-account", kinds: allKinds, want: diagnose.LayerTrustPolicy, honest: undecidedAssume,
			spec: func() spec {
				s := healthy()
				s.trust = policy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"sts:AssumeRole"}`)
				return s
			}},
		{name: "trust-policy/external-id", kinds: []modelKind{kindFM}, want: diagnose.LayerTrustPolicy, honest: undecidedAssume,
			spec: func() spec {
				s := healthy()
				s.trust = policy(`{"Effect":"Allow","Principal":{"AWS":"` + appARN + `"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"expected-id"}}}`)
				s.externalID = "other-id"
				return s
			}},
		{name: "wrong-principal/user-signs", kinds: allKinds, want: diagnose.LayerWrongPrincipal,
			spec: func() spec { s := healthy(); s.plainClient = true; return s }},
		{name: "role-permissions/no-bedrock", kinds: allKinds, want: diagnose.LayerRolePermissions,
			spec: func() spec {
				s := healthy()
				s.rolePolicy = policy(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`)
				return s
			}},
		{name: "healthy/app-assumes-the-role-itself", kinds: allKinds, want: diagnose.LayerNone,
			spec: func() spec { s := healthy(); s.ownStscreds = true; return s }},
		{name: "role-permissions/app-assumes-the-role-itself", kinds: allKinds, want: diagnose.LayerRolePermissions,
			spec: func() spec { s := noBedrock(); s.ownStscreds = true; return s }},
		{name: "role-permissions/destination-region", kinds: profileKinds, want: diagnose.LayerRolePermissions,
			spec: func() spec {
				s := healthy()
				s.rolePolicy = policy(`{"Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],"Resource":["arn:aws:bedrock:us-east-1::foundation-model/*","arn:aws:bedrock:*:` + tgtAcct + `:inference-profile/*","arn:aws:bedrock:*:` + tgtAcct + `:application-inference-profile/*"]}`)
				s.routeTo = "us-west-2"
				return s
			}},
		{name: "role-permissions/explicit-deny", kinds: allKinds, want: diagnose.LayerRolePermissions,
			spec: func() spec {
				s := healthy()
				s.rolePolicy = policy(allowInvokeAll, `{"Sid":"NoClaude","Effect":"Deny","Action":"bedrock:*","Resource":"arn:aws:bedrock:*::foundation-model/anthropic.*"}`)
				return s
			}},
		{name: "role-permissions/boundary", kinds: allKinds, want: diagnose.LayerRolePermissions,
			spec: func() spec {
				s := healthy()
				s.boundary = policy(`{"Effect":"Allow","Action":["s3:*","iam:*","sts:*"],"Resource":"*"}`, `{"Effect":"Allow","Action":"bedrock:Get*","Resource":"*"}`)
				return s
			}},
		{name: "role-permissions/session-policy", kinds: []modelKind{kindFM}, want: diagnose.LayerRolePermissions,
			spec: func() spec {
				s := healthy()
				s.sessionPol = policy(`{"Effect":"Allow","Action":["s3:GetObject","bedrock:Get*","iam:SimulatePrincipalPolicy","iam:GetRole"],"Resource":"*"}`)
				return s
			}},
		{name: "org-policy/region-deny-scp", kinds: profileKinds, want: diagnose.LayerOrgPolicy,
			spec: func() spec {
				s := healthy()
				s.scp = policy(`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","us-east-2"]}}}`)
				s.routeTo = "us-west-2"
				return s
			}},
		{name: "endpoint-policy/deny-bedrock", kinds: allKinds, want: diagnose.LayerEndpointPolicy,
			spec: func() spec {
				s := healthy()
				s.endpoint = policy(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`, `{"Effect":"Deny","Principal":"*","Action":"bedrock:*","Resource":"*"}`)
				return s
			}},
		{name: "model-access/marketplace", kinds: []modelKind{kindFM, kindProfile}, want: diagnose.LayerModelAccess,
			spec: func() spec { s := healthy(); s.access = awsfake.AccessSubscriptionFailed; return s }},
		{name: "model-access/use-case-form", kinds: []modelKind{kindFM}, want: diagnose.LayerModelAccess,
			spec: func() spec { s := healthy(); s.access = awsfake.AccessUseCaseMissing; return s }},
		{name: "model-access/not-available", kinds: []modelKind{kindFM}, want: diagnose.LayerModelAccess,
			spec: func() spec { s := healthy(); s.access = awsfake.AccessNotAvailable; return s }},
		{name: "model-id/on-demand-unsupported", kinds: []modelKind{kindFM}, want: diagnose.LayerModelID,
			spec: func() spec { s := healthy(); s.model = sonnet; return s }},
		{name: "model-id/typo", kinds: []modelKind{kindFM}, want: diagnose.LayerModelID,
			honest: map[tier][]diagnose.Layer{tierNone: {diagnose.LayerUnknown}},
			spec:   func() spec { s := healthy(); s.model = "anthropic.claude-3-haiku-20240307-v9:0"; return s }},
		{name: "region/model-not-offered", kinds: []modelKind{kindFM}, want: diagnose.LayerRegion,
			honest: map[tier][]diagnose.Layer{tierNone: {diagnose.LayerUnknown}},
			spec:   func() spec { s := healthy(); s.region = "eu-central-1"; return s }},
	}
}

var operations = []string{"InvokeModel", "Converse", "ConverseStream", "InvokeModelWithResponseStream"}

// readOnly is the diagnosis' allow-list; anything else in the log that is
// not the app's own call is a defect.
var readOnly = map[string]bool{
	"GetCallerIdentity": true, "AssumeRole": true, "SimulatePrincipalPolicy": true, "SimulateCustomPolicy": true,
	"GetRole": true, "GetUser": true, "ListRolePolicies": true, "GetRolePolicy": true, "ListAttachedRolePolicies": true,
	"GetPolicy": true, "GetPolicyVersion": true, "GetContextKeysForPrincipalPolicy": true,
	"GetFoundationModel": true, "ListFoundationModels": true, "GetInferenceProfile": true, "ListInferenceProfiles": true,
	"GetFoundationModelAvailability": true, "GetUseCaseForModelAccess": true, "GetGuardrail": true,
}

type tally struct {
	mu                    sync.Mutex
	total, exact, honest_ int
	wrong                 []string
}

func TestScenarioMatrix(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	var tl tally
	for _, sc := range scenarios() {
		for _, kind := range sc.kinds {
			for _, tr := range []tier{tierFull, tierRead, tierSome, tierNone} {
				for _, op := range operations {
					name := fmt.Sprintf("%s/%s/%s/%s", sc.name, kind, tr, op)
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						sp := sc.spec()
						wd := build(t, sp, tr)
						model := wd.modelIDs[kind]
						if sp.model != "" {
							model = sp.model
						}
						err := wd.call(t, sp, tr, op, model)
						got := diagnose.LayerNone
						var derr *diagnose.Error
						switch {
						case err == nil:
						case errors.As(err, &derr):
							got = derr.Layer()
						default:
							got = "(not diagnosed)"
						}
						tl.mu.Lock()
						tl.total++
						switch {
						case got == sc.want:
							tl.exact++
						case slices.Contains(sc.honest[tr], got):
							tl.honest_++
						default:
							tl.wrong = append(tl.wrong, name+": got "+string(got))
							report := ""
							if derr != nil {
								report = derr.Report.String()
							}
							t.Errorf("layer = %s, want %s (or %v)\nerror: %v\n%s", got, sc.want, sc.honest[tr], err, report)
						}
						tl.mu.Unlock()
						assertReadOnly(t, wd.srv, op)
						assertNoSecrets(t, wd, err)
					})
				}
			}
		}
	}
	t.Cleanup(func() {
		t.Logf("scenario matrix: %d runs, %d exact, %d honest (unknown/assume-role with fewer permissions), %d wrong", tl.total, tl.exact, tl.honest_, len(tl.wrong))
	})
}

// assertReadOnly checks from the fake's log that the diagnosis made only
// read calls, and that the app's Bedrock call was made exactly once.
func assertReadOnly(t *testing.T, srv *awsfake.Server, op string) {
	t.Helper()
	runtimeCalls := 0
	for _, e := range srv.Log() {
		if e.Service == "bedrock-runtime" {
			runtimeCalls++
			if e.Action != op {
				t.Errorf("unexpected runtime call %s", e.Action)
			}
			continue
		}
		if !readOnly[e.Action] {
			t.Errorf("the diagnosis called %s:%s, which is not on the read-only allow-list", e.Service, e.Action)
		}
	}
	if runtimeCalls > 1 {
		t.Errorf("the app's call reached Bedrock %d times, want at most once", runtimeCalls)
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// assertNoSecrets scans everything the app could see or log — the error's
// text, its report as text and JSON, the error logged through slog, and the
// library's own log — for any secret the fake issued.
func assertNoSecrets(t *testing.T, wd *world, err error) {
	t.Helper()
	var out strings.Builder
	if err != nil {
		out.WriteString(err.Error())
		slog.New(slog.NewJSONHandler(&out, nil)).Error("call failed", "err", err)
		var derr *diagnose.Error
		if errors.As(err, &derr) {
			out.WriteString(derr.Report.String())
			js, _ := json.Marshal(derr.Report)
			out.Write(js)
		}
	}
	out.WriteString(wd.logs.String())
	text := out.String()
	secrets := wd.w.IssuedSecrets()
	if len(secrets) == 0 {
		t.Fatalf("the fake issued no secrets: the scan would prove nothing")
	}
	for _, secret := range secrets {
		if strings.Contains(text, secret) {
			t.Fatalf("a secret the fake issued appears in the app's output")
		}
	}
}
