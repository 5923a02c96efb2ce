package client_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/bedrockdoctor/bedrockdoctor/client"
)

// Code that passes SDK option functions to bedrockruntime.NewFromConfig
// keeps them: WithClientOptions hands them to the SDK's constructor, after
// the options this package sets, so they win.
func ExampleWithClientOptions() {
	cfg, stop := exampleWorld()
	defer stop()
	cfg.Region = "us-west-2" // the role may call the model in us-east-1 only

	optFns := []func(*bedrockruntime.Options){
		func(o *bedrockruntime.Options) { o.Region = "us-east-1" },
	}
	// Before: br := bedrockruntime.NewFromConfig(cfg, optFns...)
	br := client.NewFromConfig(cfg,
		client.WithRole("arn:aws:iam::222222222222:role/BedrockInvoker"),
		client.WithClientOptions(optFns...))

	out, err := br.Converse(context.Background(), hello("anthropic.claude-3-haiku-20240307-v1:0"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(br.Options().Region, out.StopReason)
	// Output:
	// us-east-1 end_turn
}
