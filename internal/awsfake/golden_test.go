package awsfake

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files")

// recorder keeps the last response's wire form.
type recorder struct {
	base http.RoundTripper
	last string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d\n", resp.StatusCode)
	for _, h := range []string{"Content-Type", "X-Amzn-Errortype"} {
		if v := resp.Header.Get(h); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	b.WriteString("\n")
	b.WriteString(strings.ReplaceAll(string(body), resp.Header.Get("X-Amzn-Requestid"), "REQUEST-ID"))
	r.last = b.String()
	return resp, nil
}

// TestGoldenWire freezes the wire form of each error shape the fake emits.
func TestGoldenWire(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sess := f.session(t)
	expired := f.w.Assume(f.role, "old", -time.Minute)
	wrong := f.appKey
	wrong.SecretAccessKey = "wrong"
	unknown := Credentials{AccessKeyID: "AKIAUNKNOWN000000000", SecretAccessKey: "x"}
	f.tgt.Bedrock("us-east-1").Access(nova, AccessUseCaseMissing)
	rec := &recorder{base: f.s.Client().Transport}
	cfg := func(c Credentials) aws.Config {
		cfg := f.cfg(c)
		cfg.HTTPClient = &http.Client{Transport: rec}
		return cfg
	}
	stsAssume := func(c Credentials, role string) func() {
		return func() {
			_, _ = sts.NewFromConfig(cfg(c)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("golden"), DurationSeconds: aws.Int32(900)})
		}
	}
	tests := []struct {
		name string
		call func()
	}{
		{"sts_assume_role_access_denied", stsAssume(f.appKey, "arn:aws:iam::222222222222:role/Missing")},
		{"sts_invalid_client_token_id", stsAssume(unknown, roleARN)},
		{"sts_signature_does_not_match", stsAssume(wrong, roleARN)},
		{"sts_expired_token", stsAssume(expired, roleARN)},
		{"sts_root_cannot_assume", stsAssume(f.src.RootCredentials(), roleARN)},
		{"sts_invalid_action", func() { _, _ = sts.NewFromConfig(cfg(f.appKey)).GetSessionToken(ctx, nil) }},
		{"iam_no_such_entity", func() {
			_, _ = iam.NewFromConfig(cfg(sess)).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Missing")})
		}},
		{"iam_access_denied", func() {
			_, _ = iam.NewFromConfig(cfg(f.appKey)).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("BedrockInvoker")})
		}},
		{"runtime_access_denied", func() { _, _ = converse(cfg(f.appKey), haiku) }},
		{"runtime_unrecognized_client", func() { _, _ = converse(cfg(unknown), haiku) }},
		{"runtime_invalid_signature", func() { _, _ = converse(cfg(wrong), haiku) }},
		{"runtime_expired_token", func() { _, _ = converse(cfg(expired), haiku) }},
		{"runtime_on_demand_not_supported", func() { _, _ = converse(cfg(sess), sonnet) }},
		{"runtime_invalid_model", func() { _, _ = converse(cfg(sess), "anthropic.nope-v1") }},
		{"runtime_use_case_missing", func() { _, _ = converse(cfg(sess), nova) }},
		{"runtime_unknown_operation", func() {
			_, _ = bedrockruntime.NewFromConfig(cfg(sess)).ListAsyncInvokes(ctx, nil)
		}},
		{"bedrock_resource_not_found", func() {
			_, _ = bedrock.NewFromConfig(cfg(sess)).GetInferenceProfile(ctx, &bedrock.GetInferenceProfileInput{InferenceProfileIdentifier: aws.String("eu.nope.model-v1")})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec.last = ""
			tt.call()
			path := filepath.Join("testdata", "golden", tt.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(rec.last), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if rec.last != string(want) {
				t.Errorf("wire form changed\n got:\n%s\nwant:\n%s", rec.last, want)
			}
		})
	}
}
