package awsfake

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const (
	allowKeyUse  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:CallWithBearerToken","Resource":"*"}]}`
	allowInvoke  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"}]}`
	denyLongTerm = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"bedrock:CallWithBearerToken","Resource":"*","Condition":{"StringEquals":{"bedrock:BearerTokenType":"LONG_TERM"}}}]}`
)

// bearerFixture: a model in two regions, an organization around the
// account, and a TLS server (bearer tokens go only over HTTPS).
func bearerFixture(t *testing.T) (*World, *Account, *Organization, *Server) {
	t.Helper()
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	w := NewWorld()
	w.Model(FoundationModel{ID: haiku, Provider: "Anthropic", Regions: []string{"us-east-1", "us-west-2"}, OnDemand: true})
	org := w.Organization("o-bearer0001", mgmtAcct)
	a := w.Account(srcAcct).InOrg(org)
	s := NewTLSServer(w)
	t.Cleanup(s.Close)
	return w, a, org, s
}

// lastRuntime is the log entry of the last Bedrock Runtime request.
func lastRuntime(t *testing.T, s *Server) LogEntry {
	t.Helper()
	e, ok := s.AppCall()
	if !ok {
		t.Fatal("no Bedrock Runtime request logged")
	}
	return e
}

func wantTruth(t *testing.T, e LogEntry, want ...string) {
	t.Helper()
	if !slices.Equal(e.Truth, want) {
		t.Errorf("truth = %q, want %q", e.Truth, want)
	}
}

// TestLongTermAPIKey: a long-term key is its IAM user, authorized first
// for bedrock:CallWithBearerToken (LONG_TERM), then for the model action.
func TestLongTermAPIKey(t *testing.T) {
	w, a, org, s := bearerFixture(t)
	u := a.APIKeyUser()
	if !strings.HasPrefix(u.Name, "BedrockAPIKey-") || len(u.Name) != len("BedrockAPIKey-")+4 {
		t.Fatalf("user name %q", u.Name)
	}
	tok := u.APIKey(time.Time{})
	if !strings.HasPrefix(tok, "ABSK") {
		t.Fatalf("key %q…", tok[:8])
	}
	user := "arn:aws:iam::" + srcAcct + ":user/" + u.Name

	// No policy allows the key's use.
	_, err := converse(s.BearerConfig("us-east-1", tok), haiku)
	apiErr(t, err, "AccessDeniedException", "User: "+user+" is not authorized to perform: bedrock:CallWithBearerToken on resource: * because no identity-based policy allows the bedrock:CallWithBearerToken action", 403)
	e := lastRuntime(t, s)
	wantTruth(t, e, truthRolePermissions)
	if e.Caller != user || e.Resource != "*" {
		t.Errorf("log: caller %q resource %q", e.Caller, e.Resource)
	}

	// The key may be used, but the model action is not allowed.
	u.Inline("keys", allowKeyUse)
	_, err = converse(s.BearerConfig("us-east-1", tok), haiku)
	apiErr(t, err, "AccessDeniedException", "User: "+user+" is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/"+haiku+" because no identity-based policy allows the bedrock:InvokeModel action", 403)
	wantTruth(t, lastRuntime(t, s), truthRolePermissions)

	u.Inline("invoke", allowInvoke)
	if _, err := converse(s.BearerConfig("us-east-1", tok), haiku); err != nil {
		t.Fatalf("allowed key: %v", err)
	}

	// An SCP on the key type denies long-term keys only.
	org.SCP("p-nolongterm", denyLongTerm)
	_, err = converse(s.BearerConfig("us-east-1", tok), haiku)
	apiErr(t, err, "AccessDeniedException", "User: "+user+" is not authorized to perform: bedrock:CallWithBearerToken on resource: * with an explicit deny in a service control policy: arn:aws:organizations::"+mgmtAcct+":policy/o-bearer0001/service_control_policy/p-nolongterm", 403)
	wantTruth(t, lastRuntime(t, s), truthOrgPolicy)

	// When the app means to use a role, the key's user is the wrong
	// principal, whatever denies it.
	w.SetAppRole(roleARN)
	_, err = converse(s.BearerConfig("us-east-1", tok), haiku)
	if err == nil {
		t.Fatal("denied key succeeded")
	}
	wantTruth(t, lastRuntime(t, s), truthOrgPolicy, truthWrongPrincipal)

	// An expired long-term key.
	old := u.APIKey(time.Now().Add(-time.Minute))
	_, err = converse(s.BearerConfig("us-east-1", old), haiku)
	bareErr(t, err, msgAPIKeyInvalid)
	wantTruth(t, lastRuntime(t, s), truthCredentials)
}

// bareErr checks Bedrock's answer to a key it cannot use: 403, the text,
// and no error type on the wire.
func bareErr(t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %q", msg)
	}
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 403 {
		t.Errorf("want a 403 response error, got %v", err)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q lacks %q", err, msg)
	}
}

// TestShortTermAPIKey: a short-term key is the session that minted it,
// session policy included, in its region only, until it or the session
// expires.
func TestShortTermAPIKey(t *testing.T) {
	w, a, _, s := bearerFixture(t)
	role := a.Role("Minter", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`).
		Inline("keys", allowKeyUse).Inline("invoke", allowInvoke)
	app := a.User("app").Inline("assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`).AccessKey()
	session := "arn:aws:sts::" + srcAcct + ":assumed-role/Minter/minter"

	sess := w.Assume(role, "minter", time.Hour)
	tok := w.ShortTermAPIKey(sess, "us-east-1", time.Time{}, 0)
	if !strings.HasPrefix(tok, "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tLz9BY3Rpb249Q2FsbFdpdGhCZWFyZXJUb2tlbiZYLUFtei1BbGdvcml0aG09QVdTNC1ITUFDLVNIQTI1NiZYLUFtei1DcmVkZW50aWFsP") {
		t.Errorf("the key does not start as the token generator's do: %.60s…", tok)
	}
	if !slices.Contains(w.IssuedSecrets(), tok) {
		t.Error("the key is not among the issued secrets")
	}
	if _, err := converse(s.BearerConfig("us-east-1", tok), haiku); err != nil {
		t.Fatalf("short-term key: %v", err)
	}
	if e := lastRuntime(t, s); e.Caller != session || e.AccessKeyID != sess.AccessKeyID {
		t.Errorf("caller %q key %q", e.Caller, e.AccessKeyID)
	}

	// In another region than it was minted for.
	_, err := converse(s.BearerConfig("us-west-2", tok), haiku)
	bareErr(t, err, msgAPIKeyInvalid)
	wantTruth(t, lastRuntime(t, s), truthCredentials)

	// Expired: signed two hours ago for one hour.
	old := w.ShortTermAPIKey(sess, "us-east-1", time.Now().Add(-2*time.Hour), time.Hour)
	_, err = converse(s.BearerConfig("us-east-1", old), haiku)
	bareErr(t, err, msgAPIKeyInvalid)

	// The minting session expired before the key's own expiry.
	short := w.Assume(role, "brief", time.Second)
	brief := w.ShortTermAPIKey(short, "us-east-1", time.Time{}, 0)
	time.Sleep(1100 * time.Millisecond)
	_, err = converse(s.BearerConfig("us-east-1", brief), haiku)
	bareErr(t, err, msgAPIKeyInvalid)

	// Tampered: another region written into the scope.
	bad := strings.Replace(tok, "dXMtZWFzdC0x", "dXMtd2VzdC0y", 1)
	_, err = converse(s.BearerConfig("us-west-2", bad), haiku)
	bareErr(t, err, msgAPIKeyInvalid)

	// A session whose session policy does not allow the key's use.
	out, err := sts.NewFromConfig(s.Config("us-east-1", app)).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(role.ARN()), RoleSessionName: aws.String("scoped"),
		Policy: aws.String(allowInvoke),
	})
	if err != nil {
		t.Fatal(err)
	}
	scoped := Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey, SessionToken: *out.Credentials.SessionToken, Expires: *out.Credentials.Expiration}
	_, err = converse(s.BearerConfig("us-east-1", w.ShortTermAPIKey(scoped, "us-east-1", time.Time{}, 0)), haiku)
	apiErr(t, err, "AccessDeniedException", "User: arn:aws:sts::"+srcAcct+":assumed-role/Minter/scoped is not authorized to perform: bedrock:CallWithBearerToken on resource: * because no session policy allows the bedrock:CallWithBearerToken action", 403)
	wantTruth(t, lastRuntime(t, s), truthRolePermissions)

	// The app's intended role minted the key: its own permissions, not a
	// wrong principal.
	w.SetAppRole(role.ARN())
	_, _ = converse(s.BearerConfig("us-east-1", w.ShortTermAPIKey(scoped, "us-east-1", time.Time{}, 0)), haiku)
	wantTruth(t, lastRuntime(t, s), truthRolePermissions)

	// A user's access key mints keys too.
	a.User("minter").Inline("keys", allowKeyUse).Inline("invoke", allowInvoke)
	ukey := w.ShortTermAPIKey(mustKey(t, w, srcAcct, "minter"), "us-west-2", time.Time{}, 0)
	w.SetAppRole("")
	if _, err := converse(s.BearerConfig("us-west-2", ukey), haiku); err != nil {
		t.Fatalf("a user's short-term key: %v", err)
	}
}

func mustKey(t *testing.T, w *World, acct, user string) Credentials {
	t.Helper()
	w.mu.Lock()
	u := w.accounts[acct].users[user]
	w.mu.Unlock()
	if u == nil {
		t.Fatalf("no user %s/%s", acct, user)
	}
	return u.AccessKey()
}

// TestNotABedrockKey: a token without a Bedrock API key's prefix (another
// vendor's key, an SSO access token) is refused before any authorization;
// the app sent the wrong thing.
func TestNotABedrockKey(t *testing.T) {
	_, _, _, s := bearerFixture(t)
	for _, tok := range []string{"sk-proj-0123456789abcdef", "eyJraWQiOiJrZXkiLCJhbGciOiJSUzI1NiJ9.e30.sig", "aoaAAAAAGh"} {
		_, err := converse(s.BearerConfig("us-east-1", tok), haiku)
		bareErr(t, err, msgAPIKeyFormat)
		wantTruth(t, lastRuntime(t, s), truthWrongPrincipal)
	}
}
