package awsfake

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

func userMessage(text string) []types.Message {
	return []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: text}}}}
}

func converse(cfg aws.Config, model string) (*bedrockruntime.ConverseOutput, error) {
	return bedrockruntime.NewFromConfig(cfg).Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String(model), Messages: userMessage("hello there")})
}

func TestRuntimeOperations(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	br := bedrockruntime.NewFromConfig(f.roleCfg())

	t.Run("InvokeModel", func(t *testing.T) {
		out, err := br.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String(haiku), ContentType: aws.String("application/json"),
			Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`)})
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Content []struct{ Text string } `json:"content"`
		}
		if err := json.Unmarshal(out.Body, &body); err != nil || len(body.Content) != 1 || body.Content[0].Text != "Hello from awsfake." {
			t.Errorf("body %s (%v)", out.Body, err)
		}
		if *out.ContentType != "application/json" {
			t.Errorf("content type %s", *out.ContentType)
		}
	})
	t.Run("Converse through a profile ARN", func(t *testing.T) {
		out, err := converse(f.roleCfg(), "arn:aws:bedrock:us-east-1:222222222222:inference-profile/"+usSonnet)
		if err != nil {
			t.Fatal(err)
		}
		msg := out.Output.(*types.ConverseOutputMemberMessage).Value
		if text := msg.Content[0].(*types.ContentBlockMemberText).Value; text != "Hello from awsfake." || out.StopReason != types.StopReasonEndTurn || *out.Usage.OutputTokens != 4 {
			t.Errorf("got %q %s %d", text, out.StopReason, *out.Usage.OutputTokens)
		}
	})
	t.Run("ConverseStream", func(t *testing.T) {
		out, err := br.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{ModelId: aws.String(glSonnet), Messages: userMessage("hi")})
		if err != nil {
			t.Fatal(err)
		}
		stream := out.GetStream()
		var kinds []string
		var text string
		for ev := range stream.Events() {
			switch v := ev.(type) {
			case *types.ConverseStreamOutputMemberMessageStart:
				kinds = append(kinds, "start")
			case *types.ConverseStreamOutputMemberContentBlockDelta:
				kinds = append(kinds, "delta")
				text += v.Value.Delta.(*types.ContentBlockDeltaMemberText).Value
			case *types.ConverseStreamOutputMemberContentBlockStop:
				kinds = append(kinds, "stop")
			case *types.ConverseStreamOutputMemberMessageStop:
				kinds = append(kinds, "messageStop:"+string(v.Value.StopReason))
			case *types.ConverseStreamOutputMemberMetadata:
				kinds = append(kinds, "metadata")
			}
		}
		if err := stream.Close(); err != nil {
			t.Fatal(err)
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(kinds, ","), "start,delta,stop,messageStop:end_turn,metadata"; got != want || text != "Hello from awsfake." {
			t.Errorf("events %s text %q, want %s", got, text, want)
		}
	})
	t.Run("InvokeModelWithResponseStream", func(t *testing.T) {
		out, err := br.InvokeModelWithResponseStream(ctx, &bedrockruntime.InvokeModelWithResponseStreamInput{ModelId: aws.String(usSonnet), Body: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		var chunks []string
		for ev := range out.GetStream().Events() {
			if c, ok := ev.(*types.ResponseStreamMemberChunk); ok {
				chunks = append(chunks, string(c.Value.Bytes))
			}
		}
		if err := out.GetStream().Err(); err != nil {
			t.Fatal(err)
		}
		if len(chunks) != 2 || !strings.Contains(strings.Join(chunks, ""), `"text":"Hello from awsfake."`) {
			t.Errorf("chunks %q", chunks)
		}
	})
	t.Run("CountTokens", func(t *testing.T) {
		out, err := br.CountTokens(ctx, &bedrockruntime.CountTokensInput{ModelId: aws.String(haiku),
			Input: &types.CountTokensInputMemberInvokeModel{Value: types.InvokeModelTokensRequest{Body: []byte("one two three")}}})
		if err != nil {
			t.Fatal(err)
		}
		if *out.InputTokens != 3 {
			t.Errorf("InputTokens = %d, want 3", *out.InputTokens)
		}
		_, err = br.CountTokens(ctx, &bedrockruntime.CountTokensInput{ModelId: aws.String(usSonnet),
			Input: &types.CountTokensInputMemberInvokeModel{Value: types.InvokeModelTokensRequest{Body: []byte("x")}}})
		var ve *types.ValidationException
		if !errors.As(err, &ve) || ve.ErrorMessage() != "The provided model doesn't support counting tokens." {
			t.Errorf("CountTokens on a profile: %v", err)
		}
	})
	t.Run("ApplyGuardrail", func(t *testing.T) {
		out, err := br.ApplyGuardrail(ctx, &bedrockruntime.ApplyGuardrailInput{GuardrailIdentifier: aws.String("gr1abc"), GuardrailVersion: aws.String("1"),
			Source: types.GuardrailContentSourceInput, Content: []types.GuardrailContentBlock{&types.GuardrailContentBlockMemberText{Value: types.GuardrailTextBlock{Text: aws.String("hi")}}}})
		if err != nil {
			t.Fatal(err)
		}
		if out.Action != types.GuardrailActionNone {
			t.Errorf("Action = %s", out.Action)
		}
	})
}

// TestDenialLayers makes the world deny for each layer of DESIGN.md's table
// and checks the exact answer AWS gives for it.
func TestDenialLayers(t *testing.T) {
	const sess = "arn:aws:sts::222222222222:assumed-role/BedrockInvoker/sess"
	roleSession := func(f *fixture) aws.Config {
		return f.roleCfg(func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "sess" })
	}
	tests := []struct {
		layer, name string
		setup       func(f *fixture) aws.Config
		model       string
		calls       int // the call that fails (1-based); earlier ones succeed
		code, msg   string
		status      int
	}{
		{layer: "credentials", name: "unknown access key", setup: func(f *fixture) aws.Config {
			return f.cfg(Credentials{AccessKeyID: "AKIAGONE000000000000", SecretAccessKey: "x"})
		}, model: haiku, code: "UnrecognizedClientException", msg: "The security token included in the request is invalid.", status: 403},
		{layer: "source-policy", name: "app may not assume the role", setup: func(f *fixture) aws.Config {
			f.app.RemoveInline("assume")
			return roleSession(f)
		}, model: haiku, code: "AccessDenied", msg: "User: " + appARN + " is not authorized to perform: sts:AssumeRole on resource: " + roleARN, status: 403},
		{layer: "trust-policy", name: "trust names another account", setup: func(f *fixture) aws.Config {
			f.role.SetTrust(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"sts:AssumeRole"}]}`)
			return roleSession(f)
		}, model: haiku, code: "AccessDenied", msg: "User: " + appARN + " is not authorized to perform: sts:AssumeRole on resource: " + roleARN, status: 403},
		{layer: "wrong-principal", name: "base credentials call Bedrock", setup: func(f *fixture) aws.Config { return f.cfg(f.appKey) },
			model: haiku, code: "AccessDeniedException",
			msg: "User: " + appARN + " is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/" + haiku + " because no identity-based policy allows the bedrock:InvokeModel action", status: 403},
		{layer: "role-permissions", name: "no grant on the profile", setup: func(f *fixture) aws.Config {
			f.role.Inline("invoke", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:*::foundation-model/*"}]}`)
			return roleSession(f)
		}, model: usSonnet, code: "AccessDeniedException",
			msg: "User: " + sess + " is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1:222222222222:inference-profile/" + usSonnet + " because no identity-based policy allows the bedrock:InvokeModel action", status: 403},
		{layer: "role-permissions", name: "destination-region model not granted", setup: func(f *fixture) aws.Config {
			f.role.Inline("invoke", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":["arn:aws:bedrock:us-east-1:222222222222:inference-profile/*","arn:aws:bedrock:us-east-1::foundation-model/*"]}]}`)
			f.s.SetRouter(func(string, string, []string) string { return "us-west-2" })
			return roleSession(f)
		}, model: usSonnet, code: "AccessDeniedException",
			msg: "User: " + sess + " is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-west-2::foundation-model/" + sonnet + " because no identity-based policy allows the bedrock:InvokeModel action", status: 403},
		{layer: "role-permissions", name: "explicit deny on a destination region in a managed policy", setup: func(f *fixture) aws.Config {
			arn := f.tgt.ManagedPolicy("NoWest", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"bedrock:*","Resource":"arn:aws:bedrock:us-west-2::foundation-model/*"}]}`)
			f.role.Attach(arn)
			f.s.SetRouter(func(string, string, []string) string { return "us-west-2" })
			return roleSession(f)
		}, model: usSonnet, code: "AccessDeniedException",
			msg: "User: " + sess + " is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-west-2::foundation-model/" + sonnet + " with an explicit deny in an identity-based policy: arn:aws:iam::222222222222:policy/NoWest", status: 403},
		{layer: "role-permissions", name: "session policy narrows the role", setup: func(f *fixture) aws.Config {
			return f.roleCfg(func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = "sess"
				o.Policy = aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:*::foundation-model/amazon.*"}]}`)
			})
		}, model: haiku, code: "AccessDeniedException",
			msg: "User: " + sess + " is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/" + haiku + " because no session policy allows the bedrock:InvokeModel action", status: 403},
		{layer: "role-permissions", name: "permissions boundary", setup: func(f *fixture) aws.Config {
			f.role.Boundary(f.tgt.ManagedPolicy("Boundary", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:Get*","Resource":"*"}]}`))
			return roleSession(f)
		}, model: haiku, code: "AccessDeniedException",
			msg: "User: " + sess + " is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/" + haiku + " because no permissions boundary allows the bedrock:InvokeModel action", status: 403},
		{layer: "org-policy", name: "SCP region deny breaks cross-Region routing", setup: func(f *fixture) aws.Config {
			f.prod.SCP("p-regions", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","us-east-2"]}}}]}`)
			f.s.SetRouter(func(string, string, []string) string { return "us-west-2" })
			return roleSession(f)
		}, model: usSonnet, code: "AccessDeniedException",
			msg: "User: " + sess + " is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-west-2::foundation-model/" + sonnet + " with an explicit deny in a service control policy: arn:aws:organizations::999999999999:policy/o-abcd1234/service_control_policy/p-regions", status: 403},
		{layer: "org-policy", name: "SCP region allow-list without unspecified breaks global", setup: func(f *fixture) aws.Config {
			f.prod.SCP("p-regions", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}}]}`)
			return roleSession(f)
		}, model: glSonnet, code: "AccessDeniedException",
			msg: "User: " + sess + " is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:::foundation-model/" + sonnet + " with an explicit deny in a service control policy: arn:aws:organizations::999999999999:policy/o-abcd1234/service_control_policy/p-regions", status: 403},
		{layer: "endpoint-policy", name: "VPC endpoint policy allows only Nova", setup: func(f *fixture) aws.Config {
			f.w.VPCEndpoint("vpce-0abc", "bedrock-runtime", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"bedrock:*","Resource":"arn:aws:bedrock:*::foundation-model/amazon.*"}]}`)
			f.w.RouteThroughEndpoint(f.appKey.AccessKeyID, "vpce-0abc")
			return roleSession(f)
		}, model: haiku, code: "AccessDeniedException",
			msg: "User: " + sess + " is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/" + haiku + " because no VPC endpoint policy allows the bedrock:InvokeModel action", status: 403},
		{layer: "model-access", name: "Marketplace subscription fails after the first call", setup: func(f *fixture) aws.Config {
			f.tgt.Bedrock("us-east-1").Access(haiku, AccessNeedsSubscription)
			return roleSession(f)
		}, model: haiku, calls: 2, code: "AccessDeniedException", msg: msgMarketplace, status: 403},
		{layer: "model-access", name: "Anthropic use-case form missing", setup: func(f *fixture) aws.Config {
			f.tgt.Bedrock("us-east-1").Access(haiku, AccessUseCaseMissing)
			return roleSession(f)
		}, model: haiku, code: "ResourceNotFoundException", msg: msgUseCase, status: 404},
		{layer: "model-access", name: "model not available to the account", setup: func(f *fixture) aws.Config {
			f.tgt.Bedrock("us-east-1").Access(haiku, AccessNotAvailable)
			return roleSession(f)
		}, model: haiku, code: "AccessDeniedException", msg: msgNotAvailable, status: 403},
		{layer: "model-access", name: "agreement pending", setup: func(f *fixture) aws.Config {
			f.tgt.Bedrock("us-east-1").Access(haiku, AccessAgreementPending)
			return roleSession(f)
		}, model: haiku, code: "AccessDeniedException", msg: "You don't have access to the model with the specified model ID.", status: 403},
		{layer: "region", name: "model not offered in the region", setup: func(f *fixture) aws.Config {
			c := roleSession(f)
			c.Region = "us-west-2"
			return c
		}, model: nova, code: "ValidationException", msg: "The provided model identifier is invalid.", status: 400},
		{layer: "region", name: "profile prefix does not match the region", setup: func(f *fixture) aws.Config {
			c := roleSession(f)
			c.Region = "eu-west-1"
			return c
		}, model: usSonnet, code: "ValidationException", msg: "The provided model identifier is invalid.", status: 400},
		{layer: "region", name: "opt-in region not enabled", setup: func(f *fixture) aws.Config {
			f.tgt.DisabledRegions["ap-southeast-7"] = true
			c := f.cfg(f.session(t))
			c.Region = "ap-southeast-7"
			return c
		}, model: haiku, code: "UnrecognizedClientException", msg: "The security token included in the request is invalid.", status: 403},
		{layer: "model-id", name: "profile-only model by bare id", setup: roleSession, model: sonnet, code: "ValidationException",
			msg: "Invocation of model ID " + sonnet + " with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.", status: 400},
		{layer: "model-id", name: "unknown model", setup: roleSession, model: "anthropic.claude-9", code: "ValidationException", msg: "The provided model identifier is invalid.", status: 400},
		{layer: "model-id", name: "legacy model", setup: func(f *fixture) aws.Config {
			f.w.Model(FoundationModel{ID: "anthropic.claude-v2:1", Provider: "Anthropic", Regions: []string{"us-east-1"}, OnDemand: true, Legacy: true})
			return roleSession(f)
		}, model: "anthropic.claude-v2:1", code: "ResourceNotFoundException", msg: msgLegacy, status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.layer+"/"+tt.name, func(t *testing.T) {
			f := newFixture(t)
			cfg := tt.setup(f)
			calls := max(tt.calls, 1)
			var err error
			for i := 1; i <= calls; i++ {
				_, err = converse(cfg, tt.model)
				if i < calls && err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
			}
			apiErr(t, err, tt.code, tt.msg, tt.status)
		})
	}
}

// TestMarketplaceSubscribes: with the Marketplace permissions the first
// call subscribes and later calls keep working.
func TestMarketplaceSubscribes(t *testing.T) {
	f := newFixture(t)
	f.tgt.Bedrock("us-east-1").Access(haiku, AccessNeedsSubscription)
	f.role.Inline("marketplace", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["aws-marketplace:Subscribe","aws-marketplace:ViewSubscriptions"],"Resource":"*"}]}`)
	cfg := f.roleCfg()
	for i := 0; i < 3; i++ {
		if _, err := converse(cfg, haiku); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
}

// TestStreamDeniedBeforeStream: AccessDenied is an HTTP error returned by
// the call itself, never an event (AWS.md §6.2).
func TestStreamDeniedBeforeStream(t *testing.T) {
	f := newFixture(t)
	_, err := bedrockruntime.NewFromConfig(f.cfg(f.appKey)).ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(haiku), Messages: userMessage("hi")})
	var ade *types.AccessDeniedException
	if !errors.As(err, &ade) {
		t.Fatalf("got %v, want AccessDeniedException", err)
	}
	if want := "User: " + appARN + " is not authorized to perform: bedrock:InvokeModelWithResponseStream on resource: arn:aws:bedrock:us-east-1::foundation-model/" + haiku + " because no identity-based policy allows the bedrock:InvokeModelWithResponseStream action"; ade.ErrorMessage() != want {
		t.Errorf("message %q", ade.ErrorMessage())
	}
}

// TestAssumeRoleNestedInBedrockError: a denied assumption surfaces inside
// the Bedrock call's error chain (AWS.md §1.4).
func TestAssumeRoleNestedInBedrockError(t *testing.T) {
	f := newFixture(t)
	f.app.RemoveInline("assume")
	_, err := converse(f.roleCfg(), haiku)
	if err == nil || !strings.Contains(err.Error(), "operation error Bedrock Runtime: Converse, get identity: get credentials: failed to refresh cached credentials, operation error STS: AssumeRole, https response error StatusCode: 403") {
		t.Fatalf("got %v", err)
	}
	// Sanity: the app itself is who it says.
	if _, err := sts.NewFromConfig(f.cfg(f.appKey)).GetCallerIdentity(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}

// TestInStreamException: an injected exception arrives after the first
// event, from stream.Err(), as the modeled type (AWS.md §6.2).
func TestInStreamException(t *testing.T) {
	f := newFixture(t)
	f.s.InjectFault("bedrock-runtime", "ConverseStream", Fault{StreamException: "throttlingException", Message: "Too many tokens, please wait before trying again."})
	out, err := bedrockruntime.NewFromConfig(f.roleCfg()).ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(haiku), Messages: userMessage("hi")})
	if err != nil {
		t.Fatalf("the call itself must succeed: %v", err)
	}
	n := 0
	for range out.GetStream().Events() {
		n++
	}
	var te *types.ThrottlingException
	if err := out.GetStream().Err(); !errors.As(err, &te) || te.ErrorMessage() != "Too many tokens, please wait before trying again." {
		t.Errorf("stream error %v", err)
	}
	if n != 1 {
		t.Errorf("%d events before the exception, want 1", n)
	}
	f.s.ClearScripts()
	f.s.InjectFault("bedrock-runtime", "InvokeModelWithResponseStream", Fault{StreamException: "modelTimeoutException", Message: "timed out"})
	out2, err := bedrockruntime.NewFromConfig(f.roleCfg()).InvokeModelWithResponseStream(context.Background(), &bedrockruntime.InvokeModelWithResponseStreamInput{ModelId: aws.String(haiku), Body: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	for range out2.GetStream().Events() {
	}
	var mt *types.ModelTimeoutException
	if err := out2.GetStream().Err(); !errors.As(err, &mt) {
		t.Errorf("stream error %v", err)
	}
}

// BenchmarkConverse measures one authorized Converse round trip through the
// fake (SigV4 verification, two policy evaluations, JSON both ways).
func BenchmarkConverse(b *testing.B) {
	f := newFixture(b)
	cfg := f.cfg(f.session(b))
	client := bedrockruntime.NewFromConfig(cfg)
	in := &bedrockruntime.ConverseInput{ModelId: aws.String(usSonnet), Messages: userMessage("hello there")}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.Converse(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// TestGuardrailAndSessionPolicyARNs: a guardrail the role may not apply is
// one more ARN the call touches; managed session policies narrow the role.
func TestGuardrailAndSessionPolicyARNs(t *testing.T) {
	f := newFixture(t)
	f.role.Inline("no-guardrails", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"bedrock:ApplyGuardrail","Resource":"*"}]}`)
	_, err := bedrockruntime.NewFromConfig(f.roleCfg(func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "sess" })).Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId: aws.String(haiku), Messages: userMessage("hi"),
		GuardrailConfig: &types.GuardrailConfiguration{GuardrailIdentifier: aws.String("gr1abc"), GuardrailVersion: aws.String("1")},
	})
	apiErr(t, err, "AccessDeniedException", "User: arn:aws:sts::222222222222:assumed-role/BedrockInvoker/sess is not authorized to perform: bedrock:ApplyGuardrail on resource: arn:aws:bedrock:us-east-1:222222222222:guardrail/gr1abc with an explicit deny in an identity-based policy", 403)

	g := newFixture(t)
	novaOnly := g.tgt.ManagedPolicy("NovaOnly", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:*::foundation-model/amazon.*"}]}`)
	cfg := g.roleCfg(func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "sess"
		o.PolicyARNs = []ststypes.PolicyDescriptorType{{Arn: aws.String(novaOnly)}}
	})
	if _, err := converse(cfg, nova); err != nil {
		t.Fatalf("nova through the session policy: %v", err)
	}
	_, err = converse(cfg, haiku)
	apiErr(t, err, "AccessDeniedException", "User: arn:aws:sts::222222222222:assumed-role/BedrockInvoker/sess is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/"+haiku+" because no session policy allows the bedrock:InvokeModel action", 403)
}

// TestMessageStyles: the older wordings AWS still emits in places.
func TestMessageStyles(t *testing.T) {
	const base = "User: arn:aws:sts::222222222222:assumed-role/BedrockInvoker/sess is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/" + haiku
	tests := []struct {
		name  string
		style MessageStyle
		want  string
	}{
		{"current", MessageStyle{}, base + " with an explicit deny in a service control policy: arn:aws:organizations::999999999999:policy/o-abcd1234/service_control_policy/p-nohaiku"},
		{"before policy ARNs", MessageStyle{OmitPolicyARN: true}, base + " with an explicit deny in a service control policy"},
		{"before reasons", MessageStyle{OmitReason: true}, base},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.org.SCP("p-nohaiku", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"bedrock:*","Resource":"arn:aws:bedrock:*::foundation-model/anthropic.claude-3-haiku*"}]}`)
			f.w.Messages = tt.style
			_, err := converse(f.roleCfg(func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "sess" }), haiku)
			apiErr(t, err, "AccessDeniedException", tt.want, 403)
		})
	}
}

// TestRCPNamedWithinOrganization: an RCP deny names its ARN to a caller in
// the same organization.
func TestRCPNamedWithinOrganization(t *testing.T) {
	f := newFixture(t)
	f.org.RCP("p-noguard", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"bedrock:ApplyGuardrail","Resource":"*"}]}`)
	_, err := bedrockruntime.NewFromConfig(f.cfg(f.session(t))).ApplyGuardrail(context.Background(), &bedrockruntime.ApplyGuardrailInput{GuardrailIdentifier: aws.String("gr1abc"), GuardrailVersion: aws.String("1"),
		Source: types.GuardrailContentSourceInput, Content: []types.GuardrailContentBlock{&types.GuardrailContentBlockMemberText{Value: types.GuardrailTextBlock{Text: aws.String("hi")}}}})
	apiErr(t, err, "AccessDeniedException", "User: arn:aws:sts::222222222222:assumed-role/BedrockInvoker/test is not authorized to perform: bedrock:ApplyGuardrail on resource: arn:aws:bedrock:us-east-1:222222222222:guardrail/gr1abc with an explicit deny in a resource control policy: arn:aws:organizations::999999999999:policy/o-abcd1234/resource_control_policy/p-noguard", 403)
}
