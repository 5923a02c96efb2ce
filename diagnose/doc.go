// Package diagnose finds which layer of the AWS access chain denied a Bedrock
// call, with the evidence and the fix.
//
// # Reading an error
//
// [Explain] reads an error text alone (a Go SDK error string, a raw AWS
// message, a boto3 line, a JSON body, a CloudTrail errorMessage) and says what
// the text proves, with no AWS calls: the layer when the text decides it,
// otherwise "assume-role" or "unknown" with the candidate layers. Its one
// check is "message.parse". [ParseMessage] returns the parsed fields.
//
// # Checking
//
// [Run] (and, on a denial, the client's middleware through a [Diagnoser])
// runs read-only checks, each under the budget, as two concurrent chains:
// the source chain (who the base credentials are, and when the role could not
// be assumed, which side refuses) and the target chain (assume the role,
// resolve the model and its availability, then simulate the role's
// permissions on every ARN the call touches). The checks, by stable name:
//
//	credentials.source              sts:GetCallerIdentity with the base credentials
//	assume-role.call                sts:AssumeRole with the app's parameters (the client's cached credentials in the middleware)
//	source-policy.simulate          iam:SimulatePrincipalPolicy: may the source principal assume the role
//	trust-policy.evaluate           iam:GetRole in the target account + local evaluation of the trust policy
//	principal.match                 the denied call's signer against the configured role
//	role-permissions.simulate       iam:SimulatePrincipalPolicy on each ARN of the expansion (profile, each destination's model, guardrail)
//	role-permissions.evaluate       the role's policies and boundary read and evaluated locally on the same ARNs, naming deny statements
//	role-permissions.session-policy local evaluation of the session policy the app passes
//	model.resolve                   bedrock:GetFoundationModel / GetInferenceProfile in the region
//	model-access.availability       bedrock:GetFoundationModelAvailability
//
// A check that may not run is [StatusUnknown] with Needs naming the
// permission; it never fails the diagnosis.
//
// # Deciding
//
// The layer is the first failing one in chain order ([Layers]), with three
// rules: a layer the error's own text proves is kept (the report explains
// this error); when the text leaves candidates, only a failing check among
// them decides; a refused AssumeRole stays "assume-role", with the sides that
// could not be cleared as candidates, until a check pins it.
//
// # Storms
//
// A [Diagnoser] runs one diagnosis at a time per key (principal, role,
// action, operation, model, region, and the layer the text gave), shares it
// with every concurrent caller, caches it for Options.CacheTTL in a bounded
// LRU, and caps its AWS calls process-wide at Options.RateLimit per second.
// A caller whose context ends stops waiting at once with what the text
// says; the shared diagnosis ends within Options.Budget.
//
// # The error
//
// [Error] wraps the original error unchanged and adds the [Report]; its
// Error() is one line ending in "; diagnosis: <layer>: <summary>".
package diagnose
