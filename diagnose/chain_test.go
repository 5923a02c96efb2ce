package diagnose_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// TestSharedConfigRoleChain: the app's profile assumes a role of its own
// (role_arn + source_profile) before the app's role, and that hop is
// refused. The diagnosis names the hop as an AssumeRole problem, in-call
// and in Run, never the credentials.
func TestSharedConfigRoleChain(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	for _, k := range []string{"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		t.Setenv(k, "")
	}
	wd := build(t, healthy(), tierSome)
	const hop = "arn:aws:iam::" + srcAcct + ":role/Hop"
	wd.w.Account(srcAcct).Role("Hop", policy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"sts:AssumeRole"}`))
	dir := t.TempDir()
	cfgFile, credFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	if err := os.WriteFile(credFile, fmt.Appendf(nil, "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n", wd.appKey.AccessKeyID, wd.appKey.SecretAccessKey), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgFile, []byte("[profile chain]\nrole_arn = "+hop+"\nsource_profile = base\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithSharedConfigFiles([]string{cfgFile}), config.WithSharedCredentialsFiles([]string{credFile}), config.WithSharedConfigProfile("chain"),
		config.WithBaseEndpoint(wd.srv.URL), config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }))
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, r *diagnose.Report) {
		t.Helper()
		if r.Layer != diagnose.LayerAssumeRole {
			t.Errorf("layer = %s, want assume-role:\n%s", r.Layer, r)
		}
		if !strings.Contains(r.Summary, hop) || !strings.Contains(r.Fix, "role_arn") {
			t.Errorf("the report does not name the hop and where it is configured:\n%s", r)
		}
		if r.TargetAccount != tgtAcct {
			t.Errorf("target account = %s, want the role's %s", r.TargetAccount, tgtAcct)
		}
	}
	t.Run("in-call", func(t *testing.T) {
		c := client.NewFromConfig(cfg, client.WithRole(roleARN), client.WithDiagnosis(func(o *diagnose.Options) { o.RateLimit = -1; o.Budget = 2 * time.Second }))
		var derr *diagnose.Error
		if err := runOp(context.Background(), c, "Converse", haiku); !errors.As(err, &derr) {
			t.Fatalf("want a diagnosed error, got %v", err)
		}
		check(t, derr.Report)
	})
	t.Run("Run", func(t *testing.T) {
		r, err := diagnose.NewDiagnoser(cfg, diagnose.Options{RateLimit: -1}).Run(context.Background(), diagnose.Target{RoleARN: roleARN, ModelID: haiku, Operation: "Converse"})
		if err != nil {
			t.Fatal(err)
		}
		check(t, r)
	})
}
