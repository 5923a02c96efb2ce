package diagnose_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// Bedrock API keys (bearer tokens) in-call: the real SDK sends each kind of
// key over TLS to the fake, which authenticates and authorizes it as AWS
// documents (internal/awsfake/bearer.go); the diagnosis must name the
// layer the fake's ground truth names, and Explain must agree on the text.

const (
	keyUse      = `{"Effect":"Allow","Action":"bedrock:CallWithBearerToken","Resource":"*"}`
	invokeAny   = `{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"}`
	noLongTerm  = `{"Effect":"Deny","Action":"bedrock:CallWithBearerToken","Resource":"*","Condition":{"StringEquals":{"bedrock:BearerTokenType":"LONG_TERM"}}}`
	minterTrust = `{"Effect":"Allow","Principal":{"AWS":"` + appARN + `"},"Action":"sts:AssumeRole"}`
)

// bearerWorld: one account in an organization, with the app user who may
// assume the role that mints short-term keys.
type bearerWorld struct {
	w      *awsfake.World
	acct   *awsfake.Account
	org    *awsfake.Organization
	srv    *awsfake.Server
	appKey awsfake.Credentials
	role   *awsfake.Role
}

func newBearerWorld(t *testing.T) *bearerWorld {
	t.Helper()
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	w := awsfake.NewWorld()
	w.Model(awsfake.FoundationModel{ID: haiku, Provider: "Anthropic", Regions: []string{"us-east-1", "us-west-2"}, OnDemand: true})
	org := w.Organization("o-keys00001", mgmtAcct)
	acct := w.Account(srcAcct).InOrg(org)
	app := acct.User("app").Inline("assume", policy(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}`))
	role := acct.Role("Minter", policy(minterTrust))
	srv := awsfake.NewTLSServer(w)
	t.Cleanup(srv.Close)
	return &bearerWorld{w: w, acct: acct, org: org, srv: srv, appKey: app.AccessKey(), role: role}
}

// session assumes the minting role over STS, with a session policy when
// given.
func (bw *bearerWorld) session(t *testing.T, sessionPolicy string) awsfake.Credentials {
	t.Helper()
	in := &sts.AssumeRoleInput{RoleArn: aws.String(bw.role.ARN()), RoleSessionName: aws.String("minter")}
	if sessionPolicy != "" {
		in.Policy = aws.String(sessionPolicy)
	}
	out, err := sts.NewFromConfig(bw.srv.Config("us-east-1", bw.appKey)).AssumeRole(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	return awsfake.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken, Expires: *c.Expiration}
}

func converseErr(br *bedrockruntime.Client) error {
	_, err := br.Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}}})
	return err
}

func (bw *bearerWorld) judge(t *testing.T, err error, key string) *diagnose.Error {
	t.Helper()
	var derr *diagnose.Error
	if !errors.As(err, &derr) {
		t.Fatalf("want a diagnosed error, got %v", err)
	}
	js, _ := json.Marshal(derr.Report)
	out := err.Error() + string(js) + derr.Report.String()
	for _, s := range append(bw.w.IssuedSecrets(), key) {
		if len(s) >= 8 && strings.Contains(out, s) {
			t.Fatalf("a secret leaked into the error or the report")
		}
	}
	// Reads only: no check ran with SigV4 credentials that did not sign.
	for _, e := range bw.srv.Log() {
		if e.Service != "bedrock-runtime" && e.Action != "AssumeRole" {
			t.Errorf("the diagnosis called %s:%s", e.Service, e.Action)
		}
	}
	bw.srv.ResetLog()
	return derr
}

// agree checks the in-call layer against the fake's ground truth and, when
// the app names no role, against Explain on the same text.
func agree(t *testing.T, derr *diagnose.Error, truth []string, want diagnose.Layer, withRole bool) {
	t.Helper()
	r := derr.Report
	if r.Layer != want {
		t.Errorf("in-call layer = %s %v, want %s\nsummary: %s\nfix: %s", r.Layer, r.Candidates, want, r.Summary, r.Fix)
	}
	if !slices.Contains(truth, string(want)) {
		t.Errorf("the fake's truth %q lacks %s", truth, want)
	}
	if !withRole {
		if e := diagnose.Explain(derr.Unwrap().Error()); e.Layer != r.Layer {
			t.Errorf("Explain = %s, in-call %s, on %q", e.Layer, r.Layer, derr.Unwrap().Error())
		}
	}
}

func (bw *bearerWorld) truth(t *testing.T) []string {
	t.Helper()
	e, ok := bw.srv.AppCall()
	if !ok {
		t.Fatal("no app call logged")
	}
	return e.Truth
}

func bearerCheck(t *testing.T, r *diagnose.Report) diagnose.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == "client.bearer-token" {
			return c
		}
	}
	t.Fatalf("no client.bearer-token check in\n%s", r)
	return diagnose.Check{}
}

// TestLongTermKeyInCall: a long-term key is its IAM user (BedrockAPIKey-…);
// what it lacks is that user's permissions, unless the app meant a role.
func TestLongTermKeyInCall(t *testing.T) {
	bw := newBearerWorld(t)
	u := bw.acct.APIKeyUser()
	key := u.APIKey(time.Time{})
	user := "arn:aws:iam::" + srcAcct + ":user/" + u.Name

	t.Run("no bedrock:CallWithBearerToken", func(t *testing.T) {
		derr := bw.callAndTruth(t, "us-east-1", key, "", diagnose.LayerRolePermissions)
		r := derr.Report
		if r.Principal != user || r.Action != "bedrock:CallWithBearerToken" || r.Resource != "*" {
			t.Errorf("principal %q action %q resource %q", r.Principal, r.Action, r.Resource)
		}
		if !strings.Contains(r.FixPolicy, `"bedrock:CallWithBearerToken"`) || !strings.Contains(r.Fix, user) {
			t.Errorf("fix %q, policy %s", r.Fix, r.FixPolicy)
		}
		if c := bearerCheck(t, r); !strings.Contains(c.Detail, "a long-term Bedrock API key") || !strings.Contains(c.Detail, "BearerAuthTokenProvider") {
			t.Errorf("bearer check: %+v", c)
		}
	})
	t.Run("no model action", func(t *testing.T) {
		u.Inline("keys", policy(keyUse))
		derr := bw.callAndTruth(t, "us-east-1", key, "", diagnose.LayerRolePermissions)
		if r := derr.Report; r.Action != "bedrock:InvokeModel" || !strings.Contains(r.Fix, "identity policy of "+user) {
			t.Errorf("action %q fix %q", r.Action, r.Fix)
		}
	})
	t.Run("a role was intended", func(t *testing.T) {
		derr := bw.callAndTruth(t, "us-east-1", key, roleARN, diagnose.LayerWrongPrincipal)
		r := derr.Report
		if !slices.Contains(r.Candidates, diagnose.LayerRolePermissions) || !strings.Contains(r.Summary, "long-term Bedrock API key") ||
			!strings.Contains(r.Fix, "client.WithRole(\""+roleARN+"\")") {
			t.Errorf("candidates %v summary %q fix %q", r.Candidates, r.Summary, r.Fix)
		}
		bw.w.SetAppRole("")
	})
	t.Run("an SCP on the key type", func(t *testing.T) {
		u.Inline("invoke", policy(invokeAny))
		bw.org.SCP("p-nolongterm", policy(noLongTerm))
		derr := bw.callAndTruth(t, "us-east-1", key, "", diagnose.LayerOrgPolicy)
		if r := derr.Report; !strings.Contains(r.Summary, "blocks Bedrock API keys") || !strings.Contains(r.Summary, "p-nolongterm") {
			t.Errorf("summary %q", r.Summary)
		}
	})
}

// callAndTruth makes the call, names the intended role to the fake too,
// and checks the layer against the truth and Explain.
func (bw *bearerWorld) callAndTruth(t *testing.T, region, key, intended string, want diagnose.Layer) *diagnose.Error {
	t.Helper()
	bw.w.SetAppRole(intended)
	bw.srv.ResetLog()
	cfg := bw.srv.BearerConfig(region, key)
	client.AppendDiagnosis(&cfg.APIOptions, cfg, func(o *diagnose.Options) {
		o.RoleARN = intended
		o.Budget = 5 * time.Second
	})
	err := converseErr(bedrockruntime.NewFromConfig(cfg))
	truth := bw.truth(t)
	derr := bw.judge(t, err, key)
	agree(t, derr, truth, want, intended != "")
	return derr
}

// TestShortTermKeyInCall: a short-term key is the session that generated
// it, session policy included, in its region, until it expires.
func TestShortTermKeyInCall(t *testing.T) {
	bw := newBearerWorld(t)
	bw.role.Inline("keys", policy(keyUse)).Inline("invoke", policy(invokeAny))

	t.Run("refused by the minting session's policy", func(t *testing.T) {
		key := bw.w.ShortTermAPIKey(bw.session(t, policy(invokeAny)), "us-east-1", time.Time{}, 0)
		// The key is a session of the intended role: not a wrong principal.
		derr := bw.callAndTruth(t, "us-east-1", key, bw.role.ARN(), diagnose.LayerRolePermissions)
		r := derr.Report
		if !strings.Contains(r.Summary, "no session policy") || !strings.Contains(r.Fix, "session policy of the session that generated it") {
			t.Errorf("summary %q fix %q", r.Summary, r.Fix)
		}
		if c := bearerCheck(t, r); !strings.Contains(c.Detail, "a short-term Bedrock API key generated for us-east-1") {
			t.Errorf("bearer check: %+v", c)
		}
		if e := diagnose.Explain(derr.Unwrap().Error()); e.Layer != diagnose.LayerRolePermissions {
			t.Errorf("Explain = %s", e.Layer)
		}
	})
	t.Run("used in another region", func(t *testing.T) {
		key := bw.w.ShortTermAPIKey(bw.session(t, ""), "us-west-2", time.Time{}, 0)
		derr := bw.callAndTruth(t, "us-east-1", key, "", diagnose.LayerCredentials)
		r := derr.Report
		if !strings.Contains(r.Summary, "generated for us-west-2 and the client calls us-east-1") || !strings.Contains(r.Fix, "Generate the short-term key for us-east-1") {
			t.Errorf("summary %q fix %q", r.Summary, r.Fix)
		}
		if c := bearerCheck(t, r); c.Status != diagnose.StatusFail || c.Layer != diagnose.LayerCredentials {
			t.Errorf("bearer check: %+v", c)
		}
	})
	t.Run("expired", func(t *testing.T) {
		key := bw.w.ShortTermAPIKey(bw.session(t, ""), "us-east-1", time.Now().Add(-2*time.Hour), time.Hour)
		derr := bw.callAndTruth(t, "us-east-1", key, "", diagnose.LayerCredentials)
		if r := derr.Report; !strings.Contains(r.Summary, "expired at") {
			t.Errorf("summary %q", r.Summary)
		}
	})
	t.Run("from the environment, with a role intended elsewhere", func(t *testing.T) {
		// The SDK reads AWS_BEARER_TOKEN_BEDROCK itself; the key's
		// session is not of the intended role.
		key := bw.w.ShortTermAPIKey(bw.session(t, policy(invokeAny)), "us-east-1", time.Time{}, 0)
		t.Setenv("AWS_BEARER_TOKEN_BEDROCK", key)
		bw.w.SetAppRole(roleARN)
		cfg := bw.srv.Config("us-east-1", bw.appKey)
		cfg.BaseEndpoint = aws.String(bw.srv.RegionURL("us-east-1"))
		client.AppendDiagnosis(&cfg.APIOptions, cfg, func(o *diagnose.Options) { o.RoleARN = roleARN })
		err := converseErr(bedrockruntime.NewFromConfig(cfg))
		truth := bw.truth(t)
		derr := bw.judge(t, err, key)
		agree(t, derr, truth, diagnose.LayerWrongPrincipal, true)
		if r := derr.Report; !strings.Contains(r.Summary, "short-term Bedrock API key") || !strings.HasPrefix(r.Fix, "unset AWS_BEARER_TOKEN_BEDROCK") {
			t.Errorf("summary %q fix %q", r.Summary, r.Fix)
		}
		bw.w.SetAppRole("")
	})
}

// TestNotABedrockKeyInCall: another vendor's key or an SSO token sent as
// the bearer token is the wrong principal; a "Bearer " prefix in the value
// is named.
func TestNotABedrockKeyInCall(t *testing.T) {
	bw := newBearerWorld(t)
	for _, key := range []string{"sk-proj-0123456789abcdefABCDEF", "eyJraWQiOiJrIiwiYWxnIjoiUlMyNTYifQ.e30.c2ln"} {
		derr := bw.callAndTruth(t, "us-east-1", key, "", diagnose.LayerWrongPrincipal)
		if c := bearerCheck(t, derr.Report); c.Status != diagnose.StatusFail || c.Layer != diagnose.LayerWrongPrincipal {
			t.Errorf("bearer check: %+v", c)
		}
	}
	// A real key pasted with its scheme: AWS sees "Bearer Bearer ABSK…".
	key := "Bearer " + bw.acct.APIKeyUser().APIKey(time.Time{})
	derr := bw.callAndTruth(t, "us-east-1", key, "", diagnose.LayerWrongPrincipal)
	if r := derr.Report; !strings.HasPrefix(r.Fix, "Remove the \"Bearer \" prefix") {
		t.Errorf("fix %q", r.Fix)
	}
}

// TestParseBearerKey reads the kinds and a short-term key's clear fields,
// and keeps nothing secret.
func TestParseBearerKey(t *testing.T) {
	w := awsfake.NewWorld()
	acct := w.Account(srcAcct)
	u := acct.APIKeyUser()
	sess := w.Assume(acct.Role("R", policy(minterTrust)), "s", time.Hour)
	signed := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	short := w.ShortTermAPIKey(sess, "eu-west-1", signed, 2*time.Hour)
	for _, tc := range []struct {
		name, token string
		want        diagnose.BearerKey
	}{
		{"long-term", u.APIKey(time.Time{}), diagnose.BearerKey{Type: diagnose.BearerLongTerm, User: u.Name, Account: srcAcct}},
		{"short-term", short, diagnose.BearerKey{Type: diagnose.BearerShortTerm, Region: "eu-west-1", SignedAt: signed, Expires: signed.Add(2 * time.Hour)}},
		{"short-term, cut", short[:40], diagnose.BearerKey{Type: diagnose.BearerShortTerm}},
		{"long-term, not base64", "ABSK!!!", diagnose.BearerKey{Type: diagnose.BearerLongTerm}},
		{"scheme in the value", "Bearer ABSKQmVkcm9ja0FQSUtleS0", diagnose.BearerKey{Type: diagnose.BearerLongTerm, BearerPrefixed: true}},
		{"openai", "sk-proj-abc", diagnose.BearerKey{}},
		{"empty", "", diagnose.BearerKey{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := diagnose.ParseBearerKey(tc.token)
			if got != tc.want {
				t.Errorf("ParseBearerKey = %+v, want %+v", got, tc.want)
			}
			js, _ := json.Marshal(got)
			for _, s := range w.IssuedSecrets() {
				if strings.Contains(string(js), s) {
					t.Errorf("a secret in %s", js)
				}
			}
			if strings.Contains(string(js), sess.AccessKeyID) {
				t.Errorf("the access key id in %s", js)
			}
		})
	}
}
