package client_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// exampleWorld is a fake AWS on loopback standing in for two real accounts:
// user app in 111111111111 and role BedrockInvoker in 222222222222, which
// may invoke Claude 3 Haiku in us-east-1 only. In an application, cfg comes
// from config.LoadDefaultConfig instead.
func exampleWorld() (cfg aws.Config, stop func()) {
	const haiku = "anthropic.claude-3-haiku-20240307-v1:0"
	w := awsfake.NewWorld()
	w.Model(awsfake.FoundationModel{ID: haiku, Provider: "Anthropic", Regions: []string{"us-east-1", "us-west-2"}, OnDemand: true})
	app := w.Account("111111111111").User("app").
		Inline("assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::222222222222:role/BedrockInvoker"}]}`)
	w.Account("222222222222").Role("BedrockInvoker", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/app"},"Action":"sts:AssumeRole"}]}`).
		Inline("invoke", `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:us-east-1::foundation-model/*"},
 {"Effect":"Allow","Action":["bedrock:Get*","bedrock:List*","iam:GetRole","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`)
	srv := awsfake.NewServer(w)
	return srv.Config("us-east-1", app.AccessKey()), srv.Close
}

func hello(model string) *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{
		ModelId:  aws.String(model),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
	}
}

// The one-line migration: NewFromConfig returns the SDK's own
// *bedrockruntime.Client, so the rest of the code is unchanged.
func ExampleNewFromConfig() {
	cfg, stop := exampleWorld()
	defer stop()

	// Before: br := bedrockruntime.NewFromConfig(cfg)
	br := client.NewFromConfig(cfg, client.WithRole("arn:aws:iam::222222222222:role/BedrockInvoker"))

	out, err := br.Converse(context.Background(), hello("anthropic.claude-3-haiku-20240307-v1:0"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.StopReason)
	// Output:
	// end_turn
}

// WithRole passes stscreds options through. When the role may not call the
// model where the client calls it, the error still is the SDK's
// AccessDeniedException, and it also carries the diagnosis.
func ExampleWithRole() {
	cfg, stop := exampleWorld()
	defer stop()
	cfg.Region = "us-west-2" // the role allows us-east-1 only

	br := client.NewFromConfig(cfg,
		client.WithRole("arn:aws:iam::222222222222:role/BedrockInvoker", func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "example"
		}))

	_, err := br.Converse(context.Background(), hello("anthropic.claude-3-haiku-20240307-v1:0"))
	var ade *types.AccessDeniedException
	fmt.Println("AccessDeniedException:", errors.As(err, &ade))
	var denied *diagnose.Error
	if errors.As(err, &denied) {
		fmt.Println("layer:", denied.Layer())
		fmt.Println("principal:", denied.Report.Principal)
		fmt.Println("resource:", denied.Report.Resource)
	}
	// Output:
	// AccessDeniedException: true
	// layer: role-permissions
	// principal: arn:aws:sts::222222222222:assumed-role/BedrockInvoker/example
	// resource: arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0
}

// Code that keeps bedrockruntime.NewFromConfig adds the diagnosis to the
// config's APIOptions. Here the app forgot to assume the role, so its own
// user signs the call: the diagnosis says so instead of blaming a policy.
func ExampleAppendDiagnosis() {
	cfg, stop := exampleWorld()
	defer stop()

	client.AppendDiagnosis(&cfg.APIOptions, cfg, func(o *diagnose.Options) {
		o.RoleARN = "arn:aws:iam::222222222222:role/BedrockInvoker" // the role the app means to use
	})
	br := bedrockruntime.NewFromConfig(cfg)

	_, err := br.Converse(context.Background(), hello("anthropic.claude-3-haiku-20240307-v1:0"))
	var denied *diagnose.Error
	if errors.As(err, &denied) {
		fmt.Println("layer:", denied.Layer())
		fmt.Println("signed by:", denied.Report.Principal)
	}
	// Output:
	// layer: wrong-principal
	// signed by: arn:aws:iam::111111111111:user/app
}
