package diagnose

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestErrorLine(t *testing.T) {
	orig := errors.New("AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/R/s is not authorized\nto perform: bedrock:InvokeModel\x1b[31m")
	r := &Report{SchemaVersion: SchemaVersion, Layer: LayerRolePermissions, Summary: "role R lacks bedrock:InvokeModel\r\n", Checks: []Check{}}
	e := NewError(orig, r, false)
	got := e.Error()
	want := "AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/R/s is not authorized to perform: bedrock:InvokeModel [31m; diagnosis: role-permissions: role R lacks bedrock:InvokeModel  "
	if got != want {
		t.Errorf("Error() =\n%q\nwant\n%q", got, want)
	}
	if !errors.Is(e, orig) || e.Unwrap() != orig {
		t.Errorf("Unwrap does not return the original")
	}
	if e.Layer() != LayerRolePermissions {
		t.Errorf("Layer() = %s", e.Layer())
	}
}

func TestErrorCapsOriginal(t *testing.T) {
	long := strings.Repeat("x", 10000)
	e := NewError(errors.New(long), &Report{Layer: LayerUnknown}, false)
	got := e.Error()
	if len(got) > maxOriginalText+100 {
		t.Errorf("Error() is %d bytes, want the original capped at %d", len(got), maxOriginalText)
	}
	if !strings.Contains(got, "…; diagnosis: unknown") {
		t.Errorf("cap marker missing: %q", got[len(got)-60:])
	}
	if e.Unwrap().Error() != long {
		t.Errorf("the wrapped original was changed")
	}
}

func TestErrorInvalidUTF8(t *testing.T) {
	e := NewError(errors.New("bad \xff\xfe bytes"), &Report{Layer: LayerUnknown}, false)
	if got := e.Error(); !strings.HasPrefix(got, "bad \uFFFD\uFFFD bytes;") {
		t.Errorf("Error() = %q", got)
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"User: arn:aws:sts::222222222222:assumed-role/BedrockAccess/s1 is not authorized",
			"User: arn:aws:sts::************:assumed-role/*** is not authorized"},
		{"on resource: arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0 because",
			"on resource: arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0 because"},
		{"arn:aws:bedrock:us-east-1:222222222222:inference-profile/us.anthropic.claude-x",
			"arn:aws:bedrock:us-east-1:************:inference-profile/us.anthropic.claude-x"},
		{"account 123456789012 and arn:aws-us-gov:iam::210987654321:role/x",
			"account ************ and arn:aws-us-gov:iam::************:role/***"},
		{"in a service control policy: arn:aws:organizations::999999999999:policy/o-abc/service_control_policy/p-1",
			"in a service control policy: arn:aws:organizations::************:policy/***"},
		{"request id 1234567890123 is not an account", "request id 1234567890123 is not an account"},
		{"is not authorized to perform: iam:ListRolePolicies on resource: role BedrockAccess because no identity-based policy allows",
			"is not authorized to perform: iam:ListRolePolicies on resource: role *** because no identity-based policy allows"},
		{"perform: iam:GetUser on resource: user app-ci@example.com", "perform: iam:GetUser on resource: user ***"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) =\n%q\nwant\n%q", tc.in, got, tc.want)
		}
	}
	e := NewError(errors.New("User: arn:aws:iam::111111111111:user/app is not authorized"), &Report{Layer: LayerWrongPrincipal, Summary: "signed by arn:aws:iam::111111111111:user/app"}, true)
	if strings.Contains(e.Error(), "111111111111") {
		t.Errorf("Redact option left an account id: %q", e.Error())
	}
	if !strings.Contains(e.Unwrap().Error(), "111111111111") {
		t.Errorf("redaction must not touch the wrapped error")
	}
}

func TestLogValue(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	e := NewError(fmt.Errorf("wrapped: %w", errors.New("denied")), &Report{
		Layer: LayerTrustPolicy, Summary: "trust", Fix: "fix it", RoleARN: "arn:aws:iam::222222222222:role/R", RequestID: "req-1",
	}, false)
	log.Error("call failed", "err", e, "at", time.Duration(0))
	want := `{"level":"ERROR","msg":"call failed","err":{"error":"wrapped: denied","layer":"trust-policy","summary":"trust","fix":"fix it","role_arn":"arn:aws:iam::222222222222:role/R","request_id":"req-1"},"at":0}` + "\n"
	if buf.String() != want {
		t.Errorf("log =\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestLayerOrder(t *testing.T) {
	ls := Layers()
	for i := 1; i < len(ls); i++ {
		if !ls[i-1].Before(ls[i]) || ls[i].Before(ls[i-1]) {
			t.Errorf("%s should come before %s", ls[i-1], ls[i])
		}
	}
	if Layer("bogus").Valid() || !LayerNone.Valid() {
		t.Errorf("Valid is wrong")
	}
}

func TestReportString(t *testing.T) {
	r := &Report{Layer: LayerTrustPolicy, Summary: "s", Checks: []Check{
		{Name: "a", Layer: LayerCredentials, Status: StatusPass, Detail: "ok"},
		{Name: "b", Layer: LayerTrustPolicy, Status: StatusFail, Detail: "no"},
		{Name: "c", Layer: LayerTrustPolicy, Status: StatusUnknown, Detail: "?", Needs: "iam:GetRole"},
		{Name: "d", Layer: LayerModelAccess, Status: StatusSkipped, Detail: "-"},
	}, Fix: "f"}
	want := "diagnosis: trust-policy: s\nchecks:\n  ✓ a [credentials] ok\n  ✗ b [trust-policy] no\n  ? c [trust-policy] ? (needs iam:GetRole)\n  - d [model-access] -\nfix: f\n"
	if got := r.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	var nilReport *Report
	if nilReport.String() == "" {
		t.Errorf("nil report renders empty")
	}
}

// TestErrTextWithholdsSecrets: the SDK quotes a credential_process's output
// when it cannot parse it; a check's detail never carries it.
func TestErrTextWithholdsSecrets(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	err := errors.New(`failed to refresh cached credentials, process provider error: parse failed of process output: banner` + "\n" + `{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"` + secret + `","SessionToken":"IQoJb3JpZ2luX2VjEXAMPLETOKENabc123XYZ456def789GHI012jkl345"}`)
	got := errText(err)
	if strings.Contains(got, secret) || strings.Contains(got, "IQoJb3JpZ2lu") {
		t.Errorf("errText leaks a secret: %q", got)
	}
	if !strings.Contains(got, "process output (withheld") {
		t.Errorf("errText does not say the output was withheld: %q", got)
	}
	if got := withoutSecrets("arn:aws:iam::111111111111:user/app and " + secret); strings.Contains(got, secret) || !strings.Contains(got, "user/app") {
		t.Errorf("withoutSecrets = %q", got)
	}
}
