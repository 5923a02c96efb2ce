package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// TestOtherOperations: the drop-in is the SDK's own client, so operations
// beyond invoke and converse work through the role, and their denials are
// diagnosed too.
func TestOtherOperations(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	w := awsfake.NewWorld()
	w.Model(awsfake.FoundationModel{ID: modelID, Provider: "Anthropic", Regions: []string{"us-east-1"}, OnDemand: true})
	app := w.Account("111111111111").User("app").Inline("assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+roleARN+`"}]}`)
	tgt := w.Account("222222222222")
	tgt.Role("BedrockAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/app"},"Action":"sts:AssumeRole"}]}`).
		Inline("tokens", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:CountTokens","Resource":"*"}]}`)
	guardrail := tgt.Bedrock("us-east-1").Guardrail("gr0abc123def", "pii", "1")
	srv := awsfake.NewServer(w)
	t.Cleanup(srv.Close)
	c := client.NewFromConfig(srv.Config("us-east-1", app.AccessKey()), client.WithRole(roleARN),
		client.WithDiagnosis(func(o *diagnose.Options) { o.RateLimit = -1 }))
	ctx := context.Background()

	out, err := c.CountTokens(ctx, &bedrockruntime.CountTokensInput{ModelId: aws.String(modelID),
		Input: &types.CountTokensInputMemberConverse{Value: types.ConverseTokensRequest{
			Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hello there"}}}}}}})
	if err != nil || out.InputTokens == nil || *out.InputTokens <= 0 {
		t.Fatalf("CountTokens: %v %+v", err, out)
	}

	_, err = c.ApplyGuardrail(ctx, &bedrockruntime.ApplyGuardrailInput{
		GuardrailIdentifier: aws.String("gr0abc123def"), GuardrailVersion: aws.String("1"), Source: types.GuardrailContentSourceInput,
		Content: []types.GuardrailContentBlock{&types.GuardrailContentBlockMemberText{Value: types.GuardrailTextBlock{Text: aws.String("hi")}}}})
	var derr *diagnose.Error
	if !errors.As(err, &derr) || derr.Layer() != diagnose.LayerRolePermissions {
		t.Fatalf("ApplyGuardrail without the grant: want role-permissions, got %v", err)
	}
	if !strings.Contains(derr.Report.FixPolicy, "bedrock:ApplyGuardrail") || !strings.Contains(derr.Report.FixPolicy, guardrail) {
		t.Errorf("fix policy does not grant the guardrail:\n%s", derr.Report.FixPolicy)
	}
}
