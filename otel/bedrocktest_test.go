package bedrockotel_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	//lint:ignore SA1019 otelaws is deprecated upstream; it is the instrumentation this package records on.
	"go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-sdk-go-v2/otelaws"

	"github.com/bedrockdoctor/bedrockdoctor/bedrocktest"
	"github.com/bedrockdoctor/bedrockdoctor/client"
	bedrockotel "github.com/bedrockdoctor/bedrockdoctor/otel"
)

// TestBedrocktestWorld: in a local multi-account world with real IAM
// decisions, the role may invoke the model in us-east-1 only; the app
// calls it in us-west-2, the checks run (not only the error's text), and
// the otelaws span names role-permissions and the check that proved it.
func TestBedrocktestWorld(t *testing.T) {
	const (
		app   = "arn:aws:iam::111111111111:user/app"
		role  = "arn:aws:iam::222222222222:role/BedrockInvoker"
		haiku = "anthropic.claude-3-haiku-20240307-v1:0"
	)
	w := bedrocktest.NewWorld()
	w.Model(bedrocktest.Model{ID: haiku, Provider: "Anthropic", Regions: []string{"us-east-1", "us-west-2"}, OnDemand: true})
	w.Account("111111111111").User("app").Inline("assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+role+`"}]}`)
	w.Account("222222222222").Role("BedrockInvoker", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+app+`"},"Action":"sts:AssumeRole"}]}`).
		Inline("invoke", `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:us-east-1::foundation-model/*"},
 {"Effect":"Allow","Action":["bedrock:Get*","bedrock:List*","iam:GetRole","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`)
	srv := bedrocktest.Start(t, w)

	tp, exp := tracerProvider(t)
	cfg := srv.Config(app, "us-west-2")
	otelaws.AppendMiddlewares(&cfg.APIOptions, otelaws.WithTracerProvider(tp))
	br := client.NewFromConfig(cfg, client.WithRole(role), client.WithDiagnosis(quick),
		client.WithClientOptions(func(o *bedrockruntime.Options) { bedrockotel.AppendMiddlewares(&o.APIOptions) }))
	_, err := br.Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String(haiku),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
	})
	span := findSpan(t, exp, spanName)
	got := attrs(span.Attributes)
	if l := got[bedrockotel.LayerKey].AsString(); l != "role-permissions" {
		t.Fatalf("layer %q, want role-permissions (error: %v)", l, err)
	}
	if c := got[bedrockotel.CheckKey].AsString(); c == "" || c == "message.parse" {
		t.Errorf("deciding check %q, want one of the checks that read the role's policies", c)
	}
}
