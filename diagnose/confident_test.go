package diagnose_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/smithy-go"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// Never confidently wrong: each test here is a situation where the
// diagnosis once named a layer that did not deny. The expected outcome is
// the layer the world really denies with, or an honest unknown.

func checkOf(r *diagnose.Report, name string) *diagnose.Check {
	for i := range r.Checks {
		if r.Checks[i].Name == name {
			return &r.Checks[i]
		}
	}
	return nil
}

// TestAssumeRoleFaultsAreNotDenials: throttling, a 5xx and a dropped
// connection on the app's own AssumeRole are faults. In-call the error goes
// back untouched; Run says unknown, never credentials or assume-role.
func TestAssumeRoleFaultsAreNotDenials(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	for name, f := range map[string]awsfake.Fault{
		"throttled": {Status: http.StatusBadRequest, Code: "Throttling", Message: "Rate exceeded"},
		"5xx":       {Status: http.StatusInternalServerError, Code: "ServiceFailure", Message: "internal error"},
		"dropped":   {Drop: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			wd := build(t, healthy(), tierFull)
			wd.srv.InjectFault("sts", "AssumeRole", f)
			c := client.NewFromConfig(wd.srv.Config(wd.region, wd.appKey), client.WithRole(roleARN),
				client.WithDiagnosis(func(o *diagnose.Options) { o.Budget = 2 * time.Second; o.RateLimit = -1 }))
			err := runOp(context.Background(), c, "Converse", haiku)
			if err == nil {
				t.Fatal("the call succeeded through a faulty STS")
			}
			var derr *diagnose.Error
			if errors.As(err, &derr) {
				t.Fatalf("a fault was diagnosed as %s:\n%s", derr.Layer(), derr.Report)
			}

			auditor := wd.srv.Config(wd.region, wd.auditor)
			r, err := diagnose.NewDiagnoser(wd.srv.Config(wd.region, wd.appKey), diagnose.Options{DiagnosticConfig: &auditor, RateLimit: -1, Budget: 2 * time.Second}).
				Run(context.Background(), diagnose.Target{RoleARN: roleARN, ModelID: haiku, Operation: "Converse"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Layer != diagnose.LayerUnknown {
				t.Errorf("Run named %s for an STS fault, want unknown:\n%s", r.Layer, r)
			}
			if c := checkOf(r, "assume-role.call"); c == nil || c.Status != diagnose.StatusUnknown {
				t.Errorf("assume-role.call = %+v, want unknown", c)
			}
		})
	}
}

// TestAssumeRoleRefusalsAreNotCredentials: STS answers that refuse the
// AssumeRole (a bare AccessDenied, an MFA refusal) or reject its parameters
// (a ValidationError) are about the role assumption, not the credentials.
func TestAssumeRoleRefusalsAreNotCredentials(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	for _, tc := range []struct {
		name       string
		answer     awsfake.Respond
		candidates []diagnose.Layer // must all be among the report's candidates
		summary    string
	}{
		{"bare AccessDenied", awsfake.Respond{Status: 403, Code: "AccessDenied", Message: "Access denied"},
			[]diagnose.Layer{diagnose.LayerTrustPolicy, diagnose.LayerOrgPolicy}, "which side"},
		{"MFA missing", awsfake.Respond{Status: 403, Code: "AccessDenied", Message: "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code."},
			[]diagnose.Layer{diagnose.LayerTrustPolicy, diagnose.LayerSourcePolicy}, "MFA"},
		{"MFA code wrong", awsfake.Respond{Status: 403, Code: "AccessDenied", Message: "MultiFactorAuthentication failed with invalid MFA one time pass code."},
			[]diagnose.Layer{diagnose.LayerTrustPolicy, diagnose.LayerSourcePolicy}, "MFA"},
		{"malformed role ARN", awsfake.Respond{Status: 400, Code: "ValidationError", Message: "1 validation error detected: Value 'arn:aws:iam::22222222222:role/x' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
			nil, "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wd := build(t, healthy(), tierSome)
			wd.srv.Script("sts", "AssumeRole", tc.answer)
			c := client.NewFromConfig(wd.srv.Config(wd.region, wd.appKey), client.WithRole(roleARN),
				client.WithDiagnosis(func(o *diagnose.Options) { o.Budget = 2 * time.Second; o.RateLimit = -1 }))
			err := runOp(context.Background(), c, "Converse", haiku)
			var derr *diagnose.Error
			if !errors.As(err, &derr) {
				t.Fatalf("want a diagnosed error, got %v", err)
			}
			r := derr.Report
			if r.Layer != diagnose.LayerAssumeRole {
				t.Errorf("layer = %s, want assume-role:\n%s", r.Layer, r)
			}
			for _, l := range tc.candidates {
				if !slices.Contains(r.Candidates, l) {
					t.Errorf("candidates %v lack %s", r.Candidates, l)
				}
			}
			if tc.candidates == nil && len(r.Candidates) > 0 {
				t.Errorf("candidates %v for an invalid request", r.Candidates)
			}
			if !strings.Contains(r.Summary, tc.summary) {
				t.Errorf("summary %q does not say %q", r.Summary, tc.summary)
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.answer.Code {
				t.Errorf("the original STS error is not found: %v", err)
			}
		})
	}
}

// TestRegionIsNotModelID: a model offered only in another region is region,
// and when the lookups elsewhere are denied the check cannot tell and says
// so.
func TestRegionIsNotModelID(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	const euOnly = "mistral.pixtral-large-2502-v1:0"
	regionDeny := policy(`{"Effect":"Deny","NotAction":["sts:*","iam:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}}`)
	for _, tc := range []struct {
		name     string
		scp      string
		resolved diagnose.Status // model.resolve
	}{
		{"offered only in eu-central-1", "", diagnose.StatusFail},
		{"lookups elsewhere denied by an SCP", regionDeny, diagnose.StatusUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sp := healthy()
			sp.scp = tc.scp
			wd := build(t, sp, tierSome)
			wd.w.Model(awsfake.FoundationModel{ID: euOnly, Name: "Pixtral Large", Provider: "Mistral AI", Regions: []string{"eu-central-1"}, OnDemand: true})
			for _, run := range []bool{false, true} {
				var r *diagnose.Report
				if run {
					var err error
					r, err = diagnose.NewDiagnoser(wd.srv.Config(wd.region, wd.appKey), diagnose.Options{RateLimit: -1}).
						Run(context.Background(), diagnose.Target{RoleARN: roleARN, ModelID: euOnly, Operation: "Converse"})
					if err != nil {
						t.Fatal(err)
					}
				} else {
					err := wd.call(t, sp, tierSome, "Converse", euOnly)
					var derr *diagnose.Error
					if !errors.As(err, &derr) {
						t.Fatalf("want a diagnosed error, got %v", err)
					}
					r = derr.Report
				}
				// The availability check sees the region too (it answers
				// NOT_AVAILABLE here); what matters is that model-id is
				// never named and model.resolve claims no more than its
				// lookups could see.
				if r.Layer != diagnose.LayerRegion {
					t.Errorf("run=%v: layer = %s, want region:\n%s", run, r.Layer, r)
				}
				if c := checkOf(r, "model.resolve"); c == nil || c.Status != tc.resolved || c.Status == diagnose.StatusFail && c.Layer != diagnose.LayerRegion {
					t.Errorf("run=%v: model.resolve = %+v, want %s", run, c, tc.resolved)
				}
			}
		})
	}
}

// TestDiagnosticConfigInAnotherAccount: diagnostic credentials in the wrong
// account answer NoSuchEntity for the role; that is not "the role does not
// exist".
func TestDiagnosticConfigInAnotherAccount(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	sp := healthy()
	sp.sourcePolicy = policy(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}`) // the real fault: no sts:AssumeRole
	wd := build(t, sp, tierNone)
	wrong := wd.w.Account(srcAcct).User("auditor").Inline("read", policy(`{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}`)).AccessKey()
	diag := wd.srv.Config(wd.region, wrong)
	c := client.NewFromConfig(wd.srv.Config(wd.region, wd.appKey), client.WithRole(roleARN),
		client.WithDiagnosis(func(o *diagnose.Options) { o.DiagnosticConfig = &diag; o.RateLimit = -1; o.Budget = 2 * time.Second }))
	err := runOp(context.Background(), c, "Converse", haiku)
	var derr *diagnose.Error
	if !errors.As(err, &derr) {
		t.Fatalf("want a diagnosed error, got %v", err)
	}
	if l := derr.Layer(); l != diagnose.LayerSourcePolicy && l != diagnose.LayerAssumeRole {
		t.Errorf("layer = %s, want source-policy or assume-role:\n%s", l, derr.Report)
	}
	tc := checkOf(derr.Report, "trust-policy.evaluate")
	if tc == nil || tc.Status != diagnose.StatusUnknown || !strings.Contains(tc.Detail, "not in the role's account") {
		t.Errorf("trust-policy.evaluate = %+v, want unknown naming the wrong account", tc)
	}
}

// TestMarketplaceFirstUse: a Marketplace model the account has not
// subscribed to yet works on first use when the role may subscribe; it is
// model-access only when the role may not.
func TestMarketplaceFirstUse(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	subscribe := `{"Effect":"Allow","Action":["aws-marketplace:Subscribe","aws-marketplace:ViewSubscriptions"],"Resource":"*"}`
	for _, tc := range []struct {
		name string
		role string
		want diagnose.Layer
	}{
		{"the role may subscribe", policy(allowInvokeAll, subscribe), diagnose.LayerNone},
		{"the role may not subscribe", policy(allowInvokeAll), diagnose.LayerModelAccess},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sp := healthy()
			sp.rolePolicy = tc.role
			sp.access = awsfake.AccessNeedsSubscription
			wd := build(t, sp, tierFull)
			auditor := wd.srv.Config(wd.region, wd.auditor)
			r, err := diagnose.NewDiagnoser(wd.srv.Config(wd.region, wd.appKey), diagnose.Options{DiagnosticConfig: &auditor, RateLimit: -1}).
				Run(context.Background(), diagnose.Target{RoleARN: roleARN, ModelID: haiku, Operation: "Converse"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Layer != tc.want {
				t.Errorf("layer = %s, want %s:\n%s", r.Layer, tc.want, r)
			}
		})
	}
}

// TestRunDurationError: a session duration over the role's maximum is what
// failed; Run says so instead of asking for diagnostic credentials.
func TestRunDurationError(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	wd := build(t, healthy(), tierFull)
	auditor := wd.srv.Config(wd.region, wd.auditor)
	r, err := diagnose.NewDiagnoser(wd.srv.Config(wd.region, wd.appKey), diagnose.Options{DiagnosticConfig: &auditor, RateLimit: -1}).
		Run(context.Background(), diagnose.Target{RoleARN: roleARN, ModelID: haiku, Operation: "Converse",
			AssumeRoleOptions: []func(*stscreds.AssumeRoleOptions){func(o *stscreds.AssumeRoleOptions) { o.Duration = 2 * time.Hour }}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Layer != diagnose.LayerAssumeRole || len(r.Candidates) > 0 {
		t.Errorf("layer = %s %v, want assume-role without candidates:\n%s", r.Layer, r.Candidates, r)
	}
	if !strings.Contains(r.Summary, "MaxSessionDuration") || strings.Contains(r.Summary, "could not run") || strings.Contains(r.Fix, "DiagnosticConfig") {
		t.Errorf("summary/fix do not say what failed:\n%s\n%s", r.Summary, r.Fix)
	}
}

// TestCachePerResource: a profile's calls are routed to two regions and
// denied in each; each error's diagnosis is about the resource its own text
// names (the cache is keyed on it), and OnReport receives every report,
// cached ones too.
func TestCachePerResource(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	sp := healthy()
	// The role allows the profile and the model in us-east-1 only.
	sp.rolePolicy = policy(`{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":["arn:aws:bedrock:*:` + tgtAcct + `:inference-profile/*","arn:aws:bedrock:us-east-1::foundation-model/*"]}`)
	wd := build(t, sp, tierSome)
	var n atomic.Int64
	wd.srv.SetRouter(func(_, _ string, _ []string) string {
		if n.Add(1)%2 == 1 {
			return "us-west-2"
		}
		return "us-east-2"
	})
	var reports atomic.Int64
	c := client.NewFromConfig(wd.srv.Config(wd.region, wd.appKey), client.WithRole(roleARN),
		client.WithDiagnosis(func(o *diagnose.Options) { o.RateLimit = -1; o.Budget = 2 * time.Second }))
	async := client.NewFromConfig(wd.srv.Config(wd.region, wd.appKey), client.WithRole(roleARN),
		client.WithDiagnosis(func(o *diagnose.Options) {
			o.RateLimit = -1
			o.OnReport = func(*diagnose.Report) { reports.Add(1) }
		}))
	for i := range 4 {
		err := runOp(context.Background(), c, "Converse", usSonnet)
		var derr *diagnose.Error
		if !errors.As(err, &derr) {
			t.Fatalf("call %d: want a diagnosed error, got %v", i, err)
		}
		r := derr.Report
		if !strings.Contains(err.Error(), "on resource: "+r.Resource+" ") {
			t.Errorf("call %d: the report's resource %s is not the one the text names: %s", i, r.Resource, err)
		}
		if r.Layer != diagnose.LayerRolePermissions {
			t.Errorf("call %d: layer = %s, want role-permissions:\n%s", i, r.Layer, r)
		}
	}
	for range 4 {
		_ = runOp(context.Background(), async, "Converse", usSonnet)
	}
	deadline := time.Now().Add(5 * time.Second)
	for reports.Load() < 4 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := reports.Load(); got != 4 {
		t.Errorf("OnReport was called %d times for 4 denied calls", got)
	}
}

// TestContextTheDiagnosisCannotKnow: conditions on keys the diagnosis does
// not supply (an endpoint, an organization id, tags) never become a
// denial; conditions on keys it does supply (the region) are met as AWS
// would meet them.
func TestContextTheDiagnosisCannotKnow(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	const orgID = "o-src12345"
	trustOrg := policy(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"` + orgID + `"}}}`)
	for _, tc := range []struct {
		name  string
		spec  func() spec
		setup func(wd *world)
		tier  tier
		// reader: a read-only auditor in the target account that may read
		// the trust policy, while the app may not simulate its own.
		reader bool
		run    bool             // Run instead of the app's call
		want   []diagnose.Layer // any of these
		never  diagnose.Layer
		passes string // a check that must pass: its condition holds
	}{
		{
			name: "trust by organization id, the source policy is the fault",
			spec: func() spec {
				s := healthy()
				s.trust = trustOrg
				s.sourcePolicy = policy(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}`)
				return s
			},
			setup:  func(wd *world) { wd.w.Account(srcAcct).InOrg(wd.w.Organization(orgID, "888888888888")) },
			tier:   tierSome,
			reader: true,
			want:   []diagnose.Layer{diagnose.LayerAssumeRole},
			never:  diagnose.LayerTrustPolicy,
		},
		{
			name: "source policy allows AssumeRole in the region it is called in; the trust policy is the fault",
			spec: func() spec {
				s := healthy()
				s.sourcePolicy = policy(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + roleARN + `","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}`)
				s.trust = policy(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"sts:AssumeRole"}`)
				return s
			},
			tier:   tierFull,
			want:   []diagnose.Layer{diagnose.LayerTrustPolicy},
			never:  diagnose.LayerSourcePolicy,
			passes: "source-policy.simulate",
		},
		{
			name: "role allows Bedrock only through the app's VPC endpoint, which it uses",
			spec: func() spec {
				s := healthy()
				s.rolePolicy = policy(`{"Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],"Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-0abc1234"}}}`)
				s.endpoint = policy(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`)
				return s
			},
			tier:  tierFull,
			run:   true,
			want:  []diagnose.Layer{diagnose.LayerUnknown},
			never: diagnose.LayerRolePermissions,
		},
		{
			name: "role allows Bedrock by its own tag, read-only diagnostics",
			spec: func() spec {
				s := healthy()
				s.rolePolicy = policy(`{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"genai"}}}`)
				s.roleTags = map[string]string{"team": "genai"}
				return s
			},
			tier:  tierRead,
			run:   true,
			want:  []diagnose.Layer{diagnose.LayerNone, diagnose.LayerUnknown},
			never: diagnose.LayerRolePermissions,
		},
		{
			name: "role allows Bedrock within its organization, read-only diagnostics",
			spec: func() spec {
				s := healthy()
				s.rolePolicy = policy(`{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abcd1234"}}}`)
				return s
			},
			tier:  tierRead,
			run:   true,
			want:  []diagnose.Layer{diagnose.LayerUnknown},
			never: diagnose.LayerRolePermissions,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sp := tc.spec()
			wd := build(t, sp, tc.tier)
			if tc.setup != nil {
				tc.setup(wd)
			}
			opts := diagnose.Options{RateLimit: -1, Budget: 5 * time.Second}
			switch {
			case tc.reader:
				a := wd.srv.Config(wd.region, wd.w.Account(tgtAcct).User("reader").Inline("read", policy(simulateRole)).AccessKey())
				opts.DiagnosticConfig = &a
			case tc.tier == tierFull:
				a := wd.srv.Config(wd.region, wd.auditor)
				opts.DiagnosticConfig = &a
			}
			var r *diagnose.Report
			if tc.run {
				var err error
				r, err = diagnose.NewDiagnoser(wd.srv.Config(wd.region, wd.appKey), opts).
					Run(context.Background(), diagnose.Target{RoleARN: roleARN, ModelID: haiku, Operation: "Converse"})
				if err != nil {
					t.Fatal(err)
				}
			} else {
				c := client.NewFromConfig(wd.srv.Config(wd.region, wd.appKey), client.WithRole(roleARN),
					client.WithDiagnosis(func(o *diagnose.Options) {
						o.RateLimit, o.Budget, o.DiagnosticConfig = opts.RateLimit, opts.Budget, opts.DiagnosticConfig
					}))
				err := runOp(context.Background(), c, "Converse", haiku)
				var derr *diagnose.Error
				if !errors.As(err, &derr) {
					t.Fatalf("want a diagnosed error, got %v", err)
				}
				r = derr.Report
			}
			if tc.passes != "" {
				if c := checkOf(r, tc.passes); c == nil || c.Status != diagnose.StatusPass {
					t.Errorf("%s = %+v, want pass", tc.passes, c)
				}
			}
			if r.Layer == tc.never || !slices.Contains(tc.want, r.Layer) {
				t.Errorf("layer = %s, want one of %v (never %s):\n%s", r.Layer, tc.want, tc.never, r)
			}
			if r.Layer == diagnose.LayerUnknown && tc.never == diagnose.LayerRolePermissions && strings.Contains(r.FixPolicy, "bedrock:") {
				t.Errorf("an undecided report carries a fix policy:\n%s", r.FixPolicy)
			}
		})
	}
}
