package awsfake

import (
	"slices"
	"testing"
)

// TestEdits: the edits a test makes to a built world, as an owner changes
// a live account, are seen by lookups and by the next request's policies.
func TestEdits(t *testing.T) {
	const boundaryDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	const fixed = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"}]}`
	w := NewWorld()
	tgt := w.Account(tgtAcct)
	b := tgt.ManagedPolicy("Boundary", boundaryDoc)
	role := tgt.Role("BedrockInvoker", trustSource).WithPath("/apps/").Inline("bedrock", allowAssume).Boundary(b)
	user := w.Account(srcAcct).User("app").Inline("assume", allowAssume)
	tgt.Bedrock("us-east-1").Access(haiku, AccessUseCaseMissing)
	tgt.Bedrock("us-west-2").Access(haiku, AccessNotAvailable)

	for _, tc := range []struct {
		name string
		got  any
		want any
	}{
		{"role by its ARN with the path", w.RoleByARN("arn:aws:iam::"+tgtAcct+":role/apps/BedrockInvoker") == role, true},
		{"role without its path is another ARN", w.RoleByARN("arn:aws:iam::"+tgtAcct+":role/BedrockInvoker") == nil, true},
		{"user by ARN", w.UserByARN(appARN) == user, true},
		{"unknown user", w.UserByARN("arn:aws:iam::"+srcAcct+":user/nobody") == nil, true},
		{"inline names", role.InlinePolicyNames(), []string{"bedrock"}},
		{"inline document", role.InlinePolicy("bedrock"), allowAssume},
		{"user inline document", user.InlinePolicy("assume"), allowAssume},
		{"user inline names", user.InlinePolicyNames(), []string{"assume"}},
		{"boundary", role.BoundaryARN(), b},
		{"user without boundary", user.BoundaryARN(), ""},
		{"trust", role.TrustPolicy(), trustSource},
		{"managed document", w.PolicyDocument(b), boundaryDoc},
		{"missing managed policy", w.PolicyDocument("arn:aws:iam::" + tgtAcct + ":policy/None"), ""},
		{"replace a missing policy", w.SetPolicyDocument("arn:aws:iam::"+tgtAcct+":policy/None", fixed), false},
		{"replace the boundary", w.SetPolicyDocument(b, fixed), true},
		{"boundary replaced", w.PolicyDocument(b), fixed},
		{"access before the form", tgt.AccessState("us-east-1", haiku), AccessUseCaseMissing},
	} {
		if !equalAny(tc.got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	tgt.SubmitUseCaseForm(`{"companyName":"Example"}`)
	for _, tc := range []struct {
		region string
		want   AccessState
	}{
		{"us-east-1", AccessAuthorized},   // the form lifts use-case-missing
		{"us-west-2", AccessNotAvailable}, // and nothing else
	} {
		if got := tgt.AccessState(tc.region, haiku); got != tc.want {
			t.Errorf("after the form, access in %s = %v, want %v", tc.region, got, tc.want)
		}
	}
	if tgt.UseCaseForm == "" {
		t.Errorf("the form was not recorded")
	}
}

func equalAny(a, b any) bool {
	if as, ok := a.([]string); ok {
		bs, _ := b.([]string)
		return slices.Equal(as, bs)
	}
	return a == b
}
