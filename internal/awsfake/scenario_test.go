package awsfake

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// TestScenarios loads each shipped scenario and plays its target: the
// outcomes below are the author's, checked against the file's own expect.
func TestScenarios(t *testing.T) {
	tests := []struct {
		file     string
		calls    int    // the call whose outcome is checked
		code     string // "" = success
		contains string
	}{
		{"healthy-cross-account.json", 3, "", ""},
		{"trust-wrong-account.json", 1, "AccessDenied", "is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/BedrockInvoker"},
		{"scp-region-deny.json", 1, "AccessDeniedException", "on resource: arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0 with an explicit deny in a service control policy: arn:aws:organizations::999999999999:policy/o-abcd1234/service_control_policy/p-regions"},
		{"marketplace-subscription.json", 2, "AccessDeniedException", "Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions"},
		{"use-case-missing.json", 1, "ResourceNotFoundException", "Model use case details have not been submitted for this account."},
	}
	fsys := os.DirFS("testdata/scenarios")
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
			sc, err := LoadScenario(fsys, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.code; want != sc.Expect["code"] {
				t.Errorf("file expects code %q, test expects %q", sc.Expect["code"], want)
			}
			creds, ok := sc.Credentials(sc.Target.Principal)
			if !ok {
				t.Fatalf("no key for %s", sc.Target.Principal)
			}
			srv := NewServer(sc.World)
			defer srv.Close()
			base := srv.Config(sc.Target.Region, creds)
			cfg := base.Copy()
			cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), sc.Target.RoleARN))
			var callErr error
			for i := 0; i < tt.calls; i++ {
				_, callErr = converse(cfg, sc.Target.ModelID)
				if i < tt.calls-1 && callErr != nil {
					t.Fatalf("call %d: %v", i+1, callErr)
				}
			}
			if tt.code == "" {
				if callErr != nil {
					t.Fatal(callErr)
				}
				return
			}
			var ae smithy.APIError
			if !errors.As(callErr, &ae) || ae.ErrorCode() != tt.code || !strings.Contains(ae.ErrorMessage(), tt.contains) {
				t.Errorf("got %v, want %s containing %q", callErr, tt.code, tt.contains)
			}
		})
	}
}

func TestParseScenarioErrors(t *testing.T) {
	tests := map[string]string{
		"not json":        `{`,
		"unknown field":   `{"nmae":"x"}`,
		"bad policy":      `{"accounts":[{"id":"111111111111","users":[{"name":"u","inline":{"p":{"Statement":"nope"}}}]}]}`,
		"bad account id":  `{"accounts":[{"id":"42"}]}`,
		"bad access":      `{"accounts":[{"id":"111111111111","bedrock":[{"region":"us-east-1","access":{"m.x":"sometimes"}}]}]}`,
		"missing trust":   `{"accounts":[{"id":"111111111111","roles":[{"name":"r"}]}]}`,
		"model no region": `{"models":[{"id":"a.b"}]}`,
		"endpoint user":   `{"endpoints":[{"id":"vpce-1","service":"bedrock-runtime","policy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]},"users":["1/x"]}]}`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseScenario([]byte(doc)); !errors.Is(err, ErrScenario) {
				t.Errorf("got %v, want ErrScenario", err)
			}
		})
	}
	if _, err := LoadScenario(os.DirFS("testdata/scenarios"), "missing.json"); err == nil {
		t.Error("missing file loaded")
	}
}

// TestParseScenarioForms: a demo file wraps a bare scenario under "world"
// with a title, who fixes it and how the app builds its client; both forms
// load, and the app's diagnostic user must be a user of the world.
func TestParseScenarioForms(t *testing.T) {
	bare, err := os.ReadFile("testdata/scenarios/trust-wrong-account.json")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ParseScenario(bare)
	if err != nil {
		t.Fatal(err)
	}
	if sc.App.DiagnosticUser != "222222222222/bedrockdoctor-auditor" || sc.Title != "" {
		t.Errorf("bare: app %+v, title %q", sc.App, sc.Title)
	}
	if got := strings.Join(sc.Users(), ","); got != "111111111111/app,222222222222/bedrockdoctor-auditor" {
		t.Errorf("users %s", got)
	}
	world := `{"name":"w","accounts":[{"id":"111111111111","users":[{"name":"app"}]}]}`
	wrapped := `{"title":"t","fixedBy":"f","app":{"externalId":"x"},"world":` + world + `}`
	sc, err = ParseScenario([]byte(wrapped))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "w" || sc.Title != "t" || sc.FixedBy != "f" || sc.App.ExternalID != "x" {
		t.Errorf("wrapped: %+v", sc)
	}
	for name, doc := range map[string]string{
		"app twice":         `{"app":{"externalId":"x"},"world":{"app":{"externalId":"y"}}}`,
		"wrapper field":     `{"titel":"t","world":{}}`,
		"diagnostic user":   `{"app":{"diagnosticUser":"111111111111/nobody"},"world":` + world + `}`,
		"bad world":         `{"world":{"accounts":[{"id":"1"}]}}`,
		"bare diagnostic":   `{"app":{"diagnosticUser":"1/x"}}`,
		"world not object":  `{"world":[]}`,
		"top not an object": `[]`,
	} {
		if _, err := ParseScenario([]byte(doc)); !errors.Is(err, ErrScenario) {
			t.Errorf("%s: got %v, want ErrScenario", name, err)
		}
	}
}
