package iampolicy

import (
	"reflect"
	"testing"
)

// TestEvaluateExplanation checks the explanation, not only the decision:
// the per-type verdicts in their fixed order, the statements that applied,
// every blocking type and the missing keys.
func TestEvaluateExplanation(t *testing.T) {
	p := Principal{
		ARN:     "arn:aws:sts::111111111111:assumed-role/App/s1",
		RoleARN: "arn:aws:iam::111111111111:role/App",
		Account: "111111111111",
	}
	req := Request{
		Principal: p,
		Action:    "bedrock:InvokeModel",
		Resource:  "arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-pro-v1:0",
		Context:   map[string][]string{"aws:RequestedRegion": {"us-west-2"}},
	}
	named := func(name string, typ PolicyType, doc string) NamedPolicy {
		return NamedPolicy{Name: name, Type: typ, Policy: MustParse(doc)}
	}
	boundary := named("boundary", TypeBoundary, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	endpoint := named("vpce-1", TypeVPCEndpoint, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`)
	set := PolicySet{
		SCPs: [][]NamedPolicy{
			{named("scp/root", TypeSCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)},
			{named("scp/ou", TypeSCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
				{"Sid":"Regions","Effect":"Deny","Action":"bedrock:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`)},
		},
		Identity: []NamedPolicy{
			named("inline/a", TypeIdentity, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
				{"Sid":"ViaProfile","Effect":"Allow","Action":"bedrock:*","Resource":"*","Condition":{"StringLike":{"bedrock:InferenceProfileArn":"*"}}},
				{"Sid":"Tagged","Effect":"Allow","Action":"bedrock:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"ml","bedrock:InferenceProfileArn":"x"}}}]}`),
		},
		Boundary: &boundary,
		Endpoint: &endpoint,
	}
	got := Evaluate(req, set)
	want := Result{
		Decision: ExplicitDeny,
		Types: []TypeResult{
			{Type: TypeSCP, Decision: ExplicitDeny, Matched: []StatementRef{
				{Policy: "scp/root", Type: TypeSCP, Index: 0, Effect: "Allow"},
				{Policy: "scp/ou", Type: TypeSCP, Index: 0, Effect: "Allow"},
				{Policy: "scp/ou", Type: TypeSCP, Index: 1, Sid: "Regions", Effect: "Deny"},
			}},
			{Type: TypeVPCEndpoint, Decision: Allow, Matched: []StatementRef{
				{Policy: "vpce-1", Type: TypeVPCEndpoint, Index: 0, Effect: "Allow"},
			}},
			{Type: TypeIdentity, Decision: ImplicitDeny},
			{Type: TypeBoundary, Decision: ImplicitDeny},
		},
		Blocked: []PolicyType{TypeSCP, TypeIdentity, TypeBoundary},
		Missing: []string{"bedrock:InferenceProfileArn", "aws:ResourceTag/team"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if d := got.Denies(); !reflect.DeepEqual(d, []StatementRef{{Policy: "scp/ou", Type: TypeSCP, Index: 1, Sid: "Regions", Effect: "Deny"}}) {
		t.Errorf("Denies() = %+v", d)
	}
	if d := (Result{}).Denies(); d != nil {
		t.Errorf("Denies() of an empty result = %+v", d)
	}
	for d, s := range map[Decision]string{Allow: "allow", ExplicitDeny: "explicit deny", ImplicitDeny: "implicit deny", Decision(7): "Decision(7)"} {
		if d.String() != s {
			t.Errorf("Decision(%d).String() = %q, want %q", int(d), d.String(), s)
		}
	}
}

// TestEvaluateRoot covers the account root user: allowed everything in its
// own account without identity policies, still bound by SCPs
// (reference_policies_evaluation-logic.html; orgs_manage_policies_scps.html).
func TestEvaluateRoot(t *testing.T) {
	root := Principal{ARN: "arn:aws:iam::111111111111:root", Account: "111111111111"}
	req := Request{Principal: root, Action: "bedrock:InvokeModel", Resource: "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0"}
	if r := Evaluate(req, PolicySet{}); r.Decision != Allow {
		t.Errorf("root without policies: %v %v, want allow", r.Decision, r.Blocked)
	}
	scp := NamedPolicy{Name: "scp", Type: TypeSCP, Policy: MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"bedrock:*","Resource":"*"}]}`)}
	r := Evaluate(req, PolicySet{SCPs: [][]NamedPolicy{{scp}}})
	if r.Decision != ExplicitDeny || !reflect.DeepEqual(r.Blocked, []PolicyType{TypeSCP}) {
		t.Errorf("root under a denying SCP: %v %v, want explicit deny by SCP", r.Decision, r.Blocked)
	}
	// A resource-based policy of another account must still name the root's
	// account.
	req.Resource, req.Action, req.ResourceAccount = "arn:aws:s3:::bucket-b/x", "s3:GetObject", "222222222222"
	if r := Evaluate(req, PolicySet{}); r.Decision != ImplicitDeny || !reflect.DeepEqual(r.Blocked, []PolicyType{TypeResource}) {
		t.Errorf("root cross-account without a bucket policy: %v %v, want implicit deny by resource-based policy", r.Decision, r.Blocked)
	}
}

// TestEvaluateNilPolicy checks that a NamedPolicy without a parsed policy
// counts as an empty policy rather than panicking.
func TestEvaluateNilPolicy(t *testing.T) {
	r := Evaluate(Request{Action: "s3:GetObject", Resource: "*"}, PolicySet{Identity: []NamedPolicy{{Name: "nil"}}})
	if r.Decision != ImplicitDeny {
		t.Errorf("got %v, want implicit deny", r.Decision)
	}
}

// TestEvaluateConcurrent evaluates one parsed policy set from many
// goroutines; run with -race it shows that policies are read-only after
// Parse.
func TestEvaluateConcurrent(t *testing.T) {
	set := benchSet(7, 7, 7)
	req := benchRequest()
	want := Evaluate(req, set)
	done := make(chan Result)
	for i := 0; i < 8; i++ {
		go func() {
			var r Result
			for j := 0; j < 50; j++ {
				r = Evaluate(req, set)
			}
			done <- r
		}()
	}
	for i := 0; i < 8; i++ {
		if r := <-done; !reflect.DeepEqual(r, want) {
			t.Errorf("concurrent result differs: %+v", r)
		}
	}
}
