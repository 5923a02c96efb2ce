package diagnose

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// readRolePolicies reads a role's identity policies (inline and attached
// managed, each managed policy at its default version) and its permissions
// boundary, in the role's account, as IAM stores them: URL-encoded JSON,
// which iampolicy.Parse decodes. Reads run concurrently; any failure is the
// error (the set would be partial, and a partial set proves nothing). It
// also returns the role's tags (never nil on success: a role without tags
// has an empty map), which its policies may test as aws:PrincipalTag.
func readRolePolicies(ctx context.Context, client *iam.Client, roleARN string) (iampolicy.PolicySet, map[string]string, error) {
	var set iampolicy.PolicySet
	name := roleName(roleARN)
	var (
		role     *iam.GetRoleOutput
		inline   []string
		attached []string
		errs     [3]error
		wg       sync.WaitGroup
	)
	wg.Go(func() {
		defer recoverInto(&errs[0])
		role, errs[0] = client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	})
	wg.Go(func() {
		defer recoverInto(&errs[1])
		p := iam.NewListRolePoliciesPaginator(client, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				errs[1] = err
				return
			}
			if page.IsTruncated && aws.ToString(page.Marker) == "" {
				errs[1] = errTruncated("iam:ListRolePolicies")
				return
			}
			inline = append(inline, page.PolicyNames...)
			if len(inline) > maxPolicies {
				errs[1] = errTooMany("inline", len(inline))
				return
			}
		}
	})
	wg.Go(func() {
		defer recoverInto(&errs[2])
		p := iam.NewListAttachedRolePoliciesPaginator(client, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				errs[2] = err
				return
			}
			if page.IsTruncated && aws.ToString(page.Marker) == "" {
				errs[2] = errTruncated("iam:ListAttachedRolePolicies")
				return
			}
			for _, a := range page.AttachedPolicies {
				attached = append(attached, aws.ToString(a.PolicyArn))
			}
			if len(attached) > maxPolicies {
				errs[2] = errTooMany("attached", len(attached))
				return
			}
		}
	})
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return set, nil, err
		}
	}
	if role == nil || role.Role == nil {
		// Without the role the boundary is unknown: a partial set.
		return set, nil, fmt.Errorf("iam:GetRole answered without the role %s", roleARN)
	}
	var boundaryARN string
	if role.Role.PermissionsBoundary != nil {
		boundaryARN = aws.ToString(role.Role.PermissionsBoundary.PermissionsBoundaryArn)
		if boundaryARN == "" {
			return set, nil, fmt.Errorf("iam:GetRole names a permissions boundary of %s without its ARN", roleARN)
		}
	}

	docs := make([]iampolicy.NamedPolicy, len(inline)+len(attached))
	var boundary iampolicy.NamedPolicy
	readErrs := make([]error, len(docs)+1)
	for i, pn := range inline {
		wg.Go(func() {
			defer recoverInto(&readErrs[i])
			out, err := client.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(pn)})
			if err != nil {
				readErrs[i] = err
				return
			}
			docs[i], readErrs[i] = parseNamed("role/"+name+"/inline/"+pn, iampolicy.TypeIdentity, aws.ToString(out.PolicyDocument))
		})
	}
	for j, arn := range attached {
		i := len(inline) + j
		wg.Go(func() {
			defer recoverInto(&readErrs[i])
			doc, err := managedPolicyDocument(ctx, client, arn)
			if err != nil {
				readErrs[i] = err
				return
			}
			docs[i], readErrs[i] = parseNamed(arn, iampolicy.TypeIdentity, doc)
		})
	}
	if boundaryARN != "" {
		wg.Go(func() {
			defer recoverInto(&readErrs[len(docs)])
			doc, err := managedPolicyDocument(ctx, client, boundaryARN)
			if err != nil {
				readErrs[len(docs)] = err
				return
			}
			boundary, readErrs[len(docs)] = parseNamed(boundaryARN, iampolicy.TypeBoundary, doc)
		})
	}
	wg.Wait()
	for _, err := range readErrs {
		if err != nil {
			return set, nil, err
		}
	}
	set.Identity = docs
	if boundaryARN != "" {
		set.Boundary = &boundary
	}
	tags := make(map[string]string, len(role.Role.Tags))
	for _, t := range role.Role.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return set, tags, nil
}

// recoverInto turns a panic of one read (a parser fed an odd answer) into
// that read's error: the set is then partial, and proves nothing.
func recoverInto(errp *error) {
	if v := recover(); v != nil {
		*errp = fmt.Errorf("reading a policy failed internally (panic: %v)", v)
	}
}

// maxPolicies bounds the policies read for one role: IAM allows far fewer
// (inline policies share 10,240 characters, at most 20 managed ones are
// attached by default), so more is not an answer to evaluate.
const maxPolicies = 100

func errTruncated(op string) error {
	return fmt.Errorf("%s answered a truncated page without a marker: the rest of the list cannot be read", op)
}

func errTooMany(kind string, n int) error {
	return fmt.Errorf("the role lists %d %s policies, more than IAM allows", n, kind)
}

// managedPolicyDocument returns a managed policy's default version.
func managedPolicyDocument(ctx context.Context, client *iam.Client, arn string) (string, error) {
	p, err := client.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		return "", err
	}
	if p.Policy == nil || p.Policy.DefaultVersionId == nil {
		return "", fmt.Errorf("read policy %s: no default version", arn)
	}
	v, err := client.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: p.Policy.DefaultVersionId})
	if err != nil {
		return "", err
	}
	if v.PolicyVersion == nil {
		return "", fmt.Errorf("read policy %s: empty version", arn)
	}
	return aws.ToString(v.PolicyVersion.Document), nil
}

func parseNamed(name string, typ iampolicy.PolicyType, doc string) (iampolicy.NamedPolicy, error) {
	pol, err := iampolicy.Parse(doc)
	if err != nil {
		return iampolicy.NamedPolicy{}, fmt.Errorf("read policy %s: %w", name, err)
	}
	return iampolicy.NamedPolicy{Name: name, Type: typ, Policy: pol}, nil
}

// prefetchPolicies starts reading roleARN's policies with the target
// credentials; rolePolicies waits for the result.
func (in *inquiry) prefetchPolicies(ctx context.Context, roleARN string) {
	client := in.iamTarget()
	in.policiesFor, in.policiesDone = roleARN, make(chan struct{})
	go func() {
		defer close(in.policiesDone)
		defer func() {
			if v := recover(); v != nil {
				in.policiesErr = fmt.Errorf("reading the role's policies failed internally (panic: %v)", v)
			}
		}()
		in.policies, in.policyTags, in.policiesErr = readRolePolicies(ctx, client, roleARN)
	}()
}

// rolePolicies returns roleARN's policies: the prefetched ones, or read now.
func (in *inquiry) rolePolicies(ctx context.Context, client *iam.Client, roleARN string) (iampolicy.PolicySet, map[string]string, error) {
	if in.policiesDone != nil && in.policiesFor == roleARN {
		select {
		case <-in.policiesDone:
			return in.policies, in.policyTags, in.policiesErr
		case <-ctx.Done():
			return iampolicy.PolicySet{}, nil, ctx.Err()
		}
	}
	return readRolePolicies(ctx, client, roleARN)
}

// readRoleTags returns roleARN's tags when its policies were read ahead (the
// prefetch reads them with the role), nil otherwise: the simulator then
// lists the tag keys it lacked, and the check stays undecided.
func (in *inquiry) readRoleTags(ctx context.Context, roleARN string) map[string]string {
	if in.policiesDone == nil || in.policiesFor != roleARN {
		return nil
	}
	select {
	case <-in.policiesDone:
		if in.policiesErr != nil {
			return nil
		}
		// The session's tags: the role's, overridden by the app's.
		if !in.sessionTagsKnown(roleARN) {
			return nil
		}
		return in.rolePrincipal(roleARN, in.policyTags).Tags
	case <-ctx.Done():
		return nil
	}
}
