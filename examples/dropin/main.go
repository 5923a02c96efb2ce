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

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/examples/internal/localaws"
)

func main() {
	local := flag.Bool("local", false, "run against a local fake AWS instead of your account")
	roleARN := flag.String("role-arn", "", "role that owns Bedrock access")
	model := flag.String("model", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "model or inference profile id")
	flag.Parse()
	ctx := context.Background()

	var cfg aws.Config
	if *local {
		env := localaws.DestinationRegionDenied()
		defer env.Close()
		cfg, *roleARN, *model = env.Config, env.RoleARN, env.ModelID
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
