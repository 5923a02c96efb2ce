// Package outside is a module of its own, as an adopter's app is: its test
// imports only the public packages (client, diagnose, bedrocktest), which
// an outside module can, unlike anything under internal/.
package outside

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/bedrockdoctor/bedrockdoctor/bedrocktest"
	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

const haiku = "anthropic.claude-3-haiku-20240307-v1:0"

// TestRoleLacksBedrockPermission: the role the app assumes may read
// Bedrock but not invoke models. The call fails with the SDK's own
// AccessDeniedException, and the error names the layer: role-permissions.
func TestRoleLacksBedrockPermission(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	w := bedrocktest.NewWorld()
	w.Model(bedrocktest.Model{ID: haiku, Provider: "Anthropic", Regions: []string{"us-east-1"}, OnDemand: true})
	app := w.Account("111111111111").User("app").
		Inline("assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::222222222222:role/BedrockInvoker"}]}`)
	role := w.Account("222222222222").
		Role("BedrockInvoker", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/app"},"Action":"sts:AssumeRole"}]}`).
		Inline("read-only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["bedrock:Get*","bedrock:List*","iam:GetRole","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`)
	srv := bedrocktest.Start(t, w)

	br := client.NewFromConfig(srv.Config(app.ARN(), "us-east-1"), client.WithRole(role.ARN()))
	_, err := br.Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String(haiku),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
	})

	var denied *diagnose.Error
	if !errors.As(err, &denied) {
		t.Fatalf("got %v, want a diagnosed denial", err)
	}
	if got := denied.Layer(); got != diagnose.LayerRolePermissions {
		t.Errorf("layer %q, want %q\n%s", got, diagnose.LayerRolePermissions, denied.Report)
	}
	var ade *types.AccessDeniedException
	if !errors.As(err, &ade) {
		t.Errorf("the SDK's AccessDeniedException is gone: %v", err)
	}
	// The world's own record agrees: the role's policies deny the call.
	log := srv.Log()
	var truth []string
	for _, e := range log {
		if e.Service == "bedrock-runtime" {
			truth = e.Truth
		}
	}
	if len(truth) != 1 || truth[0] != "role-permissions" {
		t.Errorf("ground truth %v, want [role-permissions]", truth)
	}
}
