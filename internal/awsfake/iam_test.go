package awsfake

import (
	"context"
	"net/url"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func TestIAMReads(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	boundary := f.tgt.ManagedPolicy("Boundary", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	managed := f.tgt.ManagedPolicy("BedrockRead", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:Get*","Resource":"*"}]}`)
	f.role.Attach(managed).Boundary(boundary).Inline("a-extra", noop).Inline("z-extra", noop).Tag("team", "ml")
	c := iam.NewFromConfig(f.cfg(f.session(t)))

	out, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("BedrockInvoker")})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Role
	if *r.Arn != roleARN || *r.RoleId != f.role.UniqueID || *r.MaxSessionDuration != 3600 || *r.Path != "/" || *r.PermissionsBoundary.PermissionsBoundaryArn != boundary || len(r.Tags) != 1 {
		t.Errorf("role %+v", r)
	}
	doc, err := url.QueryUnescape(*r.AssumeRolePolicyDocument)
	if err != nil || doc != trustSource {
		t.Errorf("trust document %q (%v), want the original", *r.AssumeRolePolicyDocument, err)
	}

	var names []string
	p := iam.NewListRolePoliciesPaginator(c, &iam.ListRolePoliciesInput{RoleName: aws.String("BedrockInvoker"), MaxItems: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		names = append(names, page.PolicyNames...)
	}
	if want := []string{"a-extra", "invoke", "z-extra"}; pages != 2 || !equal(names, want) {
		t.Errorf("inline names %v in %d pages, want %v in 2", names, pages, want)
	}

	rp, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("BedrockInvoker"), PolicyName: aws.String("invoke")})
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := url.PathUnescape(*rp.PolicyDocument); doc != invokePolicy {
		t.Errorf("inline document does not round-trip: %q", doc)
	}
	ap, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("BedrockInvoker")})
	if err != nil {
		t.Fatal(err)
	}
	if len(ap.AttachedPolicies) != 1 || *ap.AttachedPolicies[0].PolicyArn != managed || *ap.AttachedPolicies[0].PolicyName != "BedrockRead" {
		t.Errorf("attached %+v", ap.AttachedPolicies)
	}
	gp, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(managed)})
	if err != nil {
		t.Fatal(err)
	}
	pv, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(managed), VersionId: gp.Policy.DefaultVersionId})
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := url.QueryUnescape(*pv.PolicyVersion.Document); doc != `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:Get*","Resource":"*"}]}` || !pv.PolicyVersion.IsDefaultVersion {
		t.Errorf("version %+v", pv.PolicyVersion)
	}

	errTests := []struct {
		name      string
		call      func() error
		code, msg string
		status    int
	}{
		{"missing role", func() error {
			_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Nope")})
			return err
		}, "NoSuchEntity", "The role with name Nope cannot be found.", 404},
		{"missing inline policy", func() error {
			_, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("BedrockInvoker"), PolicyName: aws.String("nope")})
			return err
		}, "NoSuchEntity", "The role policy with name nope cannot be found.", 404},
		{"missing policy version", func() error {
			_, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(managed), VersionId: aws.String("v9")})
			return err
		}, "NoSuchEntity", "Policy " + managed + " version v9 does not exist or is not attachable.", 404},
		{"caller lacks iam:GetRole", func() error {
			_, err := iam.NewFromConfig(f.cfg(f.appKey)).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app-role")})
			return err
		}, "AccessDenied", "User: " + appARN + " is not authorized to perform: iam:GetRole on resource: role app-role because no identity-based policy allows the iam:GetRole action", 403},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) { apiErr(t, tt.call(), tt.code, tt.msg, tt.status) })
	}
}

func TestIAMUserReads(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.app.Inline("iam-read", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:ListUserPolicies","iam:GetUserPolicy","iam:ListAttachedUserPolicies"],"Resource":"arn:aws:iam::111111111111:user/app"}]}`)
	c := iam.NewFromConfig(f.cfg(f.appKey))
	u, err := c.GetUser(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *u.User.Arn != appARN || *u.User.UserId != f.app.UniqueID {
		t.Errorf("user %+v", u.User)
	}
	lp, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	if !equal(lp.PolicyNames, []string{"assume", "iam-read"}) || lp.IsTruncated || lp.Marker != nil {
		t.Errorf("names %v truncated %v marker %v", lp.PolicyNames, lp.IsTruncated, lp.Marker)
	}
	up, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("app"), PolicyName: aws.String("assume")})
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := url.QueryUnescape(*up.PolicyDocument); doc != allowAssume {
		t.Errorf("doc %q", doc)
	}
	if _, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("other")})
	apiErr(t, err, "AccessDenied", "User: "+appARN+" is not authorized to perform: iam:GetUser on resource: user other because no identity-based policy allows the iam:GetUser action", 403)
}

func TestSimulatePrincipalPolicy(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.role.Inline("deny-west", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:us-west-2::foundation-model/*"}]}`)
	c := iam.NewFromConfig(f.cfg(f.session(t)))
	east := "arn:aws:bedrock:us-east-1::foundation-model/" + sonnet
	west := "arn:aws:bedrock:us-west-2::foundation-model/" + sonnet
	p := iam.NewSimulatePrincipalPolicyPaginator(c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(roleARN),
		ActionNames:     []string{"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", "bedrock:CreateModelCustomizationJob"},
		ResourceArns:    []string{east, west},
		MaxItems:        aws.Int32(2),
	})
	got := map[string]string{}
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range page.EvaluationResults {
			got[*r.EvalActionName] = string(r.EvalDecision)
			for _, rs := range r.ResourceSpecificResults {
				got[*r.EvalActionName+" "+*rs.EvalResourceName] = string(rs.EvalResourceDecision)
			}
			if r.OrganizationsDecisionDetail == nil || !r.OrganizationsDecisionDetail.AllowedByOrganizations {
				t.Errorf("%s: organizations detail %+v", *r.EvalActionName, r.OrganizationsDecisionDetail)
			}
		}
	}
	want := map[string]string{
		"bedrock:InvokeModel":                           "explicitDeny",
		"bedrock:InvokeModel " + east:                   "allowed",
		"bedrock:InvokeModel " + west:                   "explicitDeny",
		"bedrock:InvokeModelWithResponseStream":         "allowed",
		"bedrock:InvokeModelWithResponseStream " + east: "allowed",
		"bedrock:InvokeModelWithResponseStream " + west: "allowed",
		"bedrock:CreateModelCustomizationJob":           "implicitDeny",
		"bedrock:CreateModelCustomizationJob " + east:   "implicitDeny",
		"bedrock:CreateModelCustomizationJob " + west:   "implicitDeny",
	}
	// For a deny, only the deny statement is listed.
	first, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(roleARN), ActionNames: []string{"bedrock:InvokeModel"}, ResourceArns: []string{west}})
	if err != nil {
		t.Fatal(err)
	}
	rs := first.EvaluationResults[0].ResourceSpecificResults[0]
	if len(rs.MatchedStatements) != 1 || *rs.MatchedStatements[0].SourcePolicyId != "deny-west" || rs.MatchedStatements[0].SourcePolicyType != iamtypes.PolicySourceTypeRole {
		t.Errorf("matched %+v", rs.MatchedStatements)
	}
	if pages != 2 || len(got) != len(want) {
		t.Errorf("%d pages, results %v", pages, got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestSimulateCustomPolicy(t *testing.T) {
	f := newFixture(t)
	out, err := iam.NewFromConfig(f.cfg(f.session(t))).SimulateCustomPolicy(context.Background(), &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`},
		ActionNames:     []string{"bedrock:InvokeModel"},
		ContextEntries:  []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:RequestedRegion"), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{"eu-west-1"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.EvaluationResults) != 1 || out.EvaluationResults[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Errorf("results %+v", out.EvaluationResults)
	}
	_, err = iam.NewFromConfig(f.cfg(f.appKey)).SimulateCustomPolicy(context.Background(), &iam.SimulateCustomPolicyInput{PolicyInputList: []string{`{}`}, ActionNames: []string{"s3:GetObject"}})
	apiErr(t, err, "AccessDenied", "User: "+appARN+" is not authorized to perform: iam:SimulateCustomPolicy on resource: * because no identity-based policy allows the iam:SimulateCustomPolicy action", 403)
}

const noop = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"none:None","Resource":"*"}]}`

func equal(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
