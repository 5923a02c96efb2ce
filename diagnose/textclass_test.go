package diagnose_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// TestTextClassesInCall: the model-id, model-access and region texts of
// issue 11 arrive as SDK errors through the middleware (AWS's answer is
// scripted, whatever the world's policies) and are diagnosed as Explain
// reads them; other bad requests stay untouched. Each answer is a real
// Bedrock text (sources in testdata/messages).
func TestTextClassesInCall(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	for _, tc := range []struct {
		name       string
		op, model  string
		tier       tier
		answer     awsfake.Respond
		want       diagnose.Layer // "" = left untouched
		candidates []diagnose.Layer
	}{
		{
			name: "modelId fails the API's pattern", op: "Converse", model: haiku,
			answer: awsfake.Respond{Status: 400, Code: "ValidationException", Message: "1 validation error detected: Value 'anthropic.claude-3-haiku-20240307-v1:0:200k' at 'modelId' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:(([0-9]{12}:custom-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}/[a-z0-9]{12})|(:foundation-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63}))|([0-9]{12}:provisioned-model/[a-z0-9]{12})))|([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.:]?[a-z0-9-]{1,63}))|(([0-9a-zA-Z][_-]?)+)"},
			want:   diagnose.LayerModelID,
		},
		{
			name: "could not resolve the foundation model, model offered here", op: "InvokeModel", model: haiku,
			answer:     awsfake.Respond{Status: 404, Code: "ResourceNotFoundException", Message: "Could not resolve the foundation model from the provided model identifier."},
			want:       diagnose.LayerUnknown,
			candidates: []diagnose.Layer{diagnose.LayerModelID, diagnose.LayerRegion},
		},
		{
			name: "unsupported for streaming", op: "ConverseStream", model: haiku,
			answer: awsfake.Respond{Status: 400, Code: "ValidationException", Message: "The model is unsupported for streaming."},
			want:   diagnose.LayerModelID,
		},
		{
			name: "action does not support the model", op: "Converse", model: haiku,
			answer: awsfake.Respond{Status: 400, Code: "ValidationException", Message: "This action doesn't support the model that you provided. Try again with a supported text or chat model."},
			want:   diagnose.LayerModelID,
		},
		{
			name: "doesn't support on-demand throughput", op: "InvokeModel", model: haiku,
			answer: awsfake.Respond{Status: 400, Code: "ValidationException", Message: "The provided model doesn't support on-demand throughput."},
			want:   diagnose.LayerModelID,
		},
		{
			name: "cross region inference required is an AccessDeniedException", op: "Converse", model: haiku,
			answer: awsfake.Respond{Status: 403, Code: "AccessDeniedException", Message: "Cross region inference is required for this model"},
			want:   diagnose.LayerModelID,
		},
		{
			name: "guardrail identifier invalid", op: "Converse", model: haiku,
			answer: awsfake.Respond{Status: 400, Code: "ValidationException", Message: "The provided guardrail identifier is invalid."},
			want:   diagnose.LayerModelID,
		},
		{
			name: "end of life", op: "Converse", model: haiku,
			answer: awsfake.Respond{Status: 404, Code: "ResourceNotFoundException", Message: "This model version has reached the end of its life. Please refer to the AWS documentation for more details."},
			want:   diagnose.LayerModelID,
		},
		{
			name: "legacy, 30 days", op: "Converse", model: haiku,
			answer: awsfake.Respond{Status: 404, Code: "ResourceNotFoundException", Message: "Access denied. This Model is marked by provider as Legacy and you have not been actively using the model in the last 30 days. Please upgrade to an active model on Amazon Bedrock"},
			want:   diagnose.LayerModelID,
		},
		{
			name: "use-case form wrapped by the model", op: "Converse", model: sonnet,
			answer: awsfake.Respond{Status: 400, Code: "ValidationException", Message: "The model returned the following errors: You have not filled out the required use-case form for this model. Complete the form at https://us-east-1.console.aws.amazon.com/bedrock/ before requesting access."},
			want:   diagnose.LayerModelAccess,
		},
		{
			name: "data retention mode", op: "Converse", model: haiku,
			answer: awsfake.Respond{Status: 400, Code: "ValidationException", Message: "The model returned the following errors: data retention mode 'default' is not available for this model"},
			want:   diagnose.LayerModelAccess,
		},
		{
			name: "explicit prompt caching not enabled", op: "Converse", model: haiku,
			answer: awsfake.Respond{Status: 400, Code: "ValidationException", Message: "You do not have access to explicit prompt caching"},
			want:   diagnose.LayerModelAccess,
		},
		{
			name: "model not available for this account", op: "Converse", model: haiku,
			answer: awsfake.Respond{Status: 403, Code: "AccessDeniedException", Message: "This model is not available for this account."},
			want:   diagnose.LayerModelAccess,
		},
		{
			// The checks look the profile up (bedrock:GetInferenceProfile):
			// not found, and its geography does not serve the region.
			name: "eu. profile called from us-east-1", op: "Converse", model: "eu." + sonnet, tier: tierFull,
			answer: awsfake.Respond{Status: 400, Code: "ValidationException", Message: "The provided model identifier is invalid."},
			want:   diagnose.LayerRegion,
		},
		{
			name: "tool use in streaming mode is a request problem", op: "ConverseStream", model: haiku,
			answer: awsfake.Respond{Status: 400, Code: "ValidationException", Message: "This model doesn't support tool use in streaming mode."},
			want:   "",
		},
		{
			name: "the model's own 400 about the body", op: "Converse", model: haiku,
			answer: awsfake.Respond{Status: 400, Code: "ValidationException", Message: "The model returned the following errors: messages: text content blocks must be non-empty"},
			want:   "",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := tc.tier
			if tr == "" {
				tr = tierSome
			}
			sp := healthy()
			wd := build(t, sp, tr)
			wd.srv.Script("bedrock-runtime", tc.op, tc.answer)
			err := wd.call(t, sp, tr, tc.op, tc.model)
			if err == nil {
				t.Fatal("the scripted answer did not fail the call")
			}
			var derr *diagnose.Error
			diagnosed := errors.As(err, &derr)
			if tc.want == "" {
				if diagnosed {
					t.Errorf("diagnosed a bad request as %s:\n%s", derr.Layer(), derr.Report)
				}
				return
			}
			if !diagnosed {
				t.Fatalf("returned untouched: %v", err)
			}
			if derr.Layer() != tc.want || !slices.Equal(derr.Report.Candidates, tc.candidates) {
				t.Errorf("layer = %s %v, want %s %v\n%s", derr.Layer(), derr.Report.Candidates, tc.want, tc.candidates, derr.Report)
			}
			// Explain reads the same text the same way.
			if r := diagnose.Explain(errors.Unwrap(derr).Error()); r.Layer != tc.want && !slices.Contains(r.Candidates, tc.want) {
				t.Errorf("Explain of the same error: %s %v, the in-call diagnosis %s", r.Layer, r.Candidates, tc.want)
			}
			var orig interface{ ErrorCode() string }
			if !errors.As(err, &orig) || orig.ErrorCode() != tc.answer.Code {
				t.Errorf("the original AWS error is not reachable: %v", err)
			}
		})
	}
}

// TestGeoProfileWithoutReads: an eu. profile called from us-east-1 when the
// diagnosis may read nothing. The identifier and the client's region decide
// it with no AWS call (Explain with the region, or the call's region); a
// report that does not decide must keep region among its candidates, never
// name model-id alone.
func TestGeoProfileWithoutReads(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	sp := healthy()
	wd := build(t, sp, tierNone)
	wd.srv.Script("bedrock-runtime", "Converse", awsfake.Respond{Status: 400, Code: "ValidationException", Message: "The provided model identifier is invalid."})
	err := wd.call(t, sp, tierNone, "Converse", "eu."+sonnet)
	var derr *diagnose.Error
	if !errors.As(err, &derr) {
		t.Fatalf("returned untouched: %v", err)
	}
	if l := derr.Layer(); l != diagnose.LayerRegion && (l != diagnose.LayerUnknown || !slices.Contains(derr.Report.Candidates, diagnose.LayerRegion)) {
		t.Errorf("layer %s %v: a profile outside its geography is region\n%s", l, derr.Report.Candidates, derr.Report)
	}
}

// TestMFACodeMissingInCall: the app asks for an MFA-protected AssumeRole
// (a serial number) but gives no token provider. The SDK refuses to send
// the AssumeRole, so no side of the role refused it: assume-role, saying
// so, with no candidate sides.
func TestMFACodeMissingInCall(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	sp := healthy()
	wd := build(t, sp, tierFull)
	cfg := wd.srv.Config(wd.region, wd.appKey)
	c := client.NewFromConfig(cfg,
		client.WithRole(roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.SerialNumber = aws.String("arn:aws:iam::" + srcAcct + ":mfa/app")
		}),
		client.WithDiagnosis(func(o *diagnose.Options) { o.RateLimit = -1; o.Budget = 10 * time.Second }))
	err := runOp(context.Background(), c, "Converse", haiku)
	var derr *diagnose.Error
	if !errors.As(err, &derr) {
		t.Fatalf("returned untouched: %v", err)
	}
	if derr.Layer() != diagnose.LayerAssumeRole || len(derr.Report.Candidates) != 0 {
		t.Errorf("layer %s %v, want assume-role with no candidates\n%s", derr.Layer(), derr.Report.Candidates, derr.Report)
	}
	if r := diagnose.Explain(errors.Unwrap(derr).Error()); r.Layer != diagnose.LayerAssumeRole || len(r.Candidates) != 0 {
		t.Errorf("Explain of the same error: %s %v", r.Layer, r.Candidates)
	}
}

// TestWebIdentityRefusedInCall: the app's base credentials come from a web
// identity token (EKS IRSA, GitHub OIDC) and STS refuses the
// AssumeRoleWithWebIdentity: no IAM principal signed it, so it is the
// role's side, trust-policy. STS answers here from a stub speaking the real
// awsQuery error shape (the local AWS has no web identity federation);
// Bedrock is the local AWS.
func TestWebIdentityRefusedInCall(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	for _, tc := range []struct {
		name              string
		status            int
		code, message     string
		want              diagnose.Layer
		originalErrorCode string
	}{
		{"trust policy refuses the token", 403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", diagnose.LayerTrustPolicy, "AccessDenied"},
		{"no OIDC provider for the issuer", 400, "InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE", diagnose.LayerTrustPolicy, "InvalidIdentityToken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stsStub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/xml")
				w.Header().Set("x-amzn-RequestId", "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>` + tc.code + `</Code><Message>` + tc.message + `</Message></Error><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ErrorResponse>`))
			}))
			t.Cleanup(stsStub.Close)
			tokenFile := filepath.Join(t.TempDir(), "token")
			if err := os.WriteFile(tokenFile, []byte("eyJhbGciOiJSUzI1NiJ9.e30.sig"), 0o600); err != nil {
				t.Fatal(err)
			}
			wd := build(t, healthy(), tierSome)
			stsCfg := aws.Config{Region: wd.region, BaseEndpoint: aws.String(stsStub.URL), Retryer: func() aws.Retryer { return aws.NopRetryer{} }}
			cfg := wd.srv.Config(wd.region, wd.appKey)
			cfg.Credentials = aws.NewCredentialsCache(stscreds.NewWebIdentityRoleProvider(sts.NewFromConfig(stsCfg),
				"arn:aws:iam::"+srcAcct+":role/irsa-app", stscreds.IdentityTokenFile(tokenFile)))
			client.AppendDiagnosis(&cfg.APIOptions, cfg, func(o *diagnose.Options) { o.RateLimit = -1; o.Budget = 10 * time.Second })
			err := runOp(context.Background(), bedrockruntime.NewFromConfig(cfg), "Converse", haiku)
			var derr *diagnose.Error
			if !errors.As(err, &derr) {
				t.Fatalf("returned untouched: %v", err)
			}
			if derr.Layer() != tc.want {
				t.Errorf("layer %s %v, want %s\n%s", derr.Layer(), derr.Report.Candidates, tc.want, derr.Report)
			}
			if r := diagnose.Explain(errors.Unwrap(derr).Error()); r.Layer != tc.want {
				t.Errorf("Explain of the same error: %s %v", r.Layer, r.Candidates)
			}
			var orig interface{ ErrorCode() string }
			if !errors.As(err, &orig) || orig.ErrorCode() != tc.originalErrorCode {
				t.Errorf("the original STS error is not reachable: %v", err)
			}
		})
	}
}
