package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// bearerWorld: the app's intended role may invoke; a Bedrock API key of a
// user who may not is also in the environment.
func bearerWorld(t *testing.T) (*awsfake.Server, awsfake.Credentials, string) {
	t.Helper()
	w := awsfake.NewWorld()
	w.Model(awsfake.FoundationModel{ID: modelID, Provider: "Anthropic", Regions: []string{"us-east-1"}, OnDemand: true})
	src := w.Account("111111111111")
	app := src.User("app").Inline("assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+roleARN+`"}]}`)
	tgt := w.Account("222222222222")
	tgt.Role("BedrockAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/app"},"Action":"sts:AssumeRole"}]}`).
		Inline("invoke", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel*","Resource":"*"}]}`)
	token := tgt.User("BedrockAPIKey-test").BearerToken()
	srv := awsfake.NewTLSServer(w)
	t.Cleanup(srv.Close)
	return srv, app.AccessKey(), token
}

func TestBearerTokenIsTheWrongPrincipal(t *testing.T) {
	srv, appKey, token := bearerWorld(t)
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", token)
	cfg := srv.Config("us-east-1", appKey)
	client.AppendDiagnosis(&cfg.APIOptions, cfg, func(o *diagnose.Options) { o.RoleARN = roleARN })
	err := invoke(context.Background(), bedrockruntime.NewFromConfig(cfg))
	var derr *diagnose.Error
	if !errors.As(err, &derr) {
		t.Fatalf("want a diagnosed denial, got %v", err)
	}
	if derr.Layer() != diagnose.LayerWrongPrincipal {
		t.Errorf("layer = %s, want wrong-principal\n%s", derr.Layer(), derr.Report)
	}
	if !strings.Contains(derr.Report.Fix, "AWS_BEARER_TOKEN_BEDROCK") {
		t.Errorf("fix does not name the variable: %q", derr.Report.Fix)
	}
	for _, s := range []string{err.Error(), derr.Report.String()} {
		if strings.Contains(s, token) {
			t.Fatalf("the bearer token leaked into %q", s)
		}
	}
}

func TestWithRoleBeatsBearerToken(t *testing.T) {
	srv, appKey, token := bearerWorld(t)
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", token)
	c := client.NewFromConfig(srv.Config("us-east-1", appKey), client.WithRole(roleARN))
	if err := invoke(context.Background(), c); err != nil {
		t.Fatalf("the role may invoke; the call failed: %v", err)
	}
	var last awsfake.LogEntry
	for _, e := range srv.Log() {
		if e.Service == "bedrock-runtime" {
			last = e
		}
	}
	if !strings.Contains(last.Caller, ":assumed-role/BedrockAccess/") {
		t.Errorf("Bedrock call made as %q, want a session of the role", last.Caller)
	}
}
