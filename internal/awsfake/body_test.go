package awsfake

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestScriptBody: a scripted raw body reaches the real SDK client as a 200
// in the protocol's content type, so odd but well-formed answers (a missing
// field, an unknown enum value) parse into what a reader of the SDK's
// output then has to cope with; its Times run out like any script's.
func TestScriptBody(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cfg := f.cfg(f.appKey)
	tests := []struct {
		name, service, action, body string
		call                        func() (string, error) // what the SDK parsed
		want                        string
		contentType                 string
	}{
		{
			name: "sts without Arn", service: "sts", action: "GetCallerIdentity",
			body: QueryBody("sts", "GetCallerIdentity", "<Account>111111111111</Account>"),
			call: func() (string, error) {
				out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, nil)
				if err != nil {
					return "", err
				}
				return aws.ToString(out.Account) + "|" + aws.ToString(out.Arn), nil
			},
			want: "111111111111|", contentType: "text/xml",
		},
		{
			name: "iam GetRole with an empty result", service: "iam", action: "GetRole",
			body: QueryBody("iam", "GetRole", ""),
			call: func() (string, error) {
				out, err := iam.NewFromConfig(cfg).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("BedrockInvoker")})
				if err != nil {
					return "", err
				}
				if out.Role != nil {
					return "role", nil
				}
				return "no role", nil
			},
			want: "no role", contentType: "text/xml",
		},
		{
			name: "bedrock GetFoundationModel without modelDetails", service: "bedrock", action: "GetFoundationModel",
			body: `{}`,
			call: func() (string, error) {
				out, err := bedrock.NewFromConfig(cfg).GetFoundationModel(ctx, &bedrock.GetFoundationModelInput{ModelIdentifier: aws.String(haiku)})
				if err != nil {
					return "", err
				}
				if out.ModelDetails != nil {
					return "details", nil
				}
				return "no details", nil
			},
			want: "no details", contentType: "application/json",
		},
		{
			name: "bedrock availability with unknown enum values", service: "bedrock", action: "GetFoundationModelAvailability",
			body: `{"modelId":"x","agreementAvailability":{"status":"SOMETHING_NEW"},"authorizationStatus":"MAYBE","entitlementAvailability":null,"regionAvailability":"AVAILABLE"}`,
			call: func() (string, error) {
				out, err := bedrock.NewFromConfig(cfg).GetFoundationModelAvailability(ctx, &bedrock.GetFoundationModelAvailabilityInput{ModelId: aws.String(haiku)})
				if err != nil {
					return "", err
				}
				return string(out.AuthorizationStatus) + "|" + string(out.AgreementAvailability.Status), nil
			},
			want: "MAYBE|SOMETHING_NEW", contentType: "application/json",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.s.ClearScripts()
			f.s.ResetLog()
			f.s.Script(tt.service, tt.action, Respond{Body: tt.body, Times: 1})
			got, err := tt.call()
			if err != nil || got != tt.want {
				t.Fatalf("scripted body parsed to %q, %v; want %q", got, err, tt.want)
			}
			if e := f.s.Log()[0]; e.Status != 200 || e.Decision != "scripted" || e.Action != tt.action {
				t.Errorf("log entry %+v", e)
			}
			// Times ran out: the world answers again (some with an error
			// the app user's policies give, none with the scripted body).
			if got, _ := tt.call(); got == tt.want {
				t.Errorf("the script answered past its Times: %q", got)
			}
		})
	}

	// The raw bytes and the content type, as sent.
	f.s.ClearScripts()
	f.s.Script("sts", "GetCallerIdentity", Respond{Body: "  "})
	resp, err := http.Post(f.s.URL+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/xml" || string(raw) != "  " {
		t.Errorf("raw answer %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	// A Status wins over a Body: the error is answered.
	f.s.ClearScripts()
	f.s.Script("sts", "GetCallerIdentity", Respond{Status: 500, Code: "InternalFailure", Message: "boom", Body: "{}"})
	_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, nil)
	apiErr(t, err, "InternalFailure", "boom", 500)
}
