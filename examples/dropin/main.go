// Command dropin shows the one-line migration: bedrockruntime.NewFromConfig
// becomes client.NewFromConfig with the role, and a denied call's error says
// which layer denied it.
//
//	go run ./examples/dropin -local
//	go run ./examples/dropin -role-arn arn:aws:iam::222222222222:role/BedrockInvoker
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/bedrockdoctor/bedrockdoctor/bedrocktest"
	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

func main() {
	local := flag.Bool("local", false, "run against a local fake AWS instead of your account")
	roleARN := flag.String("role-arn", "", "role that owns Bedrock access")
	model := flag.String("model", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "model or inference profile id")
	flag.Parse()
	ctx := context.Background()

	var cfg aws.Config
	if *local {
		srv := bedrocktest.NewServer(localWorld())
		defer srv.Close()
		// What config.LoadDefaultConfig gives the app, in the local world.
		cfg = srv.Config("arn:aws:iam::111111111111:user/app", "us-east-1")
		*roleARN = "arn:aws:iam::222222222222:role/BedrockInvoker"
	} else {
		var err error
		if cfg, err = config.LoadDefaultConfig(ctx); err != nil {
			log.Fatal(err)
		}
	}

	// Before: br := bedrockruntime.NewFromConfig(cfg)
	br := client.NewFromConfig(cfg, client.WithRole(*roleARN))

	out, err := br.Converse(ctx, &bedrockruntime.ConverseInput{
		ModelId:  aws.String(*model),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
	})
	var denied *diagnose.Error
	switch {
	case errors.As(err, &denied):
		// err.Error() is the SDK's text plus "; diagnosis: <layer>: <summary>".
		fmt.Println("error:", err)
		fmt.Println("layer:", denied.Layer())
		fmt.Println("fix:", denied.Report.Fix)
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println("stop reason:", out.StopReason)
	}
}

// localWorld is the offline world of -local: the app in account
// 111111111111 assumes BedrockInvoker in 222222222222, whose policy allows
// the model in us-east-1 only, while the us. inference profile routes the
// call to us-east-2: the diagnosis names role-permissions.
func localWorld() *bedrocktest.World {
	const sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0"
	us := []string{"us-east-1", "us-east-2", "us-west-2"}
	w := bedrocktest.NewWorld()
	w.Model(bedrocktest.Model{ID: sonnet, Provider: "Anthropic", Regions: us})
	w.Profile(bedrocktest.Profile{ID: "us." + sonnet, Model: sonnet, Sources: us})
	w.Route("us."+sonnet, "us-east-2")
	w.Account("111111111111").User("app").Inline("assume", `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::222222222222:role/BedrockInvoker"},
 {"Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"arn:aws:iam::111111111111:user/app"}]}`)
	w.Account("222222222222").Role("BedrockInvoker", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/app"},"Action":"sts:AssumeRole"}]}`).
		Inline("invoke", `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],
  "Resource":["arn:aws:bedrock:us-east-1::foundation-model/*","arn:aws:bedrock:us-east-1:222222222222:inference-profile/*"]},
 {"Effect":"Allow","Action":["bedrock:Get*","bedrock:List*","iam:GetRole","iam:ListRolePolicies","iam:GetRolePolicy","iam:ListAttachedRolePolicies","iam:GetPolicy","iam:GetPolicyVersion","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`)
	return w
}
