package diagnose_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	rttypes "github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// Prompt routers, prompts, Marketplace endpoints and StartAsyncInvoke's
// output location (routed.go), each missing permission named in-call and by
// Run, against the local AWS's own decisions.

const (
	defRouter  = "arn:aws:bedrock:us-east-1:" + tgtAcct + ":default-prompt-router/anthropic.claude:1"
	custRouter = "arn:aws:bedrock:us-east-1:" + tgtAcct + ":prompt-router/teamrouter"
	promptARN  = "arn:aws:bedrock:us-east-1:" + tgtAcct + ":prompt/PROMPT0001:1"
	endpoint   = "arn:aws:sagemaker:us-east-1:" + tgtAcct + ":endpoint/marketplace-llm"
	allAccess  = "arn:aws:bedrock:us-east-1:" + tgtAcct + ":marketplace/model-endpoint/all-access"
	reel       = "amazon.nova-reel-v1:1"
	outputURI  = "s3://team-videos/reel"
	usProfile  = "arn:aws:bedrock:us-east-1:" + tgtAcct + ":inference-profile/" + usSonnet
)

var (
	readRouted    = `{"Effect":"Allow","Action":["bedrock:GetPromptRouter","bedrock:GetPrompt","bedrock:GetMarketplaceModelEndpoint"],"Resource":"*"}`
	allowRouted   = `{"Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],"Resource":["arn:aws:bedrock:*:` + tgtAcct + `:default-prompt-router/*","arn:aws:bedrock:*:` + tgtAcct + `:prompt-router/*","arn:aws:bedrock:*:` + tgtAcct + `:prompt/*","` + allAccess + `"]}`
	allowRender   = `{"Effect":"Allow","Action":"bedrock:RenderPrompt","Resource":"arn:aws:bedrock:*:` + tgtAcct + `:prompt/*"}`
	allowEndpoint = `{"Effect":"Allow","Action":"sagemaker:InvokeEndpoint","Resource":"arn:aws:sagemaker:*:` + tgtAcct + `:endpoint/*","Condition":{"StringEquals":{"aws:CalledViaLast":"bedrock.amazonaws.com"}}}`
	allowOutput   = `{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::team-videos/reel/*"}`
)

// routedHealthy allows every kind of routed.go.
func routedHealthy() spec {
	s := healthy()
	s.rolePolicy = policy(allowInvokeAll, allowRouted, allowRender, allowEndpoint, allowOutput, readRouted)
	return s
}

// without drops statements from the healthy role policy.
func routedWithout(drop ...string) spec {
	s := healthy()
	var keep []string
	for _, st := range []string{allowInvokeAll, allowRouted, allowRender, allowEndpoint, allowOutput, readRouted} {
		if !slices.Contains(drop, st) {
			keep = append(keep, st)
		}
	}
	s.rolePolicy = policy(keep...)
	return s
}

// addRouted adds the routed kinds to a built world.
func addRouted(wd *world) string {
	w := wd.w
	w.Model(awsfake.FoundationModel{ID: reel, Name: "Nova Reel", Provider: "Amazon", Regions: []string{"us-east-1"}, OnDemand: true})
	w.DefaultPromptRouter(awsfake.DefaultRouter{ID: "anthropic.claude:1", Models: []string{usSonnet, haiku}, Regions: []string{"us-east-1", "us-east-2", "us-west-2"}})
	b := w.Account(tgtAcct).Bedrock("us-east-1")
	custom := b.PromptRouter(awsfake.PromptRouter{ID: "teamrouter", Models: []string{haiku, usProfile}, Fallback: haiku})
	b.Prompt(awsfake.Prompt{ID: "PROMPT0001", ModelID: haiku, Versions: []string{"1"}})
	b.MarketplaceEndpoint(awsfake.MarketplaceEndpoint{Name: "marketplace-llm", ModelSource: "arn:aws:sagemaker:us-east-1:aws:hub-content/SageMakerPublicHub/Model/llm/1.0.0"})
	return custom
}

type routedCase struct {
	name      string
	spec      func() spec
	op, model string
	want      diagnose.Layer
	// fix lists ARNs the fix policy must name.
	fix []string
}

func routedCases() []routedCase {
	return []routedCase{
		{name: "router/healthy", spec: routedHealthy, model: defRouter, want: diagnose.LayerNone},
		{name: "router/no-router-arn", spec: func() spec { return routedWithout(allowRouted) }, model: defRouter, want: diagnose.LayerRolePermissions, fix: []string{defRouter}},
		{name: "router/destination-region", model: defRouter, want: diagnose.LayerRolePermissions,
			fix: []string{"arn:aws:bedrock:us-west-2::foundation-model/" + sonnet},
			spec: func() spec {
				s := routedHealthy()
				s.rolePolicy = policy(`{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":["arn:aws:bedrock:us-east-1::foundation-model/*","arn:aws:bedrock:*:`+tgtAcct+`:inference-profile/*"]}`, allowRouted, readRouted)
				s.routeTo = "us-west-2"
				return s
			}},
		{name: "router/custom-fallback-model", model: custRouter, want: diagnose.LayerRolePermissions,
			fix: []string{"arn:aws:bedrock:us-east-1::foundation-model/" + haiku},
			spec: func() spec {
				s := routedHealthy()
				s.rolePolicy = policy(`{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":["arn:aws:bedrock:*::foundation-model/`+sonnet+`","arn:aws:bedrock:*:`+tgtAcct+`:inference-profile/*"]}`, allowRouted, readRouted)
				return s
			}},
		{name: "prompt/healthy", spec: routedHealthy, model: promptARN, want: diagnose.LayerNone},
		{name: "prompt/no-render", spec: func() spec { return routedWithout(allowRender) }, model: promptARN, want: diagnose.LayerRolePermissions, fix: []string{promptARN}},
		{name: "prompt/no-model", model: promptARN, want: diagnose.LayerRolePermissions, fix: []string{"arn:aws:bedrock:us-east-1::foundation-model/" + haiku},
			spec: func() spec { return routedWithout(allowInvokeAll) }},
		{name: "marketplace/healthy", spec: routedHealthy, model: endpoint, want: diagnose.LayerNone},
		{name: "marketplace/no-invoke-endpoint", spec: func() spec { return routedWithout(allowEndpoint) }, model: endpoint, want: diagnose.LayerRolePermissions, fix: []string{endpoint}},
		{name: "marketplace/no-all-access", spec: func() spec { return routedWithout(allowRouted) }, model: endpoint, want: diagnose.LayerRolePermissions, fix: []string{allAccess}},
		{name: "async/healthy", spec: routedHealthy, op: "StartAsyncInvoke", model: reel, want: diagnose.LayerNone},
		{name: "async/no-put-object", spec: func() spec { return routedWithout(allowOutput) }, op: "StartAsyncInvoke", model: reel, want: diagnose.LayerRolePermissions,
			fix: []string{"arn:aws:s3:::team-videos/reel/*"}},
		{name: "async/no-model", spec: func() spec { return routedWithout(allowInvokeAll) }, op: "StartAsyncInvoke", model: reel, want: diagnose.LayerRolePermissions,
			fix: []string{"arn:aws:bedrock:us-east-1::foundation-model/" + reel}},
	}
}

// routedCall makes the app's call through the drop-in client.
func routedCall(wd *world, tr tier, op, model string) error {
	cfg := wd.srv.Config(wd.region, wd.appKey)
	diag := func(o *diagnose.Options) {
		o.Budget, o.RateLimit = 10*time.Second, -1
		if tr == tierFull {
			a := wd.srv.Config(wd.region, wd.auditor)
			o.DiagnosticConfig = &a
		}
	}
	c := client.NewFromConfig(cfg, client.WithRole(roleARN), client.WithDiagnosis(diag))
	if op == "StartAsyncInvoke" {
		_, err := c.StartAsyncInvoke(context.Background(), &bedrockruntime.StartAsyncInvokeInput{ModelId: aws.String(model),
			ModelInput:       document.NewLazyDocument(map[string]any{"taskType": "TEXT_VIDEO", "textToVideoParams": map[string]string{"text": "a lighthouse"}}),
			OutputDataConfig: &rttypes.AsyncInvokeOutputDataConfigMemberS3OutputDataConfig{Value: rttypes.AsyncInvokeS3OutputDataConfig{S3Uri: aws.String(outputURI)}}})
		return err
	}
	return runOp(context.Background(), c, orElseStr(op, "Converse"), model)
}

func orElseStr(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func TestRoutedKinds(t *testing.T) {
	for _, tc := range routedCases() {
		for _, tr := range []tier{tierFull, tierNone} {
			t.Run(tc.name+"/"+string(tr), func(t *testing.T) {
				sp := tc.spec()
				wd := build(t, sp, tr)
				custom := addRouted(wd)
				if custom != custRouter {
					t.Fatalf("custom router %s, want %s", custom, custRouter)
				}
				err := routedCall(wd, tr, tc.op, tc.model)
				truth := []string(nil)
				if e, ok := wd.srv.AppCall(); ok {
					truth = e.Truth
				}
				if tc.want == diagnose.LayerNone {
					if err != nil {
						t.Fatalf("call failed: %v", err)
					}
				} else {
					if !slices.Contains(truth, string(tc.want)) {
						t.Fatalf("the world's truth %v lacks %s: the scenario is wrong (err %v)", truth, tc.want, err)
					}
					var derr *diagnose.Error
					if !errors.As(err, &derr) {
						t.Fatalf("error %v was not diagnosed", err)
					}
					checkRoutedReport(t, "in-call", derr.Report, tc, tr)
				}
				// Run, with the app's base credentials.
				target := diagnose.Target{RoleARN: roleARN, ModelID: tc.model, Operation: orElseStr(tc.op, "Converse"), OutputS3URI: outputURI}
				cfg := wd.srv.Config(wd.region, wd.appKey)
				opts := diagnose.Options{Budget: 10 * time.Second, RateLimit: -1}
				if tr == tierFull {
					a := wd.srv.Config(wd.region, wd.auditor)
					opts.DiagnosticConfig = &a
				}
				r, rerr := diagnose.NewDiagnoser(cfg, opts).Run(context.Background(), target)
				if rerr != nil {
					t.Fatal(rerr)
				}
				checkRoutedReport(t, "Run", r, tc, tr)
			})
		}
	}
}

// checkRoutedReport: with full diagnostic permissions the layer is the one
// wanted and the fix names the ARNs; without, the report is that layer or
// undecided, never another layer.
func checkRoutedReport(t *testing.T, how string, r *diagnose.Report, tc routedCase, tr tier) {
	t.Helper()
	if tr != tierFull {
		if r.Layer != tc.want && r.Layer != diagnose.LayerUnknown {
			t.Errorf("%s (%s): layer %s, want %s or unknown\n%s", how, tr, r.Layer, tc.want, r)
		}
		return
	}
	if r.Layer != tc.want {
		t.Errorf("%s: layer %s, want %s\n%s", how, r.Layer, tc.want, r)
		return
	}
	for _, a := range tc.fix {
		if !strings.Contains(r.FixPolicy, a) {
			t.Errorf("%s: the fix policy lacks %s:\n%s\n%s", how, a, r.FixPolicy, r)
		}
	}
}
