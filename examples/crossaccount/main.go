// Command crossaccount assumes a role in another account with an external
// id, and shows what a denied call's error carries: errors.As finds both the
// diagnosis (*diagnose.Error) and the SDK's own exception
// (*types.AccessDeniedException), and slog logs the report's fields.
//
//	go run ./examples/crossaccount -local
//	go run ./examples/crossaccount -role-arn arn:aws:iam::222222222222:role/BedrockInvoker -external-id partner-42
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/bedrockdoctor/bedrockdoctor/bedrocktest"
	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

func main() {
	local := flag.Bool("local", false, "run against a local fake AWS instead of your account")
	roleARN := flag.String("role-arn", "", "role in the account that owns Bedrock access")
	externalID := flag.String("external-id", "", "external id the role's trust policy requires")
	model := flag.String("model", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "model or inference profile id")
	flag.Parse()
	ctx := context.Background()
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))

	var cfg aws.Config
	if *local {
		srv := bedrocktest.NewServer(localWorld())
		defer srv.Close()
		// What config.LoadDefaultConfig gives the app, in the local world.
		cfg = srv.Config("arn:aws:iam::111111111111:user/app", "us-east-1")
		*roleARN, *externalID = "arn:aws:iam::222222222222:role/BedrockInvoker", "example-external-id"
	} else {
		var err error
		if cfg, err = config.LoadDefaultConfig(ctx); err != nil {
			log.Fatal(err)
		}
	}

	br := client.NewFromConfig(cfg,
		client.WithRole(*roleARN, func(o *stscreds.AssumeRoleOptions) {
			if *externalID != "" {
				o.ExternalID = externalID
			}
			o.RoleSessionName = "crossaccount-example"
		}),
		// The library's own few log lines go to the app's logger.
		client.WithDiagnosis(func(o *diagnose.Options) { o.Logger = logger }),
	)

	_, err := br.Converse(ctx, &bedrockruntime.ConverseInput{
		ModelId:  aws.String(*model),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
	})
	if err == nil {
		logger.Info("bedrock call succeeded")
		return
	}

	// The SDK's exception is still there: code that handled it keeps working.
	var ade *types.AccessDeniedException
	if errors.As(err, &ade) {
		logger.Warn("bedrock denied the call", "aws_message", ade.ErrorMessage())
	}
	// The diagnosis: *diagnose.Error is a slog.LogValuer, so its report
	// logs as structured fields (layer, summary, fix, principal, ...).
	var denied *diagnose.Error
	if errors.As(err, &denied) {
		logger.Error("bedrock call failed", "err", denied)
		if denied.Layer() == diagnose.LayerOrgPolicy {
			logger.Info("route to the organization's administrators", "fix", denied.Report.Fix)
		}
		return
	}
	log.Fatal(err)
}

// localWorld is the offline world of -local: the app in account
// 111111111111 assumes BedrockInvoker in 222222222222 with an external id;
// the organization's "approved regions" SCP denies us-east-2, where the us.
// inference profile routes the call: the diagnosis names org-policy.
func localWorld() *bedrocktest.World {
	const sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0"
	us := []string{"us-east-1", "us-east-2", "us-west-2"}
	w := bedrocktest.NewWorld()
	w.Model(bedrocktest.Model{ID: sonnet, Provider: "Anthropic", Regions: us})
	w.Profile(bedrocktest.Profile{ID: "us." + sonnet, Model: sonnet, Sources: us})
	w.Route("us."+sonnet, "us-east-2")
	org := w.Organization("o-example1", "999999999999")
	org.Account("111111111111").User("app").Inline("assume", `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::222222222222:role/BedrockInvoker"},
 {"Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"arn:aws:iam::111111111111:user/app"}]}`)
	tgt := org.Account("222222222222").SCP("p-approvedregions", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["iam:*","sts:*","organizations:*"],"Resource":"*",
 "Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","us-west-2"]}}}]}`)
	// The confused-deputy guard for a third party: an external id.
	tgt.Role("BedrockInvoker", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/app"},"Action":"sts:AssumeRole",
 "Condition":{"StringEquals":{"sts:ExternalId":"example-external-id"}}}]}`).
		Inline("invoke", `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],
  "Resource":["arn:aws:bedrock:*::foundation-model/*","arn:aws:bedrock:*:222222222222:inference-profile/*"]},
 {"Effect":"Allow","Action":["bedrock:Get*","bedrock:List*","iam:GetRole","iam:ListRolePolicies","iam:GetRolePolicy","iam:ListAttachedRolePolicies","iam:GetPolicy","iam:GetPolicyVersion","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`)
	return w
}
