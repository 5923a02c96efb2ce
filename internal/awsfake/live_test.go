//go:build live

// The live suite states, as tests, each assumption the fake makes about AWS,
// so that someone with an account can check them: go test -tags live
// -run Live ./internal/awsfake/ with AWSFAKE_LIVE=1 and ordinary AWS
// credentials in the environment. CI never runs it. The tests only read,
// except sts:AssumeRole on a role that does not exist.
//
// Optional environment:
//
//	AWSFAKE_LIVE_REGION            region (default us-east-1)
//	AWSFAKE_LIVE_PROFILE_ONLY_MODEL a model id with no on-demand throughput
//	                                (default anthropic.claude-sonnet-4-5-20250929-v1:0)
package awsfake

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func liveConfig(t *testing.T) aws.Config {
	t.Helper()
	if os.Getenv("AWSFAKE_LIVE") != "1" {
		t.Skip("set AWSFAKE_LIVE=1 to run against real AWS")
	}
	region := os.Getenv("AWSFAKE_LIVE_REGION")
	if region == "" {
		region = "us-east-1"
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(region), config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func liveEnv(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// liveAPIErr checks code and message exactly like the fake's tests do.
func liveAPIErr(t *testing.T, err error, code, msg string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Errorf("AWS answers %s: %q; the fake assumes %s: %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != status {
		t.Errorf("AWS answers status %d; the fake assumes %d", re.HTTPStatusCode(), status)
	}
	if errors.As(err, &re) && re.ServiceRequestID() == "" {
		t.Error("AWS sent no x-amzn-RequestId; the fake always does")
	}
}

func withStatic(cfg aws.Config, key, secret string) aws.Config {
	c := cfg.Copy()
	c.Credentials = credentials.NewStaticCredentialsProvider(key, secret, "")
	return c
}

// Assumption: a missing role answers AccessDenied in the IAM grammar with no
// reason suffix (AWS.md §2.3, §3.8).
func TestLiveAssumeMissingRole(t *testing.T) {
	cfg := liveConfig(t)
	ctx := context.Background()
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	role := "arn:aws:iam::" + *id.Account + ":role/awsfake-live-does-not-exist"
	_, err = sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("awsfake-live")})
	if strings.HasSuffix(*id.Arn, ":root") {
		liveAPIErr(t, err, "AccessDenied", msgRootAssume, 403)
		return
	}
	liveAPIErr(t, err, "AccessDenied", deniedMessage(*id.Arn, "sts:AssumeRole", role, ""), 403)
}

// Assumption: unknown keys and wrong secrets answer these codes and texts in
// both protocols (AWS.md §2.3, §6.3).
func TestLiveCredentialErrors(t *testing.T) {
	cfg := liveConfig(t)
	ctx := context.Background()
	unknown := withStatic(cfg, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	_, err := sts.NewFromConfig(unknown).GetCallerIdentity(ctx, nil)
	liveAPIErr(t, err, "InvalidClientTokenId", msgInvalidToken, 403)
	_, err = bedrockruntime.NewFromConfig(unknown).Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: userMessage("hi")})
	liveAPIErr(t, err, "UnrecognizedClientException", msgInvalidToken+".", 403)

	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wrong := cfg.Copy()
	wrong.Credentials = credentials.NewStaticCredentialsProvider(creds.AccessKeyID, "wrong-secret", creds.SessionToken)
	_, err = sts.NewFromConfig(wrong).GetCallerIdentity(ctx, nil)
	liveAPIErr(t, err, "SignatureDoesNotMatch", msgSignature, 403)
	_, err = bedrockruntime.NewFromConfig(wrong).Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: userMessage("hi")})
	liveAPIErr(t, err, "InvalidSignatureException", msgSignature, 403)
}

// Assumption: model-id validation texts (AWS.md §6.6, §6.8). Needs
// bedrock:InvokeModel on the models.
func TestLiveModelIDErrors(t *testing.T) {
	cfg := liveConfig(t)
	ctx := context.Background()
	br := bedrockruntime.NewFromConfig(cfg)
	model := liveEnv("AWSFAKE_LIVE_PROFILE_ONLY_MODEL", sonnet)
	_, err := br.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(model), Messages: userMessage("hi")})
	liveAPIErr(t, err, "ValidationException", onDemandMessage(model), 400)
	_, err = br.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String("anthropic.awsfake-does-not-exist-v1:0"), Messages: userMessage("hi")})
	liveAPIErr(t, err, "ValidationException", msgInvalidModel, 400)
}

// Assumption: IAM's NoSuchEntity text and URL-encoded documents (AWS.md
// §4.2, §4.5). Needs iam:GetRole.
func TestLiveIAM(t *testing.T) {
	cfg := liveConfig(t)
	ctx := context.Background()
	c := iam.NewFromConfig(cfg)
	_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("awsfake-live-does-not-exist")})
	liveAPIErr(t, err, "NoSuchEntity", "The role with name awsfake-live-does-not-exist cannot be found.", 404)
	roles, err := c.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(1)})
	if err != nil {
		t.Skipf("iam:ListRoles: %v", err)
	}
	if len(roles.Roles) == 0 {
		t.Skip("no roles")
	}
	r, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: roles.Roles[0].RoleName})
	if err != nil {
		t.Fatal(err)
	}
	doc := *r.Role.AssumeRolePolicyDocument
	if strings.HasPrefix(doc, "{") {
		t.Errorf("trust document is not URL-encoded: %.40s", doc)
	}
	if _, err := url.QueryUnescape(doc); err != nil {
		t.Errorf("trust document does not QueryUnescape: %v", err)
	}
}

// Assumption: a system profile's ARN carries the caller's account and the
// source region, and its models[] lists destination FM ARNs (AWS.md §5.2).
func TestLiveInferenceProfiles(t *testing.T) {
	cfg := liveConfig(t)
	ctx := context.Background()
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := bedrock.NewFromConfig(cfg).ListInferenceProfiles(ctx, &bedrock.ListInferenceProfilesInput{TypeEquals: "SYSTEM_DEFINED", MaxResults: aws.Int32(5)})
	if err != nil {
		t.Skipf("bedrock:ListInferenceProfiles: %v", err)
	}
	for _, p := range out.InferenceProfileSummaries {
		want := "arn:aws:bedrock:" + cfg.Region + ":" + *id.Account + ":inference-profile/" + *p.InferenceProfileId
		if *p.InferenceProfileArn != want {
			t.Errorf("profile ARN %s, the fake builds %s", *p.InferenceProfileArn, want)
		}
		for _, m := range p.Models {
			if !strings.Contains(*m.ModelArn, "::foundation-model/") {
				t.Errorf("model ARN %s is not a foundation-model ARN", *m.ModelArn)
			}
		}
	}
}

// Assumption: an unknown awsQuery action answers InvalidAction 400
// "Could not find operation X for version Y", in the awsQuery XML envelope,
// with x-amzn-RequestId.
func TestLiveInvalidAction(t *testing.T) {
	cfg := liveConfig(t)
	ctx := context.Background()
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	body := "Action=AwsfakeNoSuchAction&Version=2011-06-15"
	req, err := http.NewRequestWithContext(ctx, "POST", "https://sts."+cfg.Region+".amazonaws.com/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, sha256Hex([]byte(body)), "sts", cfg.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(string(raw), "<Code>InvalidAction</Code>") ||
		!strings.Contains(string(raw), "Could not find operation AwsfakeNoSuchAction for version 2011-06-15") {
		t.Errorf("AWS answers %d %s", resp.StatusCode, raw)
	}
	if resp.Header.Get("X-Amzn-Requestid") == "" {
		t.Error("no x-amzn-RequestId")
	}
}

// Assumption: STS refuses a signature 20 minutes old with
// SignatureDoesNotMatch "Signature expired: ... (... - 15 min.)", and Bedrock
// Runtime one 6 minutes old with InvalidSignatureException "(... - 5 min.)".
func TestLiveClockSkew(t *testing.T) {
	cfg := liveConfig(t)
	ctx := context.Background()
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		url, body, service, contentType, want string
		skew                                  time.Duration
	}{
		{"https://sts." + cfg.Region + ".amazonaws.com/", "Action=GetCallerIdentity&Version=2011-06-15", "sts", "application/x-www-form-urlencoded", "SignatureDoesNotMatch", -20 * time.Minute},
		{"https://bedrock-runtime." + cfg.Region + ".amazonaws.com/model/" + url.PathEscape(haiku) + "/converse", `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`, "bedrock", "application/json", "InvalidSignatureException", -6 * time.Minute},
	}
	for _, tt := range tests {
		req, err := http.NewRequestWithContext(ctx, "POST", tt.url, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", tt.contentType)
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, sha256Hex([]byte(tt.body)), tt.service, cfg.Region, time.Now().Add(tt.skew)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 403 || !strings.Contains(string(raw), tt.want) || !strings.Contains(string(raw), "Signature expired: ") {
			t.Errorf("%s: AWS answers %d %s", tt.service, resp.StatusCode, raw)
		}
	}
}
