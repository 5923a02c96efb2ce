package awsfake

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

// apiErr asserts err carries an API error with code, message and status.
func apiErr(t *testing.T, err error, code, msg string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v carries no smithy.APIError", err)
	}
	if ae.ErrorCode() != code {
		t.Errorf("code = %q, want %q (%v)", ae.ErrorCode(), code, err)
	}
	if msg != "" && ae.ErrorMessage() != msg {
		t.Errorf("message =\n  %q\nwant\n  %q", ae.ErrorMessage(), msg)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v carries no ResponseError", err)
	}
	if re.HTTPStatusCode() != status {
		t.Errorf("status = %d, want %d", re.HTTPStatusCode(), status)
	}
	if re.ServiceRequestID() == "" {
		t.Errorf("no request id in %v", err)
	}
}

func TestGetCallerIdentity(t *testing.T) {
	f := newFixture(t)
	root := f.tgt.RootCredentials()
	sess := f.session(t)
	tests := []struct {
		name                  string
		creds                 Credentials
		arn, account, uidPref string
	}{
		{"user", f.appKey, appARN, srcAcct, f.app.UniqueID},
		{"role session", sess, "arn:aws:sts::222222222222:assumed-role/BedrockInvoker/test", tgtAcct, f.role.UniqueID + ":test"},
		{"root", root, "arn:aws:iam::222222222222:root", tgtAcct, tgtAcct},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := sts.NewFromConfig(f.cfg(tt.creds)).GetCallerIdentity(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if *out.Arn != tt.arn || *out.Account != tt.account || *out.UserId != tt.uidPref {
				t.Errorf("got %s %s %s, want %s %s %s", *out.Arn, *out.Account, *out.UserId, tt.arn, tt.account, tt.uidPref)
			}
		})
	}
	// An explicit deny cannot block GetCallerIdentity.
	f.app.Inline("deny-all", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)
	if _, err := sts.NewFromConfig(f.cfg(f.appKey)).GetCallerIdentity(context.Background(), nil); err != nil {
		t.Errorf("GetCallerIdentity under deny-all: %v", err)
	}
}

func TestAssumeRoleOutput(t *testing.T) {
	f := newFixture(t)
	before := time.Now()
	out, err := sts.NewFromConfig(f.cfg(f.appKey)).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(900),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("ml")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := *out.AssumedRoleUser.Arn, "arn:aws:sts::222222222222:assumed-role/BedrockInvoker/s1"; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if got, want := *out.AssumedRoleUser.AssumedRoleId, f.role.UniqueID+":s1"; got != want {
		t.Errorf("AssumedRoleId = %s, want %s", got, want)
	}
	if !strings.HasPrefix(*out.Credentials.AccessKeyId, "ASIA") || *out.Credentials.SessionToken == "" {
		t.Errorf("credentials %s / token %q", *out.Credentials.AccessKeyId, *out.Credentials.SessionToken)
	}
	exp := *out.Credentials.Expiration
	if exp.Before(before.Add(899*time.Second)) || exp.After(time.Now().Add(901*time.Second)) {
		t.Errorf("Expiration %v is not 900 s ahead", exp)
	}
}

// TestAssumeRoleDenied covers every reason STS refuses; each answers the
// same undifferentiated AccessDenied (AWS.md §2.3) unless stated.
func TestAssumeRoleDenied(t *testing.T) {
	const denied = "User: arn:aws:iam::111111111111:user/app is not authorized to perform: sts:AssumeRole on resource: "
	tests := []struct {
		name   string
		setup  func(f *fixture) Credentials
		in     sts.AssumeRoleInput
		code   string
		msg    string
		status int
	}{
		{name: "role does not exist", in: sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/Nope")},
			code: "AccessDenied", msg: denied + "arn:aws:iam::222222222222:role/Nope", status: 403},
		{name: "role path differs", in: sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/team/BedrockInvoker")},
			code: "AccessDenied", msg: denied + "arn:aws:iam::222222222222:role/team/BedrockInvoker", status: 403},
		{name: "trust names another account", setup: func(f *fixture) Credentials {
			f.role.SetTrust(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"sts:AssumeRole"}]}`)
			return f.appKey
		}, code: "AccessDenied", msg: denied + roleARN, status: 403},
		{name: "source has no identity allow", setup: func(f *fixture) Credentials {
			return f.src.User("bare").AccessKey()
		}, code: "AccessDenied", msg: "User: arn:aws:iam::111111111111:user/bare is not authorized to perform: sts:AssumeRole on resource: " + roleARN, status: 403},
		{name: "external id missing", setup: func(f *fixture) Credentials {
			f.role.SetTrust(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}]}`)
			return f.appKey
		}, code: "AccessDenied", msg: denied + roleARN, status: 403},
		{name: "external id wrong", setup: func(f *fixture) Credentials {
			f.role.SetTrust(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}]}`)
			return f.appKey
		}, in: sts.AssumeRoleInput{ExternalId: aws.String("ext-999")}, code: "AccessDenied", msg: denied + roleARN, status: 403},
		{name: "mfa required", setup: func(f *fixture) Credentials {
			f.role.SetTrust(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)
			return f.appKey
		}, code: "AccessDenied", msg: denied + roleARN, status: 403},
		{name: "session tags without sts:TagSession", setup: func(f *fixture) Credentials {
			f.role.SetTrust(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}]}`)
			return f.appKey
		}, in: sts.AssumeRoleInput{Tags: []ststypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}},
			code: "AccessDenied", msg: "User: arn:aws:iam::111111111111:user/app is not authorized to perform: sts:TagSession on resource: " + roleARN, status: 403},
		{name: "source identity without sts:SetSourceIdentity", in: sts.AssumeRoleInput{SourceIdentity: aws.String("alice")},
			code: "AccessDenied", msg: "User: arn:aws:iam::111111111111:user/app is not authorized to perform: sts:SetSourceIdentity on resource: " + roleARN, status: 403},
		{name: "scp of the caller's org denies", setup: func(f *fixture) Credentials {
			f.src.SCP("p-noassume", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}]}`)
			return f.appKey
		}, code: "AccessDenied", msg: denied + roleARN, status: 403},
		{name: "rcp of the role's org denies outsiders", setup: func(f *fixture) Credentials {
			f.role.SetTrust(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"333333333333"},"Action":"sts:AssumeRole"}]}`)
			f.org.RCP("p-perimeter", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abcd1234"}}}]}`)
			return f.w.Account("333333333333").User("partner").Inline("a", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`).AccessKey()
		}, code: "AccessDenied", msg: "User: arn:aws:iam::333333333333:user/partner is not authorized to perform: sts:AssumeRole on resource: " + roleARN, status: 403},
		{name: "root credentials", setup: func(f *fixture) Credentials { return f.src.RootCredentials() },
			code: "AccessDenied", msg: "Roles may not be assumed by root accounts.", status: 403},
		{name: "duration over MaxSessionDuration", in: sts.AssumeRoleInput{DurationSeconds: aws.Int32(7200)},
			code: "ValidationError", msg: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", status: 400},
		{name: "role chaining over one hour", setup: func(f *fixture) Credentials {
			f.role.MaxSession(4 * time.Hour)
			f.role.SetTrust(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["111111111111","arn:aws:iam::222222222222:role/Hop"]},"Action":"sts:AssumeRole"}]}`)
			hop := f.tgt.Role("Hop", `{}`).Inline("a", allowAssume)
			return f.w.Assume(hop, "hop", time.Hour)
		}, in: sts.AssumeRoleInput{DurationSeconds: aws.Int32(7200)},
			code: "ValidationError", msg: "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.", status: 400},
		{name: "bad session name", in: sts.AssumeRoleInput{RoleSessionName: aws.String("has space")}, code: "ValidationError", status: 400},
		{name: "malformed session policy", in: sts.AssumeRoleInput{Policy: aws.String(`{"Statement":`)}, code: "MalformedPolicyDocument", status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			creds := f.appKey
			if tt.setup != nil {
				creds = tt.setup(f)
			}
			in := tt.in
			if in.RoleArn == nil {
				in.RoleArn = aws.String(roleARN)
			}
			if in.RoleSessionName == nil {
				in.RoleSessionName = aws.String("sess")
			}
			_, err := sts.NewFromConfig(f.cfg(creds)).AssumeRole(context.Background(), &in)
			apiErr(t, err, tt.code, tt.msg, tt.status)
		})
	}
}

func TestAssumeRoleConditionsMet(t *testing.T) {
	f := newFixture(t)
	f.role.SetTrust(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],
	 "Condition":{"StringEquals":{"sts:ExternalId":"ext-123"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)
	_, err := sts.NewFromConfig(f.cfg(f.appKey)).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("sess"), ExternalId: aws.String("ext-123"),
		SerialNumber: aws.String("arn:aws:iam::111111111111:mfa/app"), TokenCode: aws.String("123456"), SourceIdentity: aws.String("alice"),
	})
	if err != nil {
		t.Fatal(err)
	}
	// Same account: a trust naming the role's user directly suffices.
	g := newFixture(t)
	local := g.tgt.User("local")
	g.role.SetTrust(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:user/local"},"Action":"sts:AssumeRole"}]}`)
	if _, err := sts.NewFromConfig(g.cfg(local.AccessKey())).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("sess")}); err != nil {
		t.Errorf("same-account direct trust: %v", err)
	}
}

// TestCredentialErrors: unknown keys, wrong secrets and expired sessions in
// both protocols' words (AWS.md §2.3, §6.3).
func TestCredentialErrors(t *testing.T) {
	f := newFixture(t)
	expired := f.w.Assume(f.role, "old", -time.Minute)
	wrongSecret := f.appKey
	wrongSecret.SecretAccessKey = "not-the-secret"
	badToken := f.session(t)
	badToken.SessionToken = "forged"
	tests := []struct {
		name              string
		creds             Credentials
		queryCode, qmsg   string
		jsonCode, jsonMsg string
	}{
		{"unknown key", Credentials{AccessKeyID: "AKIAUNKNOWN000000000", SecretAccessKey: "x"},
			"InvalidClientTokenId", "The security token included in the request is invalid",
			"UnrecognizedClientException", "The security token included in the request is invalid."},
		{"wrong secret", wrongSecret,
			"SignatureDoesNotMatch", msgSignature, "InvalidSignatureException", msgSignature},
		{"forged session token", badToken,
			"InvalidClientTokenId", "The security token included in the request is invalid",
			"UnrecognizedClientException", "The security token included in the request is invalid."},
		{"expired session", expired,
			"ExpiredToken", "The security token included in the request is expired",
			"ExpiredTokenException", "The security token included in the request is expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sts.NewFromConfig(f.cfg(tt.creds)).GetCallerIdentity(context.Background(), nil)
			apiErr(t, err, tt.queryCode, tt.qmsg, 403)
			_, err = converse(f.cfg(tt.creds), haiku)
			apiErr(t, err, tt.jsonCode, tt.jsonMsg, 403)
		})
	}
}

// TestSameAccountTrustNamingTheAccount: when the trust policy names only the
// account, a same-account caller also needs an identity-policy allow
// (AWS.md §2.4).
func TestSameAccountTrustNamingTheAccount(t *testing.T) {
	f := newFixture(t)
	f.role.SetTrust(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`)
	in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("sess")}
	bare := f.tgt.User("bare")
	_, err := sts.NewFromConfig(f.cfg(bare.AccessKey())).AssumeRole(context.Background(), in)
	apiErr(t, err, "AccessDenied", "User: arn:aws:iam::222222222222:user/bare is not authorized to perform: sts:AssumeRole on resource: "+roleARN, 403)
	allowed := f.tgt.User("allowed").Inline("a", allowAssume)
	if _, err := sts.NewFromConfig(f.cfg(allowed.AccessKey())).AssumeRole(context.Background(), in); err != nil {
		t.Errorf("with an identity allow: %v", err)
	}
}
