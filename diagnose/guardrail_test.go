package diagnose_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// TestGuardrailPermission: the role may invoke the model but not apply the
// guardrail the call names. The in-call diagnosis, Run, and the fix policy
// all cover bedrock:ApplyGuardrail on the guardrail's ARN.
func TestGuardrailPermission(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	const guardrailID = "gr0abc123def"
	guardrailARN := "arn:aws:bedrock:us-east-1:" + tgtAcct + ":guardrail/" + guardrailID
	world := func(rolePolicy string) (*awsfake.Server, awsfake.Credentials) {
		w := awsfake.NewWorld()
		w.Model(awsfake.FoundationModel{ID: haiku, Provider: "Anthropic", Regions: []string{"us-east-1"}, OnDemand: true})
		app := w.Account(srcAcct).User("app").Inline("app", policy(allowAssume))
		tgt := w.Account(tgtAcct)
		tgt.Role(roleName, trustApp).Inline("bedrock", rolePolicy)
		tgt.Bedrock("us-east-1").Guardrail(guardrailID, "pii", "1")
		srv := awsfake.NewServer(w)
		t.Cleanup(srv.Close)
		return srv, app.AccessKey()
	}
	converse := func(srv *awsfake.Server, key awsfake.Credentials) error {
		c := client.NewFromConfig(srv.Config("us-east-1", key), client.WithRole(roleARN),
			client.WithDiagnosis(func(o *diagnose.Options) { o.RateLimit = -1; o.Budget = 10 * time.Second }))
		_, err := c.Converse(context.Background(), &bedrockruntime.ConverseInput{
			ModelId:         aws.String(haiku),
			Messages:        []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}},
			GuardrailConfig: &types.GuardrailConfiguration{GuardrailIdentifier: aws.String(guardrailID), GuardrailVersion: aws.String("1")},
		})
		return err
	}
	rolePolicy := policy(allowInvokeAll, readBedrock, simulateRole)
	srv, key := world(rolePolicy)
	err := converse(srv, key)
	var derr *diagnose.Error
	if !errors.As(err, &derr) || derr.Layer() != diagnose.LayerRolePermissions {
		t.Fatalf("want role-permissions, got %v", err)
	}
	if !strings.Contains(derr.Report.FixPolicy, "bedrock:ApplyGuardrail") || !strings.Contains(derr.Report.FixPolicy, guardrailARN) {
		t.Errorf("fix policy lacks the guardrail grant:\n%s", derr.Report.FixPolicy)
	}

	r, err := diagnose.NewDiagnoser(srv.Config("us-east-1", key), diagnose.Options{RateLimit: -1}).Run(context.Background(),
		diagnose.Target{RoleARN: roleARN, ModelID: haiku, Operation: "Converse", GuardrailID: guardrailID, GuardrailVersion: "1"})
	if err != nil || r.Layer != diagnose.LayerRolePermissions {
		t.Errorf("Run: %v\n%s", err, r)
	}

	fixed, key := world(mergeStatements(t, rolePolicy, derr.Report.FixPolicy))
	if err := converse(fixed, key); err != nil {
		t.Errorf("after the fix policy: %v", err)
	}
}
