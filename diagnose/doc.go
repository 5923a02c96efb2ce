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
//	model.resolve                   bedrock:GetFoundationModel / GetInferenceProfile in the region; for a provisioned model,
//	                                deployment or imported model GetProvisionedModelThroughput / GetCustomModelDeployment /
//	                                GetImportedModel and GetCustomModel on the custom model behind (its KMS key)
//	model-access.availability       bedrock:GetFoundationModelAvailability
//	key-policy.evaluate             kms:DescribeKey, GetKeyPolicy, ListGrants on the model's key + local evaluation of kms:Decrypt
//	key-policy.guardrail            bedrock:GetGuardrail, then the same for the guardrail's key
//
// A check that may not run is [StatusUnknown] with Needs naming the
// permission; it never fails the diagnosis.
//
// # Deciding
//
// The first rule: never confidently wrong. A check fails only on evidence
// that is complete for the request; where the outcome depends on something
// the diagnosis cannot know, the check is [StatusUnknown] and says what
// ("depends on aws:SourceVpce"), and the verdict is then "unknown" (or
// "assume-role") with candidates, never a named layer. A named layer is one
// that really denies; "none" only when every layer was checked and passed.
// Faults (throttling, 5xx, network, a 200 that lacks what is read) are never
// read as denials, and no fix policy ever drops a condition.
//
// The request context the diagnosis supplies to the simulator and to its
// own evaluation: aws:RequestedRegion (the client's region, each
// destination's region for an inference profile, "unspecified" for a global
// profile's region-less leg), bedrock:InferenceProfileArn, the principal's
// ARN, account and type, its tags where a read returned them
// (aws:PrincipalTag/*), and for AssumeRole what the app passes
// (sts:ExternalId, sts:RoleSessionName, sts:SourceIdentity, session tags as
// aws:RequestTag/* and aws:TagKeys, aws:MultiFactorAuthPresent with an MFA
// serial); for the kms:Decrypt Bedrock makes on a model's or guardrail's key,
// kms:ViaService (bedrock.REGION.amazonaws.com) and kms:CallerAccount. The
// encryption context Bedrock passes (kms:EncryptionContext:*) is not
// documented and is unknown. Every other key is unknowable from where the diagnosis stands:
// aws:SourceVpce, aws:SourceVpc, aws:SourceIp, aws:VpcSourceIp,
// aws:MultiFactorAuthAge, aws:CurrentTime, aws:EpochTime, aws:ViaAWSService,
// aws:CalledVia, aws:UserAgent, aws:SecureTransport, an organization id
// (aws:PrincipalOrgID, aws:ResourceOrgID) and tags no read returned. A
// decision that depends on one of them, and a simulator answer listing it
// among MissingContextValues, is unknown.
//
// Among decided checks, the layer is the first failing one in chain order
// ([Layers]), with three rules: a layer the error's own text proves is kept
// (the report explains this error); when the text leaves candidates, only a
// failing check among them decides; a refused AssumeRole stays
// "assume-role", with the sides that could not be cleared as candidates,
// until a check pins it. [Run], which has no denial to read, says "none"
// only when no layer is left that a check could not decide.
//
// # Storms
//
// A [Diagnoser] runs one diagnosis at a time per key (principal, role,
// action, denied resource, operation, model, region, and the layer the text
// gave), shares it
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
