package awsfake

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	rttypes "github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

const (
	rtHaiku   = "anthropic.claude-3-haiku-20240307-v1:0"
	rtSonnet  = "anthropic.claude-3-5-sonnet-20240620-v1:0"
	rtRole    = "arn:aws:iam::222222222222:role/Invoker"
	rtRouter  = "arn:aws:bedrock:us-east-1:222222222222:default-prompt-router/anthropic.claude:1"
	rtPrompt  = "arn:aws:bedrock:us-east-1:222222222222:prompt/PROMPT1234:1"
	rtEndpt   = "arn:aws:sagemaker:us-east-1:222222222222:endpoint/my-marketplace-model"
	rtMktARN  = "arn:aws:bedrock:us-east-1:222222222222:marketplace/model-endpoint/all-access"
	rtBucket  = "s3://video-out/reel"
	rtProfile = "arn:aws:bedrock:us-east-1:222222222222:inference-profile/us." + rtSonnet
)

// routedWorld is one account with a role whose policy is given, and every
// kind of routed.go in us-east-1.
func routedWorld(t *testing.T, rolePolicy string) (*Server, aws.Config, string) {
	t.Helper()
	w := NewWorld()
	w.Model(FoundationModel{ID: rtHaiku, Provider: "Anthropic", Regions: []string{"us-east-1", "us-west-2"}, OnDemand: true})
	w.Model(FoundationModel{ID: rtSonnet, Provider: "Anthropic", Regions: []string{"us-east-1", "us-west-2"}})
	w.Model(FoundationModel{ID: "amazon.nova-reel-v1:1", Provider: "Amazon", Regions: []string{"us-east-1"}, OnDemand: true})
	w.Profile(SystemProfile{ID: "us." + rtSonnet, ModelID: rtSonnet, Sources: []string{"us-east-1", "us-west-2"}})
	w.Route("us."+rtSonnet, "us-west-2")
	w.DefaultPromptRouter(DefaultRouter{ID: "anthropic.claude:1", Models: []string{"us." + rtSonnet, rtHaiku}, Regions: []string{"us-east-1"}})
	src := w.Account("111111111111")
	key := src.User("app").Inline("assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+rtRole+`"}]}`).AccessKey()
	tgt := w.Account("222222222222")
	tgt.Role("Invoker", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`).Inline("p", rolePolicy)
	b := tgt.Bedrock("us-east-1")
	custom := b.PromptRouter(PromptRouter{ID: "myrouter01", Models: []string{rtHaiku, rtProfile}, Fallback: rtHaiku})
	b.Prompt(Prompt{ID: "PROMPT1234", ModelID: rtHaiku, Versions: []string{"1"}})
	b.MarketplaceEndpoint(MarketplaceEndpoint{Name: "my-marketplace-model", ModelSource: "arn:aws:sagemaker:us-east-1:aws:hub-content/SageMakerPublicHub/Model/m/1"})
	w.SetAppRole(rtRole)
	srv := NewServer(w)
	t.Cleanup(srv.Close)
	cfg := srv.Config("us-east-1", key)
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), rtRole))
	return srv, cfg, custom
}

func allowPolicy(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func allow(action string, resources ...string) string {
	return `{"Effect":"Allow","Action":"` + action + `","Resource":["` + strings.Join(resources, `","`) + `"]}`
}

var (
	allowAllBedrock = allow("bedrock:*", "*")
	allowEndpoint   = `{"Effect":"Allow","Action":"sagemaker:InvokeEndpoint","Resource":"arn:aws:sagemaker:us-east-1:222222222222:endpoint/*","Condition":{"StringEquals":{"aws:CalledViaLast":"bedrock.amazonaws.com"}}}`
	allowPut        = allow("s3:PutObject", "arn:aws:s3:::video-out/reel/*")
)

func TestRoutedKinds(t *testing.T) {
	cases := []struct {
		name, policy, op, model string
		customRouter            bool
		wantCode, wantResource  string
		wantTruth               []string
	}{
		{name: "default router allowed", policy: allowPolicy(allowAllBedrock), model: rtRouter},
		{name: "default router: the router ARN", policy: allowPolicy(allow("bedrock:InvokeModel", "arn:aws:bedrock:*::foundation-model/*", "arn:aws:bedrock:*:222222222222:inference-profile/*")),
			model: rtRouter, wantCode: "AccessDeniedException", wantResource: rtRouter, wantTruth: []string{"role-permissions"}},
		{name: "default router: the routed profile's destination", policy: allowPolicy(allow("bedrock:InvokeModel", rtRouter, rtProfile, "arn:aws:bedrock:us-east-1::foundation-model/*")),
			model: rtRouter, wantCode: "AccessDeniedException", wantResource: "arn:aws:bedrock:us-west-2::foundation-model/" + rtSonnet, wantTruth: []string{"role-permissions"}},
		{name: "custom router routes to its fallback", policy: allowPolicy(allow("bedrock:InvokeModel", "arn:aws:bedrock:us-east-1:222222222222:prompt-router/*")),
			customRouter: true, wantCode: "AccessDeniedException", wantResource: "arn:aws:bedrock:us-east-1::foundation-model/" + rtHaiku, wantTruth: []string{"role-permissions"}},
		{name: "unknown router", policy: allowPolicy(allowAllBedrock), model: "arn:aws:bedrock:us-east-1:222222222222:prompt-router/nosuchrouter",
			wantCode: "ValidationException", wantTruth: []string{"model-id"}},
		{name: "prompt allowed", policy: allowPolicy(allowAllBedrock), model: rtPrompt},
		{name: "prompt without RenderPrompt", policy: allowPolicy(allow("bedrock:InvokeModel", "*")), model: rtPrompt,
			wantCode: "AccessDeniedException", wantResource: rtPrompt, wantTruth: []string{"role-permissions"}},
		{name: "prompt's model", policy: allowPolicy(allow("bedrock:*", "arn:aws:bedrock:us-east-1:222222222222:prompt/*")), model: rtPrompt,
			wantCode: "AccessDeniedException", wantResource: "arn:aws:bedrock:us-east-1::foundation-model/" + rtHaiku, wantTruth: []string{"role-permissions"}},
		{name: "unpublished prompt version", policy: allowPolicy(allowAllBedrock), model: "arn:aws:bedrock:us-east-1:222222222222:prompt/PROMPT1234:7",
			wantCode: "ValidationException", wantTruth: []string{"model-id"}},
		{name: "marketplace endpoint allowed", policy: allowPolicy(allow("bedrock:InvokeModel", rtMktARN), allowEndpoint), model: rtEndpt},
		{name: "marketplace endpoint without the endpoint", policy: allowPolicy(allow("bedrock:InvokeModel", rtMktARN)), model: rtEndpt,
			wantCode: "AccessDeniedException", wantResource: rtEndpt, wantTruth: []string{"role-permissions"}},
		{name: "marketplace endpoint without all-access", policy: allowPolicy(allow("bedrock:InvokeModel", rtEndpt), allowEndpoint), model: rtEndpt,
			wantCode: "AccessDeniedException", wantResource: rtMktARN, wantTruth: []string{"role-permissions"}},
		{name: "async allowed", policy: allowPolicy(allowAllBedrock, allowPut), op: "StartAsyncInvoke", model: "amazon.nova-reel-v1:1"},
		{name: "async without s3:PutObject", policy: allowPolicy(allowAllBedrock), op: "StartAsyncInvoke", model: "amazon.nova-reel-v1:1",
			wantCode: "ValidationException", wantTruth: []string{"role-permissions"}},
		{name: "async without the model and the bucket", policy: allowPolicy(allow("bedrock:InvokeModel", rtSonnet)), op: "StartAsyncInvoke", model: "amazon.nova-reel-v1:1",
			wantCode: "AccessDeniedException", wantResource: "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:1", wantTruth: []string{"role-permissions"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, cfg, custom := routedWorld(t, tc.policy)
			model := tc.model
			if tc.customRouter {
				model = custom
			}
			br := bedrockruntime.NewFromConfig(cfg)
			var err error
			switch tc.op {
			case "StartAsyncInvoke":
				_, err = br.StartAsyncInvoke(context.Background(), &bedrockruntime.StartAsyncInvokeInput{ModelId: aws.String(model),
					ModelInput:       document.NewLazyDocument(map[string]any{"taskType": "TEXT_VIDEO"}),
					OutputDataConfig: &rttypes.AsyncInvokeOutputDataConfigMemberS3OutputDataConfig{Value: rttypes.AsyncInvokeS3OutputDataConfig{S3Uri: aws.String(rtBucket)}}})
			default:
				_, err = converse(cfg, model)
			}
			var apiErr smithy.APIError
			switch {
			case tc.wantCode == "" && err != nil:
				t.Fatalf("call failed: %v", err)
			case tc.wantCode != "" && (!errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.wantCode):
				t.Fatalf("error %v, want %s", err, tc.wantCode)
			case tc.wantResource != "" && !strings.Contains(apiErr.ErrorMessage(), "on resource: "+tc.wantResource+" "):
				t.Errorf("message %q does not name %s", apiErr.ErrorMessage(), tc.wantResource)
			}
			e, ok := srv.AppCall()
			if !ok || !slices.Equal(e.Truth, tc.wantTruth) {
				t.Errorf("truth %v, want %v", e.Truth, tc.wantTruth)
			}
		})
	}
}

func TestRoutedControlPlane(t *testing.T) {
	_, cfg, custom := routedWorld(t, allowPolicy(allowAllBedrock))
	ctx := context.Background()
	out, err := bedrock.NewFromConfig(cfg).GetPromptRouter(ctx, &bedrock.GetPromptRouterInput{PromptRouterArn: aws.String(rtRouter)})
	if err != nil {
		t.Fatal(err)
	}
	var models []string
	for _, m := range out.Models {
		models = append(models, aws.ToString(m.ModelArn))
	}
	if want := []string{rtProfile, "arn:aws:bedrock:us-east-1::foundation-model/" + rtHaiku}; !slices.Equal(models, want) || string(out.Type) != "default" {
		t.Errorf("default router: %s models %v, want %v", out.Type, models, want)
	}
	out, err = bedrock.NewFromConfig(cfg).GetPromptRouter(ctx, &bedrock.GetPromptRouterInput{PromptRouterArn: aws.String(custom)})
	if err != nil || aws.ToString(out.FallbackModel.ModelArn) != "arn:aws:bedrock:us-east-1::foundation-model/"+rtHaiku || string(out.Type) != "custom" {
		t.Errorf("custom router: %+v, %v", out, err)
	}
	ep, err := bedrock.NewFromConfig(cfg).GetMarketplaceModelEndpoint(ctx, &bedrock.GetMarketplaceModelEndpointInput{EndpointArn: aws.String(rtEndpt)})
	if err != nil || aws.ToString(ep.MarketplaceModelEndpoint.EndpointArn) != rtEndpt {
		t.Errorf("endpoint: %+v, %v", ep, err)
	}
}
