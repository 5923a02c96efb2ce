// Package iampolicy parses AWS IAM policy documents and evaluates requests
// against them the way AWS documents it, returning a three-valued decision
// (allow, explicit deny, implicit deny) with an explanation: each policy
// type's own verdict, the statements that applied, every type that blocked
// the request, and the condition keys that were missing.
//
// It is the single evaluator behind the local fake AWS (internal/awsfake)
// and the access-denied diagnosis; an outside oracle checks it on the same
// data-driven cases (testdata/cases, ./oracle).
//
// # Parsing
//
// [Parse] accepts a policy as IAM stores it: JSON, or URL-encoded JSON as the
// IAM API returns AssumeRolePolicyDocument, PolicyDocument and policy version
// documents. Action, Resource and Principal values may be a string or an
// array. Anything IAM would reject (an unknown element, a bad Effect, an
// unknown Version, Action together with NotAction, an unknown condition
// operator, a condition value of the wrong type, ...) is an error that wraps
// [ErrMalformed] and names the JSON path of the fault. Patterns are compiled
// at parse time, so evaluation does not allocate per statement.
// [Policy.String] prints a canonical form that parses back to an equal
// policy.
//
// # Matching
//
// Actions match case-insensitively with * and ?
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
// Resources match per ARN segment, case-sensitively; a wildcard never
// crosses a colon except in the sixth segment, which keeps its colons, so
// "arn:aws:bedrock:*::foundation-model/X" matches both the regional and the
// region-less global foundation-model ARN
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
// Principals never match by wildcard inside an ARN; an account id or root
// ARN names the whole account, a role ARN names the role's sessions, a
// session or user ARN names exactly that principal, and a bare unique id
// (left behind when a trusted role is deleted) names only that id
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
//
// # Conditions
//
// Every operator family is supported, with the IfExists suffix, the
// ForAnyValue:/ForAllValues: qualifiers and policy variables (${key},
// ${key, 'default'}, ${*}, ${?}, ${$}) in 2012-10-17 policies. Keys compare
// case-insensitively, values case-sensitively unless the operator says
// IgnoreCase. An absent key makes a positive operator false and a negated
// one true; IfExists makes it true; ForAllValues is true and ForAnyValue
// false on an absent key
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
// Evaluate fills in global keys derivable from the principal
// (aws:PrincipalArn — the role ARN for a role session —, aws:PrincipalAccount,
// aws:PrincipalOrgID, aws:PrincipalTag/*, aws:PrincipalType,
// aws:PrincipalIsAWSService, aws:username, aws:userid) unless the request
// context gives them. A context key with a nil slice is absent; with an
// empty slice it is present with no values. A key with several values
// matches only through ForAnyValue:/ForAllValues:.
//
// # Evaluation order
//
// [Evaluate] follows the policy evaluation logic of the IAM User Guide
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// and .../reference_policies_evaluation-logic_policy-eval-denyallow.html):
//
//  1. An explicit Deny in any policy of any type is final.
//  2. Resource control policies of the resource's organization. Every level
//     must allow, but RCPFullAWSAccess is attached to every level and cannot
//     be detached, so only their Deny statements ever bite; levels are
//     evaluated as if it were there
//     (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_evaluation.html).
//  3. Service control policies of the caller's organization: every level
//     must allow. They limit the caller even when a resource-based policy
//     grants access.
//  4. A VPC endpoint policy, when the request came through an endpoint, must
//     allow.
//  5. Resource-based policies. Within one account, an Allow that names the
//     caller's session or user ARN is enough on its own; one that names the
//     role ARN (or "*") is still limited by implicit denies in the
//     permissions boundary and session policies; one that names the account
//     needs the identity-based policies too. A role trust policy is the
//     exception: for sts:AssumeRole it must always allow explicitly, an
//     identity-based Allow alone never lets anyone assume a role. The
//     trust policy governs sts:AssumeRole, sts:AssumeRoleWithSAML,
//     sts:AssumeRoleWithWebIdentity, sts:TagSession and sts:SetSourceIdentity
//     on a role; with no trust policy in the set, none allows. A KMS key
//     policy is the other exception: for a kms: action on a key
//     (arn:...:kms:...:key/...) it must allow, and an identity-based Allow
//     counts only when the key policy names the account
//     (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html);
//     across accounts both the key policy and the caller's identity-based
//     policies must allow
//     (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html).
//     A resource-based or trust statement without Principal or NotPrincipal
//     names nobody: "You must use the Principal element in resource-based
//     policies", so AWS never stores one
//     (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
//     A Deny with NotPrincipal always applies to an IAM user or role that has
//     a permissions boundary, whatever NotPrincipal lists
//     (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
//  6. Identity-based policies must allow (unless step 5 sufficed).
//  7. The permissions boundary, if any, must allow.
//  8. Session policies, if any, must allow.
//
// The root user of an account is allowed everything in its own account
// without identity-based policies; SCPs and explicit denies still apply.
//
// Across accounts (the request's ResourceAccount differs from the caller's
// account) both sides must allow: the resource-based policy in the resource
// account and the caller's identity-based policies, boundary and session
// policies
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
// A service principal (Principal.ARN such as "bedrock.amazonaws.com") belongs
// to no account, so it is never a caller from another account: a
// resource-based or trust policy that names it is enough.
//
// # Incomplete context
//
// A diagnosis evaluates policies without the real request, so it does not
// know every condition key AWS would see (aws:SourceVpce, aws:SourceIp, MFA
// keys, the current time, ...), and treating them as absent gives confident
// but wrong answers. An open request (Request.Open) evaluates with three
// values: a condition on a key that is neither in the context nor derivable
// from the principal is unknown (whatever its operator, IfExists and Null
// included), and so is a pattern that resolves a policy variable of such a
// key. Within a statement known-false beats unknown beats true. Statements
// left undecided are settled the most permissive way (undecided Allows
// apply, Denies do not) and the most restrictive way (the reverse); when the
// two disagree on whether the request is allowed, [Result.Undetermined] is
// set and [Result.DependsOn] names the keys, and likewise per type with
// [TypeResult.Undetermined]. Every other field of the result is exactly the
// closed evaluation's, unknown keys taken as absent. aws:PrincipalOrgID is
// known only when Principal.OrgID is set and aws:PrincipalTag/* only when
// Principal.Tags is non-nil; a context key with a nil slice is known to be
// absent.
//
// A policy variable without a value makes the pattern that holds it match
// nothing: a Resource entry does not match, a NotResource entry excludes
// nothing, StringEquals and StringLike values do not match and their
// negations do (reference_policies_variables.html, "Policy variables with no
// value"). Variables are substituted only after the fifth colon of an ARN.
//
// No policy short-circuits another: [Result.Blocked] lists every type that
// denied, explicitly or by a missing Allow that was required, so a diagnosis
// can name them all. Blocked and [Result.Types] use one fixed order: service
// control policy, resource control policy, VPC endpoint policy,
// resource-based (or role trust) policy, identity-based policy, permissions
// boundary, session policy.
package iampolicy
