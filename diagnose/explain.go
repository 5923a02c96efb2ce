package diagnose

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
)

// CheckMessageParse is the name of the check Explain reports: reading the
// error text.
const CheckMessageParse = "message.parse"

// maxQuoted caps how much of the AWS message a check's Detail repeats.
const maxQuoted = 512

// Explain says what an error text proves, from the text alone: no AWS calls.
// It accepts every form ParseMessage reads. It never returns nil and never
// panics; the report's Checks holds one "message.parse" check quoting the
// text.
//
// The rule it follows is the diagnosis' rule: a layer is claimed only when
// the text proves it. When the text leaves several layers open, Layer is
// LayerUnknown (or LayerAssumeRole for a failed role assumption) and
// Candidates lists them:
//
//   - an STS AssumeRole denial without a reason (the usual cross-account
//     form) is assume-role with candidates source-policy, trust-policy,
//     org-policy: STS gives one answer for all of them;
//   - an IAM denial without a reason suffix is unknown with candidates
//     role-permissions, org-policy, endpoint-policy: an identity policy, an
//     SCP or an endpoint policy all produce the bare form;
//   - "The provided model identifier is invalid.", "Model not found." and
//     "Could not resolve the foundation model from the provided model
//     identifier." are unknown with candidates model-id and region: AWS
//     returns them both for a wrong id and for a model not offered in the
//     region. They are region when the text shows both the model id and the
//     region the call went to (an endpoint host, a CloudTrail awsRegion) and
//     the id is a geographic inference profile (eu., apac., us., us-gov.,
//     jp., au.; not ca., whose spelling is unconfirmed) or a global one
//     that cannot be called from that region;
//   - an AssumeRoleWithWebIdentity or AssumeRoleWithSAML refused is
//     trust-policy: no IAM principal signs those calls, so no source policy
//     can be at fault; the role's trust policy, its identity provider or
//     the role's existence is. STS finding no OpenID Connect provider for
//     the token's issuer is trust-policy too; "Incorrect token audience" is
//     unknown with candidates credentials (the token the app asked for) and
//     trust-policy (the provider's audiences);
//   - a reason suffix naming an identity-based policy, a permissions
//     boundary or a session policy is role-permissions (on sts:AssumeRole:
//     source-policy); an SCP or RCP is org-policy; a VPC endpoint policy is
//     endpoint-policy; a role trust policy is trust-policy;
//   - an AssumeRole on an IAM ARN that is not a role (a user's ARN passed as
//     RoleArn) is trust-policy: no such role exists; the root user assuming
//     a role is credentials.
//
// Legacy and end-of-life model texts are model-id: the fix is another model
// id (the Bedrock message itself says "Please upgrade to an active model").
// So are a model id that fails the API's pattern, a model the operation
// does not support (streaming included), a model that needs an inference
// profile ("Cross region inference is required for this model" included)
// and a guardrail identifier Bedrock does not know. Account-level gates (the
// use-case form, however wrapped; a data retention mode the model may not be
// served under; explicit prompt caching not enabled; a model not available
// for the account) are model-access.
//
// Texts that are not about access (throttling, quotas, service faults, a bad
// request body, no network) get LayerUnknown, NotAccess set and a Summary
// starting "not an access denial:"; Message.Kind tells callers such as the
// client middleware to leave those errors alone.
func Explain(text string) *Report {
	return explainMessage(ParseMessage(text))
}

// explainCall is Explain on an already parsed text completed with what the
// client knows about the failed call: the region it called and the model id
// it passed, where the text does not show them (SDK error strings never
// do). The region decides, with no AWS call, a geographic inference profile
// called from outside its geography.
// roleARN, the role the app means to use, gives a session's role its path,
// which session ARNs drop: a fix names the role as IAM knows it.
func explainCall(m Message, region, modelID, roleARN string) *Report {
	if m.Region == "" {
		m.Region = region
	}
	if m.ModelID == "" {
		m.ModelID = modelID
	}
	return explainWith(m, roleARN)
}

// explainMessage is Explain on an already parsed text.
func explainMessage(m Message) *Report { return explainWith(m, "") }

func explainWith(m Message, roleARN string) *Report {
	r := &Report{SchemaVersion: SchemaVersion, Layer: LayerUnknown, Checks: []Check{}}
	e := explainer{m: &m, r: r, appRole: roleARN}
	e.identities()
	e.decide()
	status := StatusFail
	if r.Layer == LayerUnknown {
		status = StatusUnknown
	}
	r.Checks = append(r.Checks, Check{
		Name:   CheckMessageParse,
		Layer:  r.Layer,
		Status: status,
		Detail: e.detail(),
	})
	return r
}

type explainer struct {
	m *Message
	r *Report

	principal, resource arn.ARN
	principalOK         bool
	resourceOK          bool
	note                string // a sentence appended to the fix: cross-region, global leg
	appRole             string // the role the app means to use, with its path; "" unknown
}

// sessionRole is the role behind the text's principal when it is a session:
// the app's role with its path when the session is one of it, else the
// path-less role the session ARN names; "" for other principals.
func (e *explainer) sessionRole() string {
	if !e.principalOK {
		return ""
	}
	role := roleOfSession(e.principal)
	if role != "" && e.appRole != "" && SessionOfRole(e.m.Principal, e.appRole) {
		return e.appRole
	}
	return role
}

// identities fills the report's who/what/where from the parsed message.
func (e *explainer) identities() {
	m, r := e.m, e.r
	r.Principal, r.Action, r.Resource = m.Principal, m.Action, m.Resource
	r.Operation, r.RequestID, r.ModelID = m.Operation, m.RequestID, m.ModelID
	if a, err := arn.Parse(m.Principal); err == nil {
		e.principal, e.principalOK = a, true
	}
	if a, err := arn.Parse(m.Resource); err == nil {
		e.resource, e.resourceOK = a, true
	}
	if e.resourceOK && e.resource.Service == "bedrock" {
		r.Region = e.resource.Region
	}
	if r.Region == "" {
		r.Region = m.Region
	}
	if m.AssumeRole {
		if e.principalOK {
			r.SourceAccount = e.principal.AccountID
		}
		if e.resourceOK && e.resource.Service == "iam" && strings.HasPrefix(e.resource.Resource, "role/") {
			r.RoleARN = m.Resource
			r.TargetAccount = e.resource.AccountID
		}
		return
	}
	if e.principalOK {
		r.TargetAccount = e.principal.AccountID
		r.RoleARN = e.sessionRole()
	}
}

// roleOfSession returns the role ARN of an assumed-role session ARN
// (arn:aws:sts::A:assumed-role/R/S → arn:aws:iam::A:role/R). The session ARN
// carries no role path, so neither does the result.
func roleOfSession(a arn.ARN) string {
	if a.Service != "sts" {
		return ""
	}
	rest, ok := strings.CutPrefix(a.Resource, "assumed-role/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	if name == "" {
		return ""
	}
	return "arn:" + a.Partition + ":iam::" + a.AccountID + ":role/" + name
}

func (e *explainer) decide() {
	m, r := e.m, e.r
	switch m.Kind {
	case KindIAMDenied:
		if m.AssumeRole {
			e.assumeRoleDenied()
		} else {
			e.callDenied()
		}
	case KindAccessDenied:
		if m.AssumeRole {
			e.assumeRoleDenied()
			return
		}
		e.set(LayerUnknown, []Layer{LayerRolePermissions, LayerOrgPolicy, LayerEndpointPolicy, LayerModelAccess},
			"access denied"+e.by()+", and the text does not say by which policy or gate",
			"Run the checks (bedrock-doctor check) to find the layer; the text alone does not name it.")

	case KindAsyncOutput:
		e.asyncOutput() // routed.go
	case KindRootAssumeRole:
		e.set(LayerCredentials, nil,
			"the base credentials are an account's root user, and roles may not be assumed by root accounts",
			"Use the credentials of an IAM user or role in the source account to assume the role, not the root user's access keys.")
	case KindExpiredToken:
		e.set(LayerCredentials, nil, "the base credentials' session token has expired"+e.inAssume(),
			"Refresh the base credentials (aws sso login, a new web identity token, or the role that issued them); static session credentials cannot refresh themselves.")
	case KindInvalidToken:
		e.set(LayerCredentials, nil, "the access key id or session token is not recognised"+e.inAssume(),
			"Check the base credentials: the access key id and session token must belong together and to an active key in this partition (AWS_ACCESS_KEY_ID, AWS_SESSION_TOKEN, the profile); for an opt-in region the region must be enabled for the account that owns them.")
	case KindSignature:
		e.set(LayerCredentials, nil, "the request signature does not verify: the secret key does not match the access key id"+e.inAssume(),
			"Check AWS_SECRET_ACCESS_KEY (or the profile's aws_secret_access_key) for a wrong, truncated or padded value; rotate the key pair if in doubt.")
	case KindClockSkew:
		e.set(LayerCredentials, nil, "the request was signed with a clock outside AWS's 5-minute window"+e.inAssume(),
			"Synchronise the machine's clock (NTP); SigV4 signatures are only valid within minutes of AWS's time.")
	case KindNoCredentials:
		summary, fix := "the SDK found no usable base credentials", "Provide base credentials: a profile, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or an attached role (instance profile, ECS task role, EKS Pod Identity or IRSA) reachable from this process."
		if p := credentialProvider(m.Text); p != "" {
			summary = "the SDK could not get base credentials from its " + p + " provider"
			if f, ok := providerFix[p]; ok {
				fix = f
			}
		}
		if strings.Contains(asciiLower(m.Text), "response did not contain") {
			summary += ": the credential source answered without a complete set of credentials"
			fix = "Check the credential source the SDK uses: for an instance role behind IMDSv2 in a container, raise the instance's metadata hop limit to 2 (or give the container its own role); for a container or Pod Identity agent, that its endpoint and token are reachable; for a credential_process, that it prints AccessKeyId, SecretAccessKey, SessionToken and Expiration. Or provide credentials another way (a profile, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)."
		}
		e.set(LayerCredentials, nil, summary, fix)
	case KindSSOExpired:
		e.set(LayerCredentials, nil, "the IAM Identity Center (SSO) token has expired or is invalid",
			"Run aws sso login for the profile the app uses, then retry.")
	case KindBearerKeyInvalid, KindBearerKeyNotBedrock:
		e.bearerKey() // bearer.go
	case KindMissingAuthentication:
		e.set(LayerCredentials, nil, "the request reached AWS with no credentials at all: neither a SigV4 signature nor a Bedrock API key (bearer token) in its Authorization header",
			"Give the client credentials it actually sends: set AWS_BEARER_TOKEN_BEDROCK to a Bedrock API key (and use a client version that sends it), or provide IAM credentials so it signs with SigV4; check that no proxy or gateway between the app and AWS strips the Authorization header.")
	case KindIdentityProviderMissing:
		e.set(LayerTrustPolicy, nil, "STS found no OpenID Connect identity provider for the web identity token's issuer in the account of the role"+e.roleText()+": the role's side (its identity-provider configuration), not the app's token",
			"In the account that owns the role, create the IAM OIDC identity provider for the token's issuer URL (for EKS: the cluster's OIDC issuer, e.g. eksctl utils associate-iam-oidc-provider; for GitHub Actions: https://token.actions.githubusercontent.com), matching the token's iss exactly, with the token's audience in its client id list; or pass the ARN of a role in the account that has that provider.")
	case KindTokenAudience:
		e.set(LayerUnknown, []Layer{LayerCredentials, LayerTrustPolicy}, "STS refused the web identity token"+e.roleText()+" because its audience (aud) is not one the account's OpenID Connect provider lists",
			"Either the app asks its identity provider for a token with the wrong audience (the usual one for AWS is sts.amazonaws.com; for EKS IRSA the projected token's audience), or the IAM OIDC provider's client id list in the role's account lacks the audience the token carries: compare the token's aud claim with that list, and fix whichever side is wrong.")

	case KindRoleChainingDuration:
		e.set(LayerAssumeRole, nil, "the requested session duration is over the 1-hour limit of role chaining"+e.roleText(),
			"The base credentials are themselves a role session, which caps DurationSeconds at 3600: set the AssumeRole duration (stscreds AssumeRoleOptions.Duration) to 1 hour or less.")
	case KindMaxSessionDuration:
		e.set(LayerAssumeRole, nil, "the requested session duration is over the role's MaxSessionDuration"+e.roleText(),
			"Lower the AssumeRole duration (stscreds AssumeRoleOptions.Duration; the SDK default is 15 minutes) or raise the role's MaxSessionDuration (up to 12 hours) in the target account.")
	case KindMFAFailed:
		e.set(LayerAssumeRole, []Layer{LayerTrustPolicy, LayerSourcePolicy},
			"STS refused the role assumption"+e.roleText()+" for its MFA: the role's trust policy (aws:MultiFactorAuthPresent) or a policy of the source principal requires MFA, and the call did not carry a valid MFA serial number and one-time code",
			"Pass both the MFA device's serial number and a current one-time code with the AssumeRole call (stscreds AssumeRoleOptions.SerialNumber and TokenProvider), or, if MFA is not meant to be required for this app, change the trust policy's or the source policy's MFA condition.")
	case KindAssumeRoleInvalid:
		if mfaCodeMissing(m.Text) {
			e.set(LayerAssumeRole, nil, "the role assumption"+e.roleText()+" could not run: it requires MFA (the profile's mfa_serial, or AssumeRoleOptions.SerialNumber) and the app gave the SDK no way to get a one-time code, so no AssumeRole call was made",
				"Give the SDK an MFA token provider (Go: stscreds AssumeRoleOptions.TokenProvider, or config.WithAssumeRoleCredentialOptions for a shared-config profile; JS v3: mfaCodeProvider), or, for an app that runs unattended and cannot type a code, use a role or profile that does not require MFA (no mfa_serial, and no aws:MultiFactorAuthPresent condition in the role's trust policy).")
			break
		}
		e.set(LayerAssumeRole, nil, "STS rejected the AssumeRole request itself"+e.roleText()+" as invalid (a malformed role ARN, session name, external id, tags or policy): the app's configuration, not its credentials",
			"Correct the AssumeRole parameters the app passes (the role ARN is arn:PARTITION:iam::ACCOUNT:role/NAME; session names are 2–64 characters of [\\w+=,.@-]); the text names the field.")
	case KindRegionDisabled:
		e.set(LayerRegion, nil, "STS is not activated in this region for the account",
			"Activate the region's STS endpoint (IAM console, Account settings) or point STS at a region where it is active (us-east-1 cannot be deactivated).")

	case KindMarketplace:
		e.set(LayerModelAccess, nil, "the model's AWS Marketplace subscription could not be completed"+e.forAccount()+e.principalNote(),
			"Let the principal that invokes the model subscribe once: allow aws-marketplace:ViewSubscriptions and aws-marketplace:Subscribe (only the first use of a Marketplace model in the account needs them), or have an administrator enable the model; AWS asks to retry a few minutes after the fix.")
		// The actions the text names, no more.
		r.FixPolicy = policyJSON(statement{Effect: "Allow", Action: marketplaceActions, Resource: []string{"*"}})
	case KindUseCaseForm:
		e.set(LayerModelAccess, nil, "the Anthropic use-case form has not been submitted for the account",
			"Submit the Anthropic first-time-use form for the account that owns the role (Bedrock console, or PutUseCaseForModelAccess), once per account or in the organization's management account; AWS says to retry up to 15 minutes later.")
	case KindDataRetention:
		e.set(LayerModelAccess, nil, "the account's Bedrock data retention mode is not one this model may be served under"+e.forAccount()+" (an account-level setting, not a request parameter)",
			"Set the data retention mode the model requires for the account, or for a Bedrock project the app uses, in the region the client calls (bedrock PutAccountDataRetention; the model card lists the modes the model allows), or use a model that allows the account's current mode.")
	case KindPromptCachingAccess:
		e.set(LayerModelAccess, nil, "the account is not enabled for explicit prompt caching"+e.forAccount(),
			"Remove the cache points (cachePoint / cache_control) from the request, or ask AWS to enable prompt caching for the account and model in the region the client calls.")
	case KindModelAccessDenied, KindAccountNotAuthorized, KindModelNotAvailable:
		e.set(LayerModelAccess, nil, "the model is not enabled for the account"+e.where()+" (Bedrock: "+shortKind(m.Kind)+")",
			"Enable the model for the account in the region the client calls (Bedrock model catalog or CreateFoundationModelAgreement), or call the region where access was granted; access is per account and region.")

	case KindOperationNotAllowed:
		e.set(LayerUnknown, []Layer{LayerModelAccess}, "Bedrock refused the operation for the account without saying why (\"Operation not allowed\")",
			"Check that the account may use Bedrock and this model in the region (model access, account-level restrictions); run the checks for the model's availability.")
	case KindLegacyModel:
		e.set(LayerModelID, nil, "the model"+e.modelText()+" is retired for this account (the provider marked it Legacy, and the account has not used it recently)",
			"Switch the model id to an active model; Bedrock's lifecycle page lists the replacement.")
	case KindEndOfLife:
		e.set(LayerModelID, nil, "the model version"+e.modelText()+" has reached its end of life: Bedrock no longer serves it to any account",
			"Switch the model id to an active model; Bedrock's lifecycle page lists the replacement.")
	case KindOnDemandUnsupported:
		e.onDemand()
	case KindModelUnsupported:
		summary := "the model" + e.modelText() + " does not support this operation"
		if strings.Contains(asciiLower(m.Text), "unsupported for streaming") {
			summary = "the model" + e.modelText() + " does not support streaming, and the call is a streaming one (ConverseStream, InvokeModelWithResponseStream)"
		}
		e.set(LayerModelID, nil, summary,
			"Use a model this operation supports (for Converse, a text or chat model; for a streaming operation, a model that streams), or call an operation the model supports (InvokeModel or Converse instead of their streaming forms).")
	case KindModelIDMalformed:
		e.set(LayerModelID, nil, "the model identifier"+e.modelText()+" does not have the form of a Bedrock model id, inference profile id or ARN, so no region offers it",
			"Pass the model id exactly as ListFoundationModels or ListInferenceProfiles gives it (provider.model-version[:n], a profile id such as us.provider.model, or a full ARN); context-window suffixes such as :200k and friendly names are not model ids.")
	case KindGuardrailInvalid:
		e.set(LayerModelID, nil, "Bedrock does not know the guardrail identifier (or version) the call passes"+e.where()+": guardrails belong to one account and region",
			"Pass the id or ARN and version of a guardrail that exists in the account and region the client calls (ListGuardrails there), or pass no guardrail; a placeholder value in the configuration is the usual cause.")
	case KindInvalidModelID, KindModelNotFound, KindModelUnresolved:
		if e.geoMismatch() {
			break
		}
		e.set(LayerUnknown, []Layer{LayerModelID, LayerRegion}, "Bedrock does not know the model identifier"+e.modelText()+e.where()+": either the id is wrong (model-id) or the model is not offered in that region (region)",
			"Compare the id with ListFoundationModels and ListInferenceProfiles in the client's region: a typo, a retired id or a missing inference-profile prefix is fixed in the id; a model not offered there needs another region.")

	case KindThrottling, KindQuota, KindServerError, KindValidation, KindNetwork:
		what := m.Code
		if what == "" {
			what = string(m.Kind)
		}
		e.set(LayerUnknown, nil, "not an access denial: "+what, "Nothing to fix in access: this error is about "+notAccessAbout[m.Kind]+".")
		r.NotAccess = true
	default:
		e.set(LayerUnknown, nil, "nothing recognised in the text", "Pass the full error text (the Go SDK error string, the AWS message or the JSON body).")
	}
}

var notAccessAbout = map[MessageKind]string{
	KindThrottling:  "request or token rate (retry with backoff, or ask for a higher quota)",
	KindQuota:       "a service quota",
	KindServerError: "a service-side fault (retry later)",
	KindValidation:  "the request itself (its body or parameters)",
	KindNetwork:     "reaching AWS at all (DNS, proxy, connectivity, or a deadline that ended the call)",
}

func shortKind(k MessageKind) string {
	switch k {
	case KindAccountNotAuthorized:
		return "your account is not authorized to invoke this API operation"
	case KindModelNotAvailable:
		return "model not available for this account"
	}
	return "you don't have access to the model"
}

func (e *explainer) set(l Layer, cands []Layer, summary, fix string) {
	e.r.Layer, e.r.Candidates, e.r.Summary, e.r.Fix = l, cands, summary, fix
}

// forAccount names the target account when the text gives it.
func (e *explainer) forAccount() string {
	if e.r.TargetAccount == "" {
		return ""
	}
	return " for account " + e.r.TargetAccount
}

// principalNote names the principal in parentheses when the text gives one.
func (e *explainer) principalNote() string {
	if e.m.Principal == "" {
		return ""
	}
	return " (principal " + e.m.Principal + ")"
}

// by names the principal when the text gives one: " for <principal>".
func (e *explainer) by() string {
	if e.m.Principal == "" {
		return ""
	}
	return " for " + e.m.Principal
}

func (e *explainer) inAssume() string {
	if e.m.AssumeRole {
		return " (while assuming the role)"
	}
	return ""
}

func (e *explainer) roleText() string {
	if e.r.RoleARN != "" {
		return " of " + e.r.RoleARN
	}
	return ""
}

func (e *explainer) where() string {
	switch {
	case e.r.TargetAccount != "" && e.r.Region != "":
		return " " + e.r.TargetAccount + " in " + e.r.Region
	case e.r.TargetAccount != "":
		return " " + e.r.TargetAccount
	case e.r.Region != "":
		return " in " + e.r.Region
	}
	return ""
}

// assumeRoleDenied explains an AccessDenied on sts:AssumeRole (or TagSession,
// SetSourceIdentity) from the source principal.
func (e *explainer) assumeRoleDenied() {
	m, r := e.m, e.r
	who := valueOr(m.Principal, "the caller")
	if r.SourceAccount != "" {
		who += " (account " + r.SourceAccount + ")"
	}
	role := valueOr(m.Resource, "the role")
	if r.TargetAccount != "" {
		role += " (account " + r.TargetAccount + ")"
	}
	action := m.Action
	if action == "" {
		action = "sts:AssumeRole"
	}
	if e.principalOK && e.principal.Service == "iam" && e.principal.Resource == "root" {
		e.set(LayerCredentials, nil, "the base credentials are the root user of account "+e.principal.AccountID+", and root cannot assume roles",
			"Use the credentials of an IAM user or role in the source account to assume the role, not the root user's access keys.")
		return
	}
	if e.resourceOK && e.resource.Service == "iam" && !strings.HasPrefix(e.resource.Resource, "role/") {
		// STS names the RoleArn it was given: an IAM ARN that is not a role
		// (a user, a policy) can never be assumed, whatever the policies say.
		e.set(LayerTrustPolicy, nil, fmt.Sprintf("%s is not a role ARN, so no role by that name can be assumed (%s was denied %s)", m.Resource, who, action),
			"Pass the ARN of the role to assume (arn:"+e.resource.Partition+":iam::ACCOUNT:role/NAME), not "+m.Resource+".")
		return
	}
	switch m.PolicyType {
	case PolicySCP, PolicyRCP:
		e.set(LayerOrgPolicy, nil, e.orgDenies(action+" on "+role, who),
			"Ask the organization's administrators to exempt this role assumption from the "+policyName(m)+e.policyRef()+".")
	case PolicyIdentity, PolicyPermissionBoundary, PolicySession:
		e.set(LayerSourcePolicy, nil, e.denies(who, action+" on "+role), e.sourceFix(action))
	case PolicyTrust, PolicyResource:
		e.set(LayerTrustPolicy, nil, fmt.Sprintf("the trust policy of %s does not accept %s for %s", role, who, action),
			"Add the source principal to the role's trust policy in the target account (with the conditions the app meets: external id, tags, source identity).")
		if p := e.trustPrincipal(); p != "" {
			r.FixPolicy = policyJSON(statement{Effect: "Allow", Principal: p, Action: trustActions(action)})
		}
	case PolicyVPCEndpoint:
		e.set(LayerEndpointPolicy, nil, fmt.Sprintf("a VPC endpoint policy denies %s on %s for %s", action, role, who),
			"Allow the role assumption in the STS VPC endpoint's policy, or call STS outside that endpoint.")
	default:
		federated := action == "sts:AssumeRoleWithWebIdentity" || action == "sts:AssumeRoleWithSAML"
		if federated && m.PolicyType == "" {
			e.federatedDenied(action, role)
			return
		}
		cands := []Layer{LayerSourcePolicy, LayerTrustPolicy, LayerOrgPolicy}
		fix := "Either the source principal's policies do not allow " + action + " on the role, the role's trust policy does not accept the principal (or a condition such as the external id fails, or the role does not exist), or an SCP/RCP denies it; run the checks to tell which."
		switch {
		case federated:
			// A reason this reader does not know: no source policy (no IAM
			// principal signs these calls), but not provably the trust
			// policy either.
			cands = []Layer{LayerTrustPolicy, LayerOrgPolicy}
			fix = "Either the role's trust policy does not accept the token (its identity provider, audience or subject conditions, or the role does not exist), or an RCP denies it; run the checks to tell which."
		case action == "sts:TagSession" || action == "sts:SetSourceIdentity":
			fix = "The assumption carries session tags or a source identity (set by the app, or inherited through role chaining): the role's trust policy must allow " + action + " for the principal, and so must the principal's own policies when it crosses accounts or chains roles; an SCP/RCP may also deny it. Run the checks to tell which."
		}
		e.set(LayerAssumeRole, cands,
			fmt.Sprintf("%s may not %s %s, and STS does not say which side refused", who, assumeVerb(action), role), fix)
	}
}

// federatedDenied explains a refused AssumeRoleWithWebIdentity or
// AssumeRoleWithSAML. No IAM principal signs these calls (the caller holds
// only a token or an assertion), so no source policy and no SCP of a
// source account can be at fault: the role's side refused, by its trust
// policy (the Federated principal, the aud/sub or SAML:aud conditions), by
// not existing, or by the identity provider it names. An RCP on the role
// could give the same bare answer; the fix says so.
func (e *explainer) federatedDenied(action, role string) {
	what, principal := "the web identity token", "{\"Federated\": \"arn:PARTITION:iam::ACCOUNT:oidc-provider/ISSUER\"} for the token's issuer, Action sts:AssumeRoleWithWebIdentity, and conditions on ISSUER:aud and ISSUER:sub that the token meets (for EKS IRSA, sub is system:serviceaccount:NAMESPACE:NAME)"
	if action == "sts:AssumeRoleWithSAML" {
		what, principal = "the SAML assertion", "{\"Federated\": \"arn:PARTITION:iam::ACCOUNT:saml-provider/NAME\"} for the identity provider that signed the assertion, Action sts:AssumeRoleWithSAML, and a SAML:aud condition the assertion meets; the assertion must name this role and provider pair"
	}
	e.set(LayerTrustPolicy, nil,
		fmt.Sprintf("STS refused %s for %s: no IAM principal signs %s, so the refusal is the role's side (its trust policy or the identity provider it trusts), or the role does not exist", what, role, action),
		"In the account that owns the role, check that the role exists under the ARN the app passes (AWS_ROLE_ARN, role_arn) and that its trust policy allows Principal "+principal+". If the trust policy is right, a resource control policy (RCP) of the role's organization may deny "+action+".")
}

// providerFix is what to check for each botocore credential provider.
var providerFix = map[string]string{
	"custom-process":          "The profile's credential_process failed or returned expired credentials: refresh whatever it wraps (aws sso login, the vendor's login command) and check that it runs on its own and prints unexpired credentials; or provide credentials another way.",
	"iam-role":                "The instance role's credentials could not be read from the instance metadata service: check that the instance has a role attached and, behind IMDSv2 in a container, that the metadata hop limit is 2; or provide credentials another way.",
	"container-role":          "The container credentials endpoint (ECS task role, EKS Pod Identity) did not give credentials: check the task or pod's role association and that AWS_CONTAINER_CREDENTIALS_FULL_URI / RELATIVE_URI and the authorization token file are reachable.",
	"assume-role":             "The profile's source credentials or its role could not be used: check the source_profile (or credential_source) works on its own, then the role it assumes.",
	"web-identity":            "The web identity token file (AWS_WEB_IDENTITY_TOKEN_FILE) could not be read or exchanged: check the file exists and is current, and that AWS_ROLE_ARN names a role that trusts the token's issuer.",
	"sso":                     "Run aws sso login for the profile the app uses, then retry.",
	"env":                     "Check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN in the process's environment.",
	"shared-credentials-file": "Check the profile's keys in ~/.aws/credentials (or AWS_SHARED_CREDENTIALS_FILE).",
}

// credentialProvider names the botocore credential provider of "Error when
// retrieving credentials from <provider>:" (iam-role, container-role,
// custom-process, ...), "" when the text has none.
func credentialProvider(text string) string {
	const k = "error when retrieving credentials from "
	i := strings.Index(asciiLower(text), k)
	if i < 0 {
		return ""
	}
	p := strings.TrimRight(token(text[i+len(k):]), ":")
	if p == "" || len(p) > 40 || strings.ContainsRune(p, ':') {
		return ""
	}
	return p
}

// mfaCodeMissing reports the SDKs' refusal to send an AssumeRole that needs
// an MFA code they have no way to get.
func mfaCodeMissing(text string) bool {
	lower := asciiLower(text)
	return strings.Contains(lower, "no mfa code callback") || strings.Contains(lower, "assume role with mfa enabled, but") ||
		strings.Contains(lower, "token provider required for assumerole with mfa")
}

// geoMismatch decides a model identifier Bedrock does not know as region
// when the id is a geographic inference profile whose geography does not
// serve the region the call went to: both read from the text (or the
// client), so no AWS call is needed. It reports whether it decided.
func (e *explainer) geoMismatch() bool {
	id, err := bedrockid.Parse(e.m.ModelID)
	if err != nil || id.GeoPrefix == "" || !confirmedGeo(id.GeoPrefix) {
		return false
	}
	region := e.m.Region
	if region == "" {
		region = id.Region // the region of a profile ARN
	}
	if !isRegion(region) || bedrockid.ProfileServesRegion(id.GeoPrefix, region) {
		return false
	}
	e.r.Region = region
	if id.GeoPrefix == "global" {
		e.set(LayerRegion, nil, "the global inference profile "+e.m.ModelID+" is not offered in "+region+" (the region the call went to): global profiles serve commercial regions only",
			"Call the model in "+region+" by a model id or profile offered there (ListFoundationModels, ListInferenceProfiles), or call the global profile from a commercial region.")
		return true
	}
	// Not every model has a profile in every geography: name none the
	// text cannot vouch for, say where to find one.
	fix := "Use an inference profile of the client's geography for the model (bedrock:ListInferenceProfiles in " + region + " lists the profiles offered there)"
	fix += ", or call a region of the " + id.GeoPrefix + ". geography; a geographic profile can only be called from the regions of its geography."
	e.set(LayerRegion, nil, "the inference profile "+e.m.ModelID+" belongs to the "+id.GeoPrefix+". geography, which does not serve "+region+" (the region the call went to)", fix)
	return true
}

// confirmedGeo reports a profile prefix whose geography is documented or
// observed; a prefix bedrockid marks UNCONFIRMED ("ca.") might not exist at
// all, and then the id, not the region, would be wrong.
func confirmedGeo(prefix string) bool {
	for _, g := range bedrockid.GeoPrefixes {
		if g.Prefix == prefix {
			return !strings.HasPrefix(g.Source, "UNCONFIRMED")
		}
	}
	return false
}

// modelText names the model the text (or the client) gives, in parentheses.
func (e *explainer) modelText() string {
	if e.m.ModelID == "" {
		return ""
	}
	return " (" + e.m.ModelID + ")"
}

// assumeVerb renders an STS action as the verb of a sentence.
func assumeVerb(action string) string {
	switch action {
	case "sts:AssumeRoleWithWebIdentity":
		return "assume (with a web identity token)"
	case "sts:AssumeRoleWithSAML":
		return "assume (with SAML)"
	case "sts:TagSession":
		return "pass session tags to"
	case "sts:SetSourceIdentity":
		return "set a source identity on"
	}
	return "assume"
}

func valueOr(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func trustActions(action string) []string {
	if action == "sts:AssumeRole" {
		return []string{action}
	}
	return []string{"sts:AssumeRole", action}
}

// trustPrincipal is the principal a trust policy names for the denied
// caller: a session's role, else the principal ARN itself.
func (e *explainer) trustPrincipal() string {
	if !e.principalOK {
		return ""
	}
	if role := e.sessionRole(); role != "" {
		return role
	}
	return e.m.Principal
}

func (e *explainer) sourceFix(action string) string {
	fix := "Allow " + action + " on the role in the source principal's " + policyName(e.m) + "."
	if e.m.Explicit {
		return "Remove or narrow the Deny for " + action + " in the source principal's " + policyName(e.m) + e.policyRef() + "."
	}
	if e.m.Resource != "" {
		e.r.FixPolicy = policyJSON(statement{Effect: "Allow", Action: []string{action}, Resource: nonEmpty(e.m.Resource)})
	}
	return fix
}

// callDenied explains an IAM denial of the Bedrock (or any non-STS) call.
func (e *explainer) callDenied() {
	if e.keyText() || e.ownedKindText() { // keys.go, modelkinds.go
		return
	}
	m := e.m
	who := valueOr(m.Principal, "the caller")
	if e.r.TargetAccount != "" {
		who += " (account " + e.r.TargetAccount + ")"
	}
	if isBearerAction(m.Action) {
		e.bearerDenied() // bearer.go
		return
	}
	if apiKeyUser(m.Principal) {
		who += ", the IAM user of a long-term Bedrock API key,"
	}
	what := m.Action
	if m.Resource != "" {
		what += " on " + m.Resource
	}
	e.crossRegionNote()
	switch m.PolicyType {
	case PolicyIdentity, PolicyPermissionBoundary, PolicySession:
		e.set(LayerRolePermissions, nil, e.denies(who, what), e.permissionsFix())
	case PolicySCP, PolicyRCP:
		fix := "Ask the organization's administrators to change the " + policyName(m) + e.policyRef() + " so it allows " + m.Action + " on this resource"
		if e.isModelLeg() {
			fix += " (a region deny must allow every destination region of the inference profile, and \"unspecified\" for global profiles)"
		}
		e.set(LayerOrgPolicy, nil, e.orgDenies(what, who), fix+"."+e.noteText())
	case PolicyVPCEndpoint:
		e.set(LayerEndpointPolicy, nil, fmt.Sprintf("a VPC endpoint policy denies %s for %s", what, who),
			"Allow "+m.Action+" on the resource in the Bedrock VPC endpoint's policy (the network owner's change), or call Bedrock outside that endpoint.")
	default:
		summary := fmt.Sprintf("%s may not call %s, and the text names no policy type", who, what)
		if m.PolicyType != "" {
			summary = fmt.Sprintf("%s may not call %s (denied by a policy the text names as %q)", who, what, string(m.PolicyType))
		}
		e.set(LayerUnknown, []Layer{LayerRolePermissions, LayerOrgPolicy, LayerEndpointPolicy}, summary,
			e.holderPolicies()+", an SCP or a VPC endpoint policy may deny "+m.Action+"; run the checks to tell which."+e.noteText())
	}
	if m.Via != "" {
		e.r.Candidates = []Layer{e.r.Layer, layerOfPolicy(m.Via)}
		e.r.Layer = LayerUnknown
		e.r.Summary += " (transitively through a " + policyNameOf(m.Via) + ")"
	}
}

func layerOfPolicy(t PolicyType) Layer {
	switch t {
	case PolicySCP, PolicyRCP:
		return LayerOrgPolicy
	case PolicyVPCEndpoint:
		return LayerEndpointPolicy
	case PolicyTrust:
		return LayerTrustPolicy
	case PolicyIdentity, PolicyPermissionBoundary, PolicySession:
		return LayerRolePermissions
	}
	return LayerUnknown
}

func (e *explainer) permissionsFix() string {
	m := e.m
	where := "the role's identity policy (in the target account)"
	owner := "the role"
	if p := e.trustPrincipal(); p != "" && e.principalOK {
		// The principal the text names: a session's role, or the user.
		owner = p
		where = fixPlace{kind: placeIdentity, principal: p}.String()
	}
	if apiKeyUser(m.Principal) {
		where = "the identity policy of " + m.Principal + " (the IAM user of the long-term Bedrock API key)"
	}
	switch m.PolicyType {
	case PolicySession:
		where = "the session policy the app passes when it assumes the role (stscreds AssumeRoleOptions.Policy / PolicyARNs)"
	case PolicyPermissionBoundary:
		where = "the permissions boundary of " + owner
	}
	if m.Explicit {
		return "Remove or narrow the Deny for " + m.Action + " in " + where + e.policyRef() + "." + e.noteText()
	}
	if m.Action != "" {
		res := m.Resource
		if res == "" {
			res = "*"
		}
		e.r.FixPolicy = policyJSON(statement{Effect: "Allow", Action: []string{m.Action}, Resource: nonEmpty(res)})
		e.r.FixPlace = where
	}
	fix := "Allow " + m.Action + " on the resource in " + where
	if e.r.FixPolicy != "" {
		// The text alone reads no policy: an Allow that exists under a
		// Condition the call does not meet must not be bypassed.
		fix += unreadCaveat("that policy", m.Action)
	}
	fix += "."
	switch {
	case e.note != "" || !e.resourceOK:
	case strings.HasPrefix(e.resource.Resource, "foundation-model/"):
		fix += " If the call goes through an inference profile, allow the profile ARN and the foundation model in every destination region too (arn:" + e.resource.Partition + ":bedrock:*::" + e.resource.Resource + " covers them, including the region-less global ARN)."
	case strings.HasPrefix(e.resource.Resource, "inference-profile/"):
		if id, err := bedrockid.Parse(m.Resource); err == nil && id.BaseModelID != "" {
			fix += " The profile also needs its foundation model allowed in every destination region (" + bedrockid.FoundationModelARN(e.resource.Partition, "*", id.BaseModelID) + ", and for a global profile the region-less " + bedrockid.FoundationModelARN(e.resource.Partition, "", id.BaseModelID) + ")."
		}
	}
	return fix + e.noteText()
}

// isModelLeg reports whether the denied resource is a foundation model in
// another region than the call, or the region-less global model ARN: the
// signature of a cross-region inference leg.
func (e *explainer) isModelLeg() bool {
	return e.resourceOK && e.resource.Service == "bedrock" && strings.HasPrefix(e.resource.Resource, "foundation-model/") &&
		(e.resource.Region == "" || (e.m.Region != "" && e.m.Region != e.resource.Region))
}

func (e *explainer) crossRegionNote() {
	if !e.isModelLeg() {
		return
	}
	if e.resource.Region == "" {
		e.note = "The denied resource is the region-less global foundation-model ARN: a global inference profile routed the request, and policies must allow that ARN (aws:RequestedRegion is \"unspecified\" on that leg)."
		return
	}
	e.note = "The denied resource is the foundation model in " + e.resource.Region + " while the call went to " + e.m.Region + ": a cross-region inference destination, which must be allowed too (denials there are intermittent)."
}

func (e *explainer) noteText() string {
	if e.note == "" {
		return ""
	}
	return " " + e.note
}

// orgDenies says an organization policy denies what for who.
func (e *explainer) orgDenies(what, who string) string {
	name := policyName(e.m)
	if e.m.Explicit {
		return withArticle(name) + " explicitly denies " + what + " for " + who + e.policyRef()
	}
	return "no " + name + " allows " + what + " for " + who
}

func (e *explainer) policyRef() string {
	if e.m.PolicyARN == "" {
		return ""
	}
	return " (" + e.m.PolicyARN + ")"
}

func policyName(m *Message) string { return policyNameOf(m.PolicyType) }

// withArticle prefixes a policy name with "a" or "an".
func withArticle(name string) string {
	if name != "" && strings.ContainsRune("aeiouAEIOU", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

// denies says who denies what, in the IAM grammar's two forms: "no <type>
// of <who> allows <what>" (implicit) or "<a type> of <who> explicitly
// denies <what>".
func (e *explainer) denies(who, what string) string {
	name := policyName(e.m)
	if e.m.Explicit {
		return withArticle(name) + " of " + who + " explicitly denies " + what + e.policyRef()
	}
	return "no " + name + " of " + who + " allows " + what
}

func policyNameOf(t PolicyType) string {
	switch t {
	case PolicyIdentity:
		return "identity-based policy"
	case PolicySession:
		return "session policy"
	case PolicyPermissionBoundary:
		return "permissions boundary"
	case PolicySCP:
		return "service control policy"
	case PolicyRCP:
		return "resource control policy"
	case PolicyVPCEndpoint:
		return "VPC endpoint policy"
	case PolicyTrust:
		return "role trust policy"
	case PolicyResource:
		return "resource-based policy"
	}
	return "policy"
}

func (e *explainer) onDemand() {
	if e.customOnDemandText() { // modelkinds.go
		return
	}
	id := e.m.ModelID
	summary := "the model has no on-demand throughput in this region and must be called through an inference profile"
	// A text names no catalog: never make a profile id up from a prefix
	// (not every model has a profile in every geography); say how to find
	// one.
	where := "in the client's region"
	if e.r.Region != "" {
		where = "in " + e.r.Region
	}
	fix := "Call the model through an inference profile that contains it: pass the profile's id instead of the bare model id (bedrock:ListInferenceProfiles " + where +
		" lists the profiles and their models; bedrock-doctor check names the ones the catalog has); the role must then allow the profile ARN and the foundation model in every destination region."
	if id != "" {
		summary = "model " + id + " has no on-demand throughput and must be called through an inference profile"
		fix = "Call the model through an inference profile that contains " + id + ": pass the profile's id instead of " + id + " (bedrock:ListInferenceProfiles " + where +
			" lists the profiles and their models; bedrock-doctor check names the ones the catalog has); the role must then allow the profile ARN and the foundation model in every destination region."
	}
	e.set(LayerModelID, nil, summary, fix)
}

// detail is the message.parse check's evidence: what the text says, quoted,
// and the fields read from it.
func (e *explainer) detail() string {
	m := e.m
	var b strings.Builder
	b.Grow(min(len(m.Text), maxQuoted) + 160)
	b.WriteString("kind ")
	b.WriteString(string(m.Kind))
	if m.Code != "" {
		b.WriteString(", code ")
		b.WriteString(m.Code)
	}
	if m.StatusCode != 0 {
		fmt.Fprintf(&b, ", status %d", m.StatusCode)
	}
	if m.AssumeRole {
		if strings.HasPrefix(m.Action, "sts:AssumeRole") {
			b.WriteString(", during " + m.Action)
		} else {
			b.WriteString(", during sts:AssumeRole")
		}
	}
	if m.PolicyType != "" {
		if m.Explicit {
			fmt.Fprintf(&b, ", explicit deny in %s", withArticle(policyNameOf(m.PolicyType)))
		} else {
			fmt.Fprintf(&b, ", implicit deny (no %s allows)", policyNameOf(m.PolicyType))
		}
	} else if m.Kind == KindIAMDenied {
		b.WriteString(", no reason given")
	}
	if m.Text != "" {
		b.WriteString(": the text says ")
		b.WriteString(quoteCapped(m.Text, maxQuoted))
	}
	return b.String()
}
