package bedrocktest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bedrockdoctor/bedrockdoctor/bedrocktest"
)

// TestConfigPrincipals: a config for each kind of principal signs as that
// principal; a user's key is the same for the life of the world (a
// scenario's own key included, so its VPC endpoints still apply); an ARN
// the world does not hold panics with the ARN.
func TestConfigPrincipals(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	srv := bedrocktest.StartFile(t, "../cmd/bedrock-doctor/scenarios/09-endpoint-policy.json")
	who := func(principal string) string {
		t.Helper()
		out, err := sts.NewFromConfig(srv.Config(principal, "")).GetCallerIdentity(context.Background(), nil)
		if err != nil {
			t.Fatalf("%s: %v", principal, err)
		}
		return *out.Arn
	}
	for principal, want := range map[string]string{
		"arn:aws:iam::111111111111:user/app":            "arn:aws:iam::111111111111:user/app",
		"arn:aws:iam::222222222222:role/BedrockInvoker": "arn:aws:sts::222222222222:assumed-role/BedrockInvoker/bedrocktest",
		"arn:aws:iam::333333333333:root":                "arn:aws:iam::333333333333:root",
	} {
		if got := who(principal); got != want {
			t.Errorf("%s signs as %s, want %s", principal, got, want)
		}
	}
	a := srv.World.App()
	k1, _ := srv.Config(a.Principal, "").Credentials.Retrieve(context.Background())
	k2, _ := srv.Config(a.Principal, "eu-west-1").Credentials.Retrieve(context.Background())
	if k1.AccessKeyID != k2.AccessKeyID {
		t.Errorf("two keys for one user: %s, %s", k1.AccessKeyID, k2.AccessKeyID)
	}
	if cfg := srv.Config(a.Principal, ""); cfg.Region != a.Region {
		t.Errorf("default region %q, want the app's %q", cfg.Region, a.Region)
	}
	for _, bad := range []string{"arn:aws:iam::111111111111:user/ghost", "arn:aws:iam::222222222222:role/Ghost", "not-an-arn"} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), bad) {
					t.Errorf("Config(%q): panic %v, want one naming it", bad, r)
				}
			}()
			srv.Config(bad, "")
		}()
	}
}

// TestStartCloses: Start's server is closed by the test's cleanup.
func TestStartCloses(t *testing.T) {
	var url string
	t.Run("inner", func(t *testing.T) {
		url = bedrocktest.Start(t, bedrocktest.NewWorld()).URL
	})
	resp, err := http.Get(url)
	if err == nil {
		resp.Body.Close()
		t.Errorf("%s still answers after the test ended", url)
	}
}

func TestLoadWorldErrors(t *testing.T) {
	if _, err := bedrocktest.LoadWorld("testdata/missing.json"); err == nil {
		t.Error("a missing file loaded")
	}
	if _, err := bedrocktest.ParseWorld([]byte(`{"accounts":[{"id":"1"}]}`)); err == nil || !strings.Contains(err.Error(), "12 digits") {
		t.Errorf("bad account id: %v", err)
	}
}
