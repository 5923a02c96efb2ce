package awsfake_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// A cross-account world whose trust policy trusts the wrong account: the
// Bedrock call fails inside the role assumption.
func ExampleNewServer() {
	w := awsfake.NewWorld()
	w.Model(awsfake.FoundationModel{ID: "anthropic.claude-3-haiku-20240307-v1:0", Provider: "Anthropic", Regions: []string{"us-east-1"}, OnDemand: true})
	app := w.Account("111111111111").User("app").
		Inline("assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	w.Account("222222222222").Role("BedrockInvoker",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"sts:AssumeRole"}]}`).
		Inline("invoke", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"}]}`)

	srv := awsfake.NewServer(w)
	defer srv.Close()
	base := srv.Config("us-east-1", app.AccessKey())
	cfg := base.Copy()
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), "arn:aws:iam::222222222222:role/BedrockInvoker"))

	_, err := bedrockruntime.NewFromConfig(cfg).Converse(context.Background(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}},
	})
	var ae smithy.APIError
	if errors.As(err, &ae) {
		fmt.Println(ae.ErrorCode())
		fmt.Println(ae.ErrorMessage())
	}
	for _, e := range srv.Log() {
		fmt.Println(e.Service, e.Action, e.Status, e.Decision)
	}
	// Output:
	// AccessDenied
	// User: arn:aws:iam::111111111111:user/app is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/BedrockInvoker
	// sts AssumeRole 403 deny
}
