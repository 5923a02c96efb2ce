package iampolicy

import (
	"fmt"
	"strings"
	"testing"
)

// benchSet builds a realistic policy set: two SCP levels with a region
// deny, a boundary, and one identity policy per entry of stmts with that
// many Bedrock, S3 and IAM statements, most of which do not match the
// request.
func benchSet(stmts ...int) PolicySet {
	stmt := func(p, i int) string {
		switch i % 5 {
		case 0:
			return fmt.Sprintf(`{"Sid":"S%d%d","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket-%d/${aws:username}/*"}`, p, i, i)
		case 1:
			return fmt.Sprintf(`{"Sid":"I%d%d","Effect":"Allow","Action":"iam:Get*","Resource":"arn:aws:iam::111111111111:role/r%d"}`, p, i, i)
		case 2:
			return fmt.Sprintf(`{"Sid":"B%d%d","Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],
				"Resource":["arn:aws:bedrock:*::foundation-model/anthropic.claude-%d*","arn:aws:bedrock:us-east-1:111111111111:inference-profile/*"],
				"Condition":{"StringEquals":{"aws:RequestedRegion":["us-east-1","us-west-2"]}}}`, p, i, i)
		case 3:
			return fmt.Sprintf(`{"Sid":"D%d%d","Effect":"Deny","NotAction":["bedrock:*","s3:*","sts:*"],"Resource":"*",
				"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalTag/team":"ml%d"}}}`, p, i, i)
		default:
			return fmt.Sprintf(`{"Sid":"T%d%d","Effect":"Allow","Action":"bedrock:*","Resource":"*",
				"Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["cost-%d*"]},"Bool":{"aws:SecureTransport":"true"}}}`, p, i, i)
		}
	}
	doc := func(p, n int) *Policy {
		var parts []string
		for i := 0; i < n; i++ {
			parts = append(parts, stmt(p, i))
		}
		return MustParse(`{"Version":"2012-10-17","Statement":[` + strings.Join(parts, ",") + `]}`)
	}
	var set PolicySet
	set.SCPs = [][]NamedPolicy{
		{{Name: "scp/root", Type: TypeSCP, Policy: MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}},
		{{Name: "scp/regions", Type: TypeSCP, Policy: MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
			{"Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","us-west-2","unspecified"]}}}]}`)}},
	}
	set.Boundary = &NamedPolicy{Name: "boundary", Type: TypeBoundary, Policy: MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["bedrock:*","s3:*"],"Resource":"*"}]}`)}
	for p, n := range stmts {
		set.Identity = append(set.Identity, NamedPolicy{Name: fmt.Sprintf("policy-%d", p), Type: TypeIdentity, Policy: doc(p, n)})
	}
	return set
}

func benchRequest() Request {
	return Request{
		Principal: Principal{
			ARN:      "arn:aws:sts::111111111111:assumed-role/App/s1",
			RoleARN:  "arn:aws:iam::111111111111:role/App",
			UniqueID: "AROAEXAMPLEEXAMPLE",
			Account:  "111111111111",
			OrgID:    "o-abc123",
			Tags:     map[string]string{"team": "ml"},
		},
		Action:   "bedrock:InvokeModel",
		Resource: "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-2-haiku-v1:0",
		Context: map[string][]string{
			"aws:RequestedRegion": {"us-east-1"},
			"aws:SecureTransport": {"true"},
		},
	}
}

// BenchmarkEvaluate is a typical Bedrock request against 10 policies with 50
// statements in all (2 SCP levels, a boundary, 7 identity policies).
func BenchmarkEvaluate(b *testing.B) {
	// 50 statements: 4 in the SCPs and boundary, 46 in identity policies.
	set := benchSet(7, 7, 7, 7, 6, 6, 6)
	n := 0
	for _, l := range set.SCPs {
		n += len(l[0].Policy.Statements)
	}
	n += len(set.Boundary.Policy.Statements)
	for _, p := range set.Identity {
		n += len(p.Policy.Statements)
	}
	if n != 50 || len(set.Identity)+3 != 10 {
		b.Fatalf("set has %d statements in %d policies", n, len(set.Identity)+3)
	}
	req := benchRequest()
	if r := Evaluate(req, set); r.Decision != Allow {
		b.Fatalf("benchmark request is not allowed: %+v", r)
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(req, set)
	}
}

// TestEvaluateAllocs checks that evaluation allocates only for the
// explanation: ten times more non-matching statements cost no allocation.
func TestEvaluateAllocs(t *testing.T) {
	req := benchRequest()
	req.Resource = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0"
	small, large := benchSet(5, 5, 5, 5, 5, 5, 5), benchSet(50, 50, 50, 50, 50, 50, 50)
	// Statements 3 and 4 of each group of five are the only ones that
	// could apply; none does, so both sets explain the same matches.
	a := testing.AllocsPerRun(100, func() { Evaluate(req, small) })
	rs, rl := Evaluate(req, small), Evaluate(req, large)
	matched := func(r Result) int {
		n := 0
		for _, tr := range r.Types {
			n += len(tr.Matched)
		}
		return n
	}
	if matched(rs) != matched(rl) {
		t.Fatalf("sets match differently: %d vs %d statements", matched(rs), matched(rl))
	}
	b := testing.AllocsPerRun(100, func() { Evaluate(req, large) })
	if b > a {
		t.Errorf("allocations grow with policy size: %v with 5 statements per policy, %v with 50", a, b)
	}
}
