package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

const (
	roleARN = "arn:aws:iam::222222222222:role/BedrockAccess"
	modelID = "anthropic.claude-3-haiku-20240307-v1:0"
)

// testConfig points every client at srv with static source credentials and
// no retries.
func testConfig(srv *wireServer) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAEXAMPLESOURCE001", "source-secret", ""),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:   srv.Client(),
	}
}

func invoke(ctx context.Context, c *bedrockruntime.Client) error {
	_, err := c.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{
		ModelId:     aws.String(modelID),
		ContentType: aws.String("application/json"),
		Body:        []byte(`{"prompt":"hi"}`),
	})
	return err
}

func TestSuccessIsUntouched(t *testing.T) {
	srv := newWireServer(t)
	c := client.NewFromConfig(testConfig(srv), client.WithRole(roleARN))
	out, err := c.InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String(modelID), Body: []byte(`{}`), ContentType: aws.String("application/json"),
	})
	if err != nil {
		t.Fatalf("InvokeModel: %v", err)
	}
	if string(out.Body) != `{"completion":"ok"}` {
		t.Errorf("body = %q", out.Body)
	}
	log := srv.log()
	if len(log) != 2 || log[0].Action != "AssumeRole" {
		t.Fatalf("requests = %+v, want AssumeRole then InvokeModel", log)
	}
	if got := log[0].Form.Get("RoleArn"); got != roleARN {
		t.Errorf("RoleArn = %q", got)
	}
	if got := log[0].Form.Get("RoleSessionName"); !strings.HasPrefix(got, "bedrockdoctor-") {
		t.Errorf("RoleSessionName = %q, want bedrockdoctor-…", got)
	}
	if !strings.Contains(log[1].Authorization, "Credential=ASIAEXAMPLEROLEKEY01/") {
		t.Errorf("Bedrock call not signed with the role's key: %q", log[1].Authorization)
	}
}

func TestBedrockAccessDenied(t *testing.T) {
	const msg = "User: arn:aws:sts::222222222222:assumed-role/BedrockAccess/bedrockdoctor-1 is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/" + modelID + " because no identity-based policy allows the bedrock:InvokeModel action"
	srv := newWireServer(t)
	srv.bedrock = jsonError(http.StatusForbidden, "AccessDeniedException", msg)
	c := client.NewFromConfig(testConfig(srv), client.WithRole(roleARN))
	err := invoke(context.Background(), c)
	if err == nil {
		t.Fatal("want an error")
	}

	var derr *diagnose.Error
	if !errors.As(err, &derr) {
		t.Fatalf("errors.As(*diagnose.Error) false: %v", err)
	}
	if derr.Layer() != diagnose.LayerRolePermissions {
		t.Errorf("layer = %s, want role-permissions\n%s", derr.Layer(), derr.Report)
	}
	if derr.Report.ModelID != modelID || derr.Report.Operation != "InvokeModel" || derr.Report.Region != "us-east-1" {
		t.Errorf("report call fields = %q %q %q", derr.Report.ModelID, derr.Report.Operation, derr.Report.Region)
	}
	if derr.Report.RoleARN != roleARN {
		t.Errorf("RoleARN = %q", derr.Report.RoleARN)
	}
	var ade *types.AccessDeniedException
	if !errors.As(err, &ade) || ade.ErrorMessage() != msg {
		t.Errorf("errors.As(*types.AccessDeniedException) = %v", ade)
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" {
		t.Errorf("smithy.APIError = %v", apiErr)
	}
	var respErr *awshttp.ResponseError
	if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != http.StatusForbidden || !strings.HasPrefix(respErr.ServiceRequestID(), "req-") {
		t.Errorf("*awshttp.ResponseError = %v", respErr)
	}
	var opErr *smithy.OperationError
	if !errors.As(err, &opErr) || opErr.Service() != "Bedrock Runtime" || opErr.Operation() != "InvokeModel" {
		t.Errorf("*smithy.OperationError = %v", opErr)
	}
	// The operation error wraps the diagnosis, which wraps the original only.
	if errors.Unwrap(err) != error(derr) {
		t.Errorf("OperationError does not wrap *diagnose.Error directly")
	}
	if _, ok := derr.Unwrap().(*awshttp.ResponseError); !ok {
		t.Errorf("Unwrap() = %T, want the SDK's *awshttp.ResponseError", derr.Unwrap())
	}
	line := err.Error()
	if strings.ContainsAny(line, "\n\r") || !strings.Contains(line, msg) || !strings.Contains(line, "; diagnosis: role-permissions: ") {
		t.Errorf("Error() = %q", line)
	}
}

func TestAssumeRoleDeniedNested(t *testing.T) {
	const msg = "User: arn:aws:iam::111111111111:user/app is not authorized to perform: sts:AssumeRole on resource: " + roleARN
	srv := newWireServer(t)
	srv.sts = assumeRoleOnly(stsError(http.StatusForbidden, "AccessDenied", msg))
	c := client.NewFromConfig(testConfig(srv), client.WithRole(roleARN))
	err := invoke(context.Background(), c)

	var derr *diagnose.Error
	if !errors.As(err, &derr) {
		t.Fatalf("no *diagnose.Error in %v", err)
	}
	if derr.Layer() != diagnose.LayerAssumeRole {
		t.Errorf("layer = %s, want assume-role\n%s", derr.Layer(), derr.Report)
	}
	var ade *types.AccessDeniedException
	if errors.As(err, &ade) {
		t.Errorf("a failed AssumeRole must not look like Bedrock's AccessDeniedException")
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" || apiErr.ErrorMessage() != msg {
		t.Errorf("smithy.APIError = %v", apiErr)
	}
	var respErr *awshttp.ResponseError
	if !errors.As(err, &respErr) || respErr.HTTPStatusCode() != http.StatusForbidden {
		t.Errorf("*awshttp.ResponseError = %v", respErr)
	}
	// No Bedrock call was made: the role could not be assumed, and the
	// diagnosis only reads (GetCallerIdentity, AssumeRole, simulations).
	for _, r := range srv.log() {
		switch r.Action {
		case "AssumeRole", "GetCallerIdentity", "SimulatePrincipalPolicy":
		default:
			t.Errorf("unexpected request %+v", r)
		}
	}
}

func TestCredentialErrors(t *testing.T) {
	for _, tc := range []struct {
		name, code, message string
	}{
		{"invalid key", "InvalidClientTokenId", "The security token included in the request is invalid."},
		{"expired session", "ExpiredToken", "The security token included in the request is expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newWireServer(t)
			srv.sts = stsError(http.StatusForbidden, tc.code, tc.message)
			err := invoke(context.Background(), client.NewFromConfig(testConfig(srv), client.WithRole(roleARN)))
			var derr *diagnose.Error
			if !errors.As(err, &derr) {
				t.Fatalf("no *diagnose.Error in %v", err)
			}
			if derr.Layer() != diagnose.LayerCredentials {
				t.Errorf("layer = %s, want credentials\n%s", derr.Layer(), derr.Report)
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.code {
				t.Errorf("code = %v", apiErr)
			}
		})
	}
}

func TestStreamsDeniedBeforeTheStream(t *testing.T) {
	const msg = "User: arn:aws:sts::222222222222:assumed-role/BedrockAccess/s is not authorized to perform: bedrock:InvokeModelWithResponseStream on resource: arn:aws:bedrock:us-east-1::foundation-model/" + modelID + " because no identity-based policy allows the bedrock:InvokeModelWithResponseStream action"
	srv := newWireServer(t)
	srv.bedrock = jsonError(http.StatusForbidden, "AccessDeniedException", msg)
	c := client.NewFromConfig(testConfig(srv), client.WithRole(roleARN))
	ctx := context.Background()

	_, errConverse := c.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String(modelID),
		Messages: []types.Message{{Role: types.ConversationRoleUser,
			Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}},
	})
	_, errInvoke := c.InvokeModelWithResponseStream(ctx, &bedrockruntime.InvokeModelWithResponseStreamInput{
		ModelId: aws.String(modelID), Body: []byte(`{}`), ContentType: aws.String("application/json"),
	})
	for name, err := range map[string]error{"ConverseStream": errConverse, "InvokeModelWithResponseStream": errInvoke} {
		var derr *diagnose.Error
		if !errors.As(err, &derr) {
			t.Errorf("%s: no *diagnose.Error in %v", name, err)
			continue
		}
		if derr.Layer() != diagnose.LayerRolePermissions || derr.Report.Operation != name {
			t.Errorf("%s: layer %s operation %s", name, derr.Layer(), derr.Report.Operation)
		}
		var ade *types.AccessDeniedException
		if !errors.As(err, &ade) {
			t.Errorf("%s: AccessDeniedException lost", name)
		}
	}
}

func TestNotAccessErrorsUntouched(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		code   string
	}{
		{"throttling", http.StatusTooManyRequests, "ThrottlingException"},
		{"quota", http.StatusBadRequest, "ServiceQuotaExceededException"},
		{"fault", http.StatusInternalServerError, "InternalServerException"},
		{"bad body", http.StatusBadRequest, "ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newWireServer(t)
			srv.bedrock = jsonError(tc.status, tc.code, "Malformed input request, please reformat your input and try again.")
			cfg := testConfig(srv)
			err := invoke(context.Background(), client.NewFromConfig(cfg, client.WithRole(roleARN)))
			plain := invoke(context.Background(), bedrockruntime.NewFromConfig(cfg))
			var derr *diagnose.Error
			if errors.As(err, &derr) {
				t.Fatalf("diagnosed a %s: %v", tc.code, err)
			}
			if err == nil || plain == nil {
				t.Fatalf("want errors, got %v / %v", err, plain)
			}
			// Same error as the plain SDK client, apart from the request id.
			strip := func(s string) string { return s[strings.Index(s, tc.code):] }
			if strip(err.Error()) != strip(plain.Error()) {
				t.Errorf("error differs from the plain client's:\n%s\n%s", err, plain)
			}
		})
	}
}

func TestCancelledContextUntouched(t *testing.T) {
	srv := newWireServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	srv.bedrock = func(*http.Request) (int, string, string) {
		cancel() // the caller gives up while the denial is on its way
		return http.StatusForbidden, "application/json", `{"__type":"AccessDeniedException","message":"User: arn:aws:iam::222222222222:user/x is not authorized to perform: bedrock:InvokeModel"}`
	}
	err := invoke(ctx, client.NewFromConfig(testConfig(srv), client.WithRole(roleARN)))
	var derr *diagnose.Error
	if err == nil || errors.As(err, &derr) {
		t.Fatalf("want the undiagnosed error, got %v", err)
	}
}

func TestWrongPrincipal(t *testing.T) {
	// The app meant the role, but the call was signed by a user (e.g. the
	// app used bedrockruntime.NewFromConfig with AppendDiagnosis and its
	// base credentials).
	const msg = "User: arn:aws:iam::111111111111:user/app is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/" + modelID + " because no identity-based policy allows the bedrock:InvokeModel action"
	srv := newWireServer(t)
	srv.bedrock = jsonError(http.StatusForbidden, "AccessDeniedException", msg)
	cfg := testConfig(srv)
	client.AppendDiagnosis(&cfg.APIOptions, cfg, func(o *diagnose.Options) { o.RoleARN = roleARN })
	err := invoke(context.Background(), bedrockruntime.NewFromConfig(cfg))
	var derr *diagnose.Error
	if !errors.As(err, &derr) {
		t.Fatalf("no *diagnose.Error in %v", err)
	}
	if derr.Layer() != diagnose.LayerWrongPrincipal {
		t.Errorf("layer = %s, want wrong-principal\n%s", derr.Layer(), derr.Report)
	}
	if !strings.Contains(derr.Report.Summary, "arn:aws:iam::111111111111:user/app") {
		t.Errorf("summary does not name the principal: %q", derr.Report.Summary)
	}
}

func TestAppendDiagnosisLeavesOtherServicesAlone(t *testing.T) {
	srv := newWireServer(t)
	srv.sts = stsError(http.StatusForbidden, "AccessDenied", "User: arn:aws:iam::111111111111:user/app is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
	cfg := testConfig(srv)
	client.AppendDiagnosis(&cfg.APIOptions, cfg)
	_, err := sts.NewFromConfig(cfg).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s")})
	var derr *diagnose.Error
	if err == nil || errors.As(err, &derr) {
		t.Fatalf("an STS client's own call was diagnosed: %v", err)
	}
}

func TestWithoutDiagnosis(t *testing.T) {
	srv := newWireServer(t)
	srv.bedrock = jsonError(http.StatusForbidden, "AccessDeniedException", "User: arn:aws:iam::1:user/x is not authorized to perform: bedrock:InvokeModel")
	err := invoke(context.Background(), client.NewFromConfig(testConfig(srv), client.WithRole(roleARN), client.WithoutDiagnosis()))
	var derr *diagnose.Error
	if err == nil || errors.As(err, &derr) {
		t.Fatalf("WithoutDiagnosis still diagnosed: %v", err)
	}
}

func TestBearerTokenIgnoredWithRole(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-should-not-be-used")
	srv := newWireServer(t)
	const msg = "User: arn:aws:sts::222222222222:assumed-role/BedrockAccess/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/" + modelID + " because no identity-based policy allows the bedrock:InvokeModel action"
	srv.bedrock = jsonError(http.StatusForbidden, "AccessDeniedException", msg)
	err := invoke(context.Background(), client.NewFromConfig(testConfig(srv), client.WithRole(roleARN)))
	var bedrockCalls int
	for _, r := range srv.log() {
		if !strings.HasPrefix(r.Path, "/model/") {
			continue // STS: the role's assumption and the diagnosis' reads
		}
		bedrockCalls++
		if !strings.HasPrefix(r.Authorization, "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEROLEKEY01/") {
			t.Fatalf("Bedrock call not SigV4-signed with the role: %q", r.Authorization)
		}
	}
	if bedrockCalls != 1 {
		t.Fatalf("Bedrock calls = %d, want 1", bedrockCalls)
	}
	var derr *diagnose.Error
	if !errors.As(err, &derr) {
		t.Fatalf("no diagnosis: %v", err)
	}
	if !hasCheck(derr.Report, "client.bearer-token") {
		t.Errorf("the ignored bearer token is not noted:\n%s", derr.Report)
	}
	if strings.Contains(err.Error(), "bedrock-api-key-should-not-be-used") || strings.Contains(derr.Report.String(), "bedrock-api-key-should-not-be-used") {
		t.Errorf("bearer token leaked")
	}
}

func TestRoleChainingDurationClamped(t *testing.T) {
	srv := newWireServer(t)
	srv.sts = func(form url.Values) (int, string) {
		if form.Get("DurationSeconds") != "3600" {
			return stsError(http.StatusBadRequest, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")(form)
		}
		return http.StatusOK, assumeRoleOK
	}
	srv.bedrock = jsonError(http.StatusForbidden, "AccessDeniedException", "User: arn:aws:sts::222222222222:assumed-role/BedrockAccess/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/"+modelID+" because no identity-based policy allows the bedrock:InvokeModel action")
	c := client.NewFromConfig(testConfig(srv), client.WithRole(roleARN, func(o *stscreds.AssumeRoleOptions) { o.Duration = 2 * 3600e9 }))
	err := invoke(context.Background(), c)
	var derr *diagnose.Error
	if !errors.As(err, &derr) {
		t.Fatalf("want the Bedrock denial diagnosed (role assumed with 1h), got %v", err)
	}
	if !hasCheck(derr.Report, "client.setup") {
		t.Errorf("clamp not recorded:\n%s", derr.Report)
	}
	var durations []string
	for _, r := range srv.log() {
		if r.Action == "AssumeRole" {
			durations = append(durations, r.Form.Get("DurationSeconds"))
		}
	}
	if strings.Join(durations, ",") != "7200,3600" {
		t.Errorf("AssumeRole durations = %v, want 7200 then 3600", durations)
	}
	// Later refreshes go straight to the clamped duration: a second client
	// call reuses the cached credentials, so no new AssumeRole at all.
	_ = invoke(context.Background(), c)
	n := 0
	for _, r := range srv.log() {
		if r.Action == "AssumeRole" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("AssumeRole calls = %d, want 2", n)
	}
}

func hasCheck(r *diagnose.Report, name string) bool {
	for _, c := range r.Checks {
		if c.Name == name {
			return true
		}
	}
	return false
}

func TestFailingAssumeRoleIsNotAStorm(t *testing.T) {
	srv := newWireServer(t)
	srv.sts = assumeRoleOnly(stsError(http.StatusForbidden, "AccessDenied", "User: arn:aws:iam::111111111111:user/app is not authorized to perform: sts:AssumeRole on resource: "+roleARN))
	c := client.NewFromConfig(testConfig(srv), client.WithRole(roleARN), client.WithoutDiagnosis())
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for range 20 {
		wg.Go(func() {
			for range 10 {
				errs <- invoke(context.Background(), c)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" {
			t.Fatalf("a call did not get the AssumeRole denial: %v", err)
		}
	}
	n := 0
	for _, r := range srv.log() {
		if r.Action == "AssumeRole" {
			n++
		}
	}
	// 200 calls within the first backoff window: one AssumeRole (two if the
	// window closed on a slow machine), not 200.
	if n < 1 || n > 3 {
		t.Errorf("200 denied calls made %d AssumeRole calls", n)
	}
}
