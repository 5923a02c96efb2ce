package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/bedrockdoctor/bedrockdoctor/client"
)

// TestWithRolePassesEveryOption: what the app sets on stscreds reaches STS.
func TestWithRolePassesEveryOption(t *testing.T) {
	srv := newWireServer(t)
	c := client.NewFromConfig(testConfig(srv), client.WithRole(roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "my-session"
		o.ExternalID = aws.String("ext-123")
		o.Duration = 30 * time.Minute
		o.Policy = aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:*","Resource":"*"}]}`)
		o.PolicyARNs = []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::222222222222:policy/Session")}}
		o.Tags = []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("ml")}}
		o.TransitiveTagKeys = []string{"team"}
		o.SourceIdentity = aws.String("alice")
		o.SerialNumber = aws.String("arn:aws:iam::111111111111:mfa/alice")
		o.TokenProvider = func() (string, error) { return "123456", nil }
	}))
	if err := invoke(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	form := srv.log()[0].Form
	for field, want := range map[string]string{
		"RoleArn":                    roleARN,
		"RoleSessionName":            "my-session",
		"ExternalId":                 "ext-123",
		"DurationSeconds":            "1800",
		"PolicyArns.member.1.arn":    "arn:aws:iam::222222222222:policy/Session",
		"Tags.member.1.Key":          "team",
		"Tags.member.1.Value":        "ml",
		"TransitiveTagKeys.member.1": "team",
		"SourceIdentity":             "alice",
		"SerialNumber":               "arn:aws:iam::111111111111:mfa/alice",
		"TokenCode":                  "123456",
	} {
		if got := form.Get(field); got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	if form.Get("Policy") == "" {
		t.Errorf("session policy not sent")
	}
}
