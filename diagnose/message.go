package diagnose

import (
	"encoding/json"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
)

// maxMessageText bounds how much of an error text ParseMessage reads. Real
// AWS error texts are a few hundred bytes; a pasted CloudTrail record or a
// log line with a stack trace is a few kilobytes. Capping keeps the reader
// cheap on hostile input (about 3 ms for 64 KiB built to defeat it).
const maxMessageText = 64 << 10

// MessageKind classifies what an AWS error text says.
type MessageKind string

// The kinds of message ParseMessage recognises. Their string values are
// stable.
const (
	// KindIAMDenied is the IAM grammar "User: P is not authorized to perform:
	// A [on resource: R] [because no <type> policy allows | with an explicit
	// deny in a <type> policy[: ARN]]".
	KindIAMDenied MessageKind = "iam-denied"
	// KindAccessDenied is an AccessDenied(Exception) whose text says nothing
	// more (no IAM grammar, no Bedrock phrase).
	KindAccessDenied MessageKind = "access-denied"
	// KindMarketplace is Bedrock's "Model access is denied due to ... AWS
	// Marketplace actions" (both the older sentence and the newer one that
	// embeds the IAM grammar for aws-marketplace:ViewSubscriptions).
	KindMarketplace MessageKind = "marketplace"
	// KindUseCaseForm is the Anthropic first-time-use form not submitted
	// (ResourceNotFoundException).
	KindUseCaseForm MessageKind = "use-case-form"
	// KindModelAccessDenied is "You don't have access to the model with the
	// specified model ID." or a "Model access is denied" without Marketplace.
	KindModelAccessDenied MessageKind = "model-access-denied"
	// KindAccountNotAuthorized is "Your account is not authorized to invoke
	// this API operation." (the account-level gate).
	KindAccountNotAuthorized MessageKind = "account-not-authorized"
	// KindModelNotAvailable is a model "not available for this account".
	KindModelNotAvailable MessageKind = "model-not-available"
	// KindOperationNotAllowed is Bedrock's bare "Operation not allowed"
	// (a ValidationException seen when the account may not use Bedrock).
	KindOperationNotAllowed MessageKind = "operation-not-allowed"
	// KindLegacyModel is "This Model is marked by provider as Legacy and you
	// have not been actively using the model ...".
	KindLegacyModel MessageKind = "legacy-model"
	// KindEndOfLife is "This model version has reached the end of its life".
	KindEndOfLife MessageKind = "end-of-life"
	// KindOnDemandUnsupported is a model that must be called through an
	// inference profile: "Invocation of model ID X with on-demand throughput
	// isn't supported" (every apostrophe and "is not"), "The provided model
	// doesn't support on-demand throughput." (every wording of "doesn't
	// support on-demand throughput"), and the AccessDeniedException "Cross
	// region inference is required for this model".
	KindOnDemandUnsupported MessageKind = "on-demand-unsupported"
	// KindModelUnsupported is a model the operation cannot use: "This action
	// doesn't support the model that you provided." and "The model is
	// unsupported for streaming.".
	KindModelUnsupported MessageKind = "model-unsupported"
	// KindInvalidModelID is "The provided model identifier is invalid.",
	// which AWS returns both for a typo and for a model not offered in the
	// region.
	KindInvalidModelID MessageKind = "invalid-model-id"
	// KindModelNotFound is "Model not found.".
	KindModelNotFound MessageKind = "model-not-found"
	// KindModelUnresolved is the ResourceNotFoundException "Could not
	// resolve the foundation model from the provided model identifier.",
	// which, like KindInvalidModelID, does not tell a wrong id from a model
	// not offered in the region.
	KindModelUnresolved MessageKind = "model-unresolved"
	// KindModelIDMalformed is a ValidationException saying the model
	// identifier failed the API's constraint ("Value 'X' at 'modelId' failed
	// to satisfy constraint: Member must satisfy regular expression
	// pattern: ..."): no region has a model by that id.
	KindModelIDMalformed MessageKind = "model-id-malformed"
	// KindGuardrailInvalid is a guardrail identifier Bedrock does not know
	// in the account and region ("The provided guardrail identifier is
	// invalid.", "The guardrail identifier or version provided in the
	// request does not exist.").
	KindGuardrailInvalid MessageKind = "guardrail-invalid"
	// KindDataRetention is an account's data retention mode the model may
	// not be served under ("data retention mode 'default' is not available
	// for this model"): an account-level gate.
	KindDataRetention MessageKind = "data-retention"
	// KindPromptCachingAccess is "You do not have access to explicit prompt
	// caching": a feature the account is not enabled for.
	KindPromptCachingAccess MessageKind = "prompt-caching-access"
	// KindExpiredToken is an expired session token (ExpiredToken,
	// ExpiredTokenException).
	KindExpiredToken MessageKind = "expired-token"
	// KindInvalidToken is an unknown access key or a bad session token
	// (InvalidClientTokenId, UnrecognizedClientException), or a web identity
	// token STS could not accept (InvalidIdentityToken).
	KindInvalidToken MessageKind = "invalid-token"
	// KindIdentityProviderMissing is STS finding no OpenID Connect provider
	// for the web identity token's issuer in the role's account ("No
	// OpenIDConnect provider found in your account for ..."): the role's
	// side (its identity-provider configuration), not the app's
	// credentials.
	KindIdentityProviderMissing MessageKind = "identity-provider-missing"
	// KindTokenAudience is STS refusing a web identity token whose audience
	// the account's OpenID Connect provider does not list ("Incorrect token
	// audience"): either the app asks its identity provider for the wrong
	// audience, or the provider's client id list lacks it.
	KindTokenAudience MessageKind = "token-audience"
	// KindMissingAuthentication is a request that reached AWS with no
	// credentials at all ("Authorization header is missing", "Missing
	// Authentication Token"): neither a SigV4 signature nor a bearer token.
	KindMissingAuthentication MessageKind = "missing-authentication"
	// KindSignature is a signature the service could not verify, usually a
	// wrong secret key (SignatureDoesNotMatch, InvalidSignatureException).
	KindSignature MessageKind = "signature"
	// KindClockSkew is a signature outside the service's time window
	// ("Signature expired", "Signature not yet current", RequestTimeTooSkewed).
	KindClockSkew MessageKind = "clock-skew"
	// KindNoCredentials is the SDK finding no usable base credentials
	// ("failed to retrieve credentials", "no EC2 IMDS role found", "static
	// credentials are empty", botocore's "Unable to locate credentials",
	// "Error when retrieving credentials from <provider>" and "Credential
	// refresh failed, response did not contain: ...", ...).
	KindNoCredentials MessageKind = "no-credentials"
	// KindSSOExpired is an expired or invalid IAM Identity Center (SSO) token.
	KindSSOExpired MessageKind = "sso-token-expired"
	// KindBearerKeyInvalid is Bedrock rejecting an API key (bearer token):
	// "Authentication failed: Please make sure your API Key is valid." for
	// a key that expired, was revoked, or is a short-term key used in
	// another region than it was generated for.
	KindBearerKeyInvalid MessageKind = "bearer-key-invalid"
	// KindBearerKeyNotBedrock is Bedrock refusing a bearer token that is
	// not a Bedrock API key at all ("Invalid API Key format: Must start
	// with pre-defined prefix"): another vendor's key, an SSO or OIDC
	// access token.
	KindBearerKeyNotBedrock MessageKind = "bearer-key-not-bedrock"
	// KindRoleChainingDuration is DurationSeconds over the 1-hour limit of
	// role chaining.
	KindRoleChainingDuration MessageKind = "role-chaining-duration"
	// KindMaxSessionDuration is DurationSeconds over the role's
	// MaxSessionDuration.
	KindMaxSessionDuration MessageKind = "max-session-duration"
	// KindRootAssumeRole is the account root user trying to assume a role.
	KindRootAssumeRole MessageKind = "root-assume-role"
	// KindMFAFailed is STS refusing an AssumeRole for its MFA
	// ("MultiFactorAuthentication failed, must provide both MFA serial number
	// and one time pass code.", "... with invalid MFA one time pass code."):
	// the role's trust policy or a policy of the source principal requires
	// MFA, and the app's call did not satisfy it.
	KindMFAFailed MessageKind = "mfa-failed"
	// KindAssumeRoleInvalid is an AssumeRole request that is wrong in
	// itself: a ValidationError of STS (a malformed role ARN, session name,
	// external id or policy), or a request the SDK would not send because
	// the role's profile requires MFA and the app gave no token provider
	// ("... requires multi-factor authentication, but no MFA code callback
	// was provided", "assume role with MFA enabled, but TokenProvider is not
	// set"). The app's configuration, not its credentials, and no side of
	// the role refused it.
	KindAssumeRoleInvalid MessageKind = "assume-role-invalid"
	// KindRegionDisabled is STS not activated in the region
	// (RegionDisabledException).
	KindRegionDisabled MessageKind = "region-disabled"
	// KindThrottling is a rate or token limit (ThrottlingException, 429).
	KindThrottling MessageKind = "throttling"
	// KindQuota is ServiceQuotaExceededException.
	KindQuota MessageKind = "service-quota"
	// KindServerError is a service-side failure (5xx, model not ready,
	// model timeout, model error).
	KindServerError MessageKind = "server-error"
	// KindValidation is any other ValidationException: a bad request body.
	KindValidation MessageKind = "validation"
	// KindNetwork is a request that never got an AWS answer: DNS, connection,
	// timeout or cancellation ("dial tcp", "ENOTFOUND", "context canceled").
	KindNetwork MessageKind = "network"
	// KindUnrecognized is a text ParseMessage could not classify.
	KindUnrecognized MessageKind = "unrecognized"
)

// IsAccessDenial reports whether the kind is about access (credentials, role
// assumption, permissions, model access, region, model id) rather than
// throttling, quotas, service faults, a bad request or an unreadable text.
func (k MessageKind) IsAccessDenial() bool {
	switch k {
	case KindThrottling, KindQuota, KindServerError, KindValidation, KindNetwork, KindUnrecognized, "":
		return false
	}
	return true
}

// PolicyType is the kind of policy an IAM denial names.
type PolicyType string

// The policy types of the IAM grammar's reason suffix (AWS.md §3.8).
const (
	PolicyIdentity           PolicyType = "identity-based"       // "identity-based policy"
	PolicySession            PolicyType = "session"              // "session policy"
	PolicyPermissionBoundary PolicyType = "permissions-boundary" // "permissions boundary"
	PolicySCP                PolicyType = "service-control"      // "service control policy"
	PolicyRCP                PolicyType = "resource-control"     // "resource control policy"
	PolicyResource           PolicyType = "resource-based"       // "resource-based policy"
	PolicyVPCEndpoint        PolicyType = "vpc-endpoint"         // "VPC endpoint policy"
	PolicyTrust              PolicyType = "role-trust"           // "role trust policy"
	PolicyOther              PolicyType = "other"                // a type this reader does not know
)

// Message is what an AWS error text says, parsed. Every field is optional:
// a field is set only when the text says it. Strings are copied from the
// text with control characters removed.
type Message struct {
	// Service and Operation name the call the text is about: the outermost
	// one in a Go SDK string ("operation error Bedrock Runtime: Converse"),
	// the one boto3 names ("when calling the Converse operation"), a Java
	// "(Service: ...)" suffix or a CloudTrail eventName.
	Service, Operation string
	// AssumeRole reports that the failure happened in an STS AssumeRole call,
	// either called directly or nested inside the Bedrock call's credential
	// retrieval ("get identity: get credentials: ... operation error STS:
	// AssumeRole").
	AssumeRole bool
	// StatusCode is the HTTP status the text gives, or 0.
	StatusCode int
	// RequestID is the AWS request id the text gives (for a nested failure,
	// the inner call's).
	RequestID string
	// Code is the AWS error code: AccessDeniedException, AccessDenied,
	// ValidationException, ExpiredToken, ...
	Code string
	// Text is the AWS message proper, without the SDK's wrapping.
	Text string
	// Principal, Action and Resource are the IAM grammar's fields.
	Principal, Action, Resource string
	// PolicyType is the policy the reason suffix names; Explicit is true for
	// "with an explicit deny", false for "because no ... allows".
	PolicyType PolicyType
	Explicit   bool
	// PolicyARN is the ARN of the denying policy, when AWS names it.
	PolicyARN string
	// Via is the policy type of a "transitively through a <type>" suffix.
	Via PolicyType
	// Region is the region of the call as the text shows it apart from the
	// resource ARN (an endpoint host, a CloudTrail awsRegion).
	Region string
	// ModelID is the model the text names ("Invocation of model ID X", or
	// the id in a foundation-model or inference-profile resource ARN).
	ModelID string
	// Kind classifies the message.
	Kind MessageKind
}

// ParseMessage reads an AWS error text: a Go SDK v2 error string (also the
// nested credential-retrieval form), a boto3/botocore or AWS CLI line, a raw
// AWS message, a JSON error body, an XML STS error body, a CloudTrail record,
// or a JS/Java SDK rendering. It never fails: what it cannot read stays
// empty and Kind is KindUnrecognized.
func ParseMessage(text string) Message {
	if len(text) > maxMessageText {
		// Keep both ends: SDK errors put the AWS message last (after a
		// traceback), JSON bodies and CloudTrail records put it first.
		text = text[:maxMessageText/2] + " … " + text[len(text)-maxMessageText/2:]
	}
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	text = squashSpace(text)
	p := parser{s: text, lower: asciiLower(text)}
	p.envelope()
	p.iam()
	p.classify()
	p.model()
	m := p.m
	for _, f := range []*string{&m.Service, &m.Operation, &m.RequestID, &m.Code, &m.Text,
		&m.Principal, &m.Action, &m.Resource, &m.PolicyARN, &m.Region, &m.ModelID} {
		*f = cleanField(*f)
	}
	return m
}

type parser struct {
	s, lower string
	m        Message
}

// squashSpace turns every run of ASCII white space into one space: pasted
// texts wrap lines anywhere ("is not \nauthorized to perform"), and the
// phrases and the IAM grammar are matched on single spaces. Box-drawing
// characters (U+2500–U+257F), which terminal UIs draw around a message,
// count as space too.
func squashSpace(s string) string {
	needs := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || (c == ' ' && i+1 < len(s) && isSpace(s[i+1])) || boxAt(s, i) {
			needs = true
			break
		}
	}
	if !needs {
		return s
	}
	b := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) {
			space = true
			continue
		}
		if boxAt(s, i) {
			space = true
			i += 2
			continue
		}
		if space && len(b) > 0 {
			b = append(b, ' ')
		}
		space = false
		b = append(b, s[i])
	}
	return string(b)
}

// boxAt reports whether a box-drawing character (UTF-8 E2 94 xx or E2 95 xx)
// starts at s[i].
func boxAt(s string, i int) bool {
	return s[i] == 0xE2 && i+2 < len(s) && (s[i+1] == 0x94 || s[i+1] == 0x95)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

// asciiLower lower-cases ASCII letters only, so indexes into the result are
// indexes into the original (strings.ToLower may change byte lengths).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// envelope finds the operation, status, request id, code and message text in
// the wrappers the SDKs and tools put around an AWS message.
func (p *parser) envelope() {
	s, lower := p.s, p.lower

	// Go SDK v2: "operation error <Service>: <Op>, ..." possibly nested.
	if i := strings.Index(s, "operation error "); i >= 0 {
		p.m.Service, p.m.Operation = goOperation(s[i+len("operation error "):])
		if j := lastIndex(s, "operation error "); j > i {
			svc, op := goOperation(s[j+len("operation error "):])
			if svc == "STS" && strings.HasPrefix(op, "AssumeRole") {
				p.m.AssumeRole = true
			}
		}
		if p.m.Service == "STS" && strings.HasPrefix(p.m.Operation, "AssumeRole") {
			p.m.AssumeRole = true
		}
	}
	// boto3 / botocore / AWS CLI: "An error occurred (Code) when calling the Op operation[ (reached max retries: N)]: text".
	if i := strings.Index(s, "An error occurred ("); i >= 0 {
		rest := s[i+len("An error occurred ("):]
		if j := strings.IndexByte(rest, ')'); j > 0 {
			p.setCode(rest[:j])
			rest = rest[j+1:]
		}
		if k := strings.Index(rest, "when calling the "); k >= 0 {
			rest = rest[k+len("when calling the "):]
			if e := strings.Index(rest, " operation"); e > 0 {
				if p.m.Operation == "" {
					p.m.Operation = rest[:e]
				}
				rest = rest[e+len(" operation"):]
				if strings.HasPrefix(rest, " (") {
					if k := strings.IndexByte(rest, ')'); k > 0 {
						rest = rest[k+1:]
					}
				}
			}
		}
		if c := strings.Index(rest, ": "); c >= 0 && p.m.Text == "" {
			p.m.Text = rest[c+2:]
		}
		if strings.HasPrefix(p.m.Operation, "AssumeRole") {
			p.m.AssumeRole = true
		}
	}
	// Java v1/v2: "... (Service: X; Status Code: 403; Error Code: Y; Request ID: Z)".
	if i := strings.Index(s, "(Service: "); i >= 0 {
		tail := s[i+len("(Service: "):]
		svc := tail[:fieldEnd(tail, ",;)")]
		if p.m.Service == "" {
			p.m.Service = svc
		}
		if svc == "AWSSecurityTokenService" || svc == "Sts" || svc == "STS" {
			if strings.Contains(s, "sts:AssumeRole") || strings.Contains(s, "AssumeRole") {
				p.m.AssumeRole = true
			}
		}
		if p.m.Text == "" {
			p.m.Text = strings.TrimSpace(s[:i])
		}
	}
	// PHP: Error executing "AssumeRole" on "https://sts....".
	if i := strings.Index(s, "Error executing \""); i >= 0 {
		rest := s[i+len("Error executing \""):]
		if j := strings.IndexByte(rest, '"'); j > 0 && p.m.Operation == "" {
			p.m.Operation = rest[:j]
			if strings.HasPrefix(p.m.Operation, "AssumeRole") {
				p.m.AssumeRole = true
			}
		}
	}

	// Status code.
	for _, k := range []string{"statuscode: ", "status code: ", "\"httpstatuscode\":", "\"statuscode\":", "status code: http_status_"} {
		if i := lastIndex(lower, k); i >= 0 {
			if n := leadingInt(s[i+len(k):]); n >= 100 && n <= 599 {
				p.m.StatusCode = n
				break
			}
		}
	}
	if p.m.StatusCode == 0 {
		for _, k := range []string{"api error: ", "error: ", "resulted in a `", "status: "} {
			if i := strings.Index(lower, k); i >= 0 {
				if n := leadingInt(s[i+len(k):]); n >= 400 && n <= 599 {
					p.m.StatusCode = n
					break
				}
			}
		}
	}

	// Request id: the last one is the failing (innermost) call's.
	for _, k := range []string{"requestid: ", "request id: ", "<requestid>", "\"requestid\":", "\"aws_request_id\":", "x-amzn-requestid: ", "request_id="} {
		if id := lastValue(s, lower, k); id != "" {
			p.m.RequestID = id
			break
		}
	}

	// Go SDK v2: "RequestID: <id>, [api error ]<Code>: <text>".
	if i := lastIndex(s, "RequestID: "); i >= 0 && strings.Contains(s, "https response error") {
		rest := s[i+len("RequestID: "):]
		if j := strings.IndexByte(rest, ','); j >= 0 {
			rest = strings.TrimLeft(rest[j+1:], " ")
			rest = strings.TrimPrefix(rest, "api error ")
			if c, t, ok := codeAndText(rest); ok {
				p.setCode(c)
				p.m.Text = t
			}
		}
	}

	// XML error body (STS/IAM awsQuery).
	if v, ok := between(s, "<Code>", "</Code>"); ok {
		p.setCode(xmlUnescape(v))
	}
	if v, ok := between(s, "<Message>", "</Message>"); ok && p.m.Text == "" {
		p.m.Text = xmlUnescape(v)
	}

	// JSON bodies, CloudTrail records, JS SDK dumps.
	if strings.ContainsRune(s, '"') {
		for _, k := range []string{"errorCode", "__type", "code", "Code", "name"} {
			v, ok := jsonString(s, k)
			v = sanitizeCode(v)
			// "name" is a JS SDK error's class name, but also any object's
			// name: only an exception class counts.
			if ok && looksLikeCode(v) && (k != "name" || strings.HasSuffix(v, "Exception")) {
				p.setCode(v)
				break
			}
		}
		if p.m.Text == "" {
			for _, k := range []string{"errorMessage", "message", "Message"} {
				if v, ok := jsonString(s, k); ok && v != "" {
					p.m.Text = v
					break
				}
			}
		}
		if v, ok := jsonString(s, "eventName"); ok && p.m.Operation == "" {
			p.m.Operation = v
			if strings.HasPrefix(v, "AssumeRole") {
				p.m.AssumeRole = true
			}
		}
		if v, ok := jsonString(s, "awsRegion"); ok {
			p.m.Region = v
		}
		if v, ok := jsonString(s, "eventSource"); ok && p.m.Service == "" {
			p.m.Service = strings.TrimSuffix(v, ".amazonaws.com")
		}
		if p.m.RequestID == "" {
			for _, k := range []string{"requestID", "requestId", "RequestId"} {
				if v, ok := jsonString(s, k); ok {
					p.m.RequestID = v
					break
				}
			}
		}
	}

	// A client's region as tools print it: Strands' "Bedrock region: X", a
	// JSON config's "region_name".
	if p.m.Region == "" {
		if i := strings.Index(lower, "bedrock region: "); i >= 0 {
			if v := token(s[i+len("bedrock region: "):]); isRegion(v) {
				p.m.Region = v
			}
		}
	}
	if p.m.Region == "" && strings.ContainsRune(s, '"') {
		for _, k := range []string{"region_name", "aws_region_name"} {
			if v, ok := jsonString(s, k); ok && isRegion(v) {
				p.m.Region = v
				break
			}
		}
	}
	// Endpoint host: bedrock-runtime.<region>.amazonaws.com, sts.<region>.amazonaws.com.
	if p.m.Region == "" {
		for _, k := range []string{"bedrock-runtime.", "bedrock-runtime-fips.", "bedrock.", "sts."} {
			if i := strings.Index(lower, k); i >= 0 {
				rest := lower[i+len(k):]
				if j := strings.Index(rest, ".amazonaws.com"); j > 0 && isRegion(rest[:j]) {
					p.m.Region = rest[:j]
					break
				}
			}
		}
	}

	// "Code: text" at the start (Go SDK v1, JS SDK, raw logs), and a known
	// code anywhere as the last resort.
	if p.m.Code == "" {
		if c, t, ok := codeAndText(strings.TrimSpace(s)); ok && looksLikeCode(c) {
			p.setCode(c)
			if p.m.Text == "" {
				p.m.Text = t
			}
		}
	}
	if p.m.Code == "" {
		for _, c := range knownCodes {
			if i := indexWord(s, c); i >= 0 {
				p.m.Code = c
				break
			}
		}
	}
	if p.m.Text == "" {
		p.m.Text = strings.TrimSpace(s)
	}
}

// lastValue returns the value after the last occurrence of key (searched in
// lower) that has a usable one: SDK dumps print placeholders such as
// "requestID: nil" next to the real header. One forward pass, so a text
// made of thousands of placeholders stays linear.
func lastValue(s, lower, key string) string {
	found := ""
	for off := 0; off <= len(lower); {
		i := strings.Index(lower[off:], key)
		if i < 0 {
			break
		}
		i += off
		v := strings.TrimLeft(s[i+len(key):], " \"")
		v = v[:fieldEnd(v, ",;:)<\"' \t\r\n}")]
		switch strings.ToLower(v) {
		case "", "nil", "null", "none", "undefined":
		default:
			found = v
		}
		off = i + len(key)
	}
	return found
}

// lastIndex is strings.LastIndex done with forward searches: the patterns
// here occur once or twice in a text, and strings.Index is vectorised where
// strings.LastIndex scans byte by byte.
func lastIndex(s, sub string) int {
	last := -1
	for off := 0; off <= len(s); {
		i := strings.Index(s[off:], sub)
		if i < 0 {
			break
		}
		last = off + i
		off = last + 1
	}
	return last
}

// knownCodes are the AWS error codes the reader looks for anywhere in a text
// that has no recognisable envelope; longer names first so that
// AccessDeniedException wins over AccessDenied.
var knownCodes = []string{
	"AccessDeniedException", "UnrecognizedClientException", "InvalidClientTokenId",
	"ExpiredTokenException", "ExpiredToken", "InvalidSignatureException", "SignatureDoesNotMatch",
	"RequestTimeTooSkewed", "RegionDisabledException", "ResourceNotFoundException",
	"ValidationException", "ValidationError", "ThrottlingException", "ServiceQuotaExceededException",
	"ServiceUnavailableException", "InternalServerException", "ModelNotReadyException",
	"ModelTimeoutException", "ModelErrorException", "UnauthorizedException", "AccessDenied",
}

func (p *parser) setCode(c string) {
	if c = sanitizeCode(c); looksLikeCode(c) && p.m.Code == "" {
		p.m.Code = c
	}
}

// sanitizeCode reduces a wire error type to its code as smithy does: the
// text before the first ':' ("AccessDeniedException:http://internal...."),
// then the text after the last '#' ("com.amazon.coral.service#...").
func sanitizeCode(c string) string {
	c = strings.TrimSpace(c)
	if i := strings.IndexByte(c, ':'); i >= 0 {
		c = c[:i]
	}
	if i := strings.LastIndexByte(c, '#'); i >= 0 {
		c = c[i+1:]
	}
	return c
}

// goOperation reads "<Service>: <Op>," after "operation error ".
func goOperation(s string) (service, op string) {
	i := strings.Index(s, ": ")
	if i <= 0 || i > 64 {
		return "", ""
	}
	service = s[:i]
	rest := s[i+2:]
	return service, rest[:fieldEnd(rest, ", \t\r\n")]
}

// codeAndText splits "Code: text" when Code is one identifier.
func codeAndText(s string) (code, text string, ok bool) {
	i := strings.Index(s, ": ")
	if i <= 0 || i > 80 {
		return "", "", false
	}
	c := s[:i]
	if j := strings.IndexByte(c, ' '); j >= 0 {
		// "AccessDenied (client)" in the PHP SDK.
		if !strings.HasPrefix(c[j:], " (") {
			return "", "", false
		}
		c = c[:j]
	}
	if !looksLikeCode(c) || !codeShaped(c) {
		return "", "", false
	}
	return c, s[i+2:], true
}

// codeShaped reports whether an identifier before ": " is an error code
// rather than a method or logger name ("InvokeModel: operation error ..."):
// modeled codes end in Exception, Error or Fault; the unmodeled STS/IAM ones
// are listed.
func codeShaped(c string) bool {
	if strings.HasSuffix(c, "Exception") || strings.HasSuffix(c, "Error") || strings.HasSuffix(c, "Fault") {
		return true
	}
	switch c {
	case "AccessDenied", "ExpiredToken", "InvalidClientTokenId", "SignatureDoesNotMatch", "IncompleteSignature",
		"Throttling", "RequestTimeTooSkewed", "RequestExpired", "InvalidIdentityToken", "IDPRejectedClaim",
		"IDPCommunicationError", "MalformedPolicyDocument", "PackedPolicyTooLarge", "InternalFailure",
		"ServiceUnavailable", "AuthFailure", "OptInRequired", "UnauthorizedOperation":
		return true
	}
	return false
}

// looksLikeCode reports whether s can be an AWS error code: one identifier
// starting with an upper-case letter.
func looksLikeCode(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	if strings.ToUpper(s) == s {
		return false // ERROR, WARN: log levels, not AWS codes
	}
	switch s {
	case "User", "Error", "Model", "Access", "Forbidden", "Details", "Traceback", "Exception", "Warning", "Caused", "Description":
		return false
	}
	return true
}

// fieldEnd returns the index of the first byte of s in stops, or len(s).
func fieldEnd(s, stops string) int {
	if i := strings.IndexAny(s, stops); i >= 0 {
		return i
	}
	return len(s)
}

func leadingInt(s string) int {
	n, i := 0, 0
	for ; i < len(s) && i < 4 && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
	}
	if i == 0 {
		return 0
	}
	return n
}

func between(s, open, close string) (string, bool) {
	i := strings.Index(s, open)
	if i < 0 {
		return "", false
	}
	rest := s[i+len(open):]
	j := strings.Index(rest, close)
	if j < 0 {
		return "", false
	}
	return rest[:j], true
}

var xmlEntities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'", "&amp;", "&")

func xmlUnescape(s string) string {
	if !strings.ContainsRune(s, '&') {
		return s
	}
	return xmlEntities.Replace(s)
}

// jsonString finds "key": "value" anywhere in s (a JSON body, or JSON
// embedded in a log line) and returns the decoded value.
func jsonString(s, key string) (string, bool) {
	pat := `"` + key + `"`
	for off := 0; off < len(s); {
		i := strings.Index(s[off:], pat)
		if i < 0 {
			return "", false
		}
		rest := strings.TrimLeft(s[off+i+len(pat):], " \t\r\n")
		off += i + len(pat)
		if !strings.HasPrefix(rest, ":") {
			continue
		}
		rest = strings.TrimLeft(rest[1:], " \t\r\n")
		if !strings.HasPrefix(rest, `"`) {
			continue
		}
		end := jsonStringEnd(rest)
		if end < 0 {
			return "", false
		}
		raw := rest[:end+1]
		if !strings.ContainsRune(raw[1:end], '\\') {
			return raw[1:end], true
		}
		var v string
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return raw[1:end], true
		}
		return v, true
	}
	return "", false
}

// jsonStringEnd returns the index of the closing quote of the JSON string
// that s starts with, or -1.
func jsonStringEnd(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// indexWord finds w in s with no identifier byte on either side.
func indexWord(s, w string) int {
	for off := 0; off < len(s); {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return -1
		}
		i += off
		before := i == 0 || !isIdentByte(s[i-1])
		after := i+len(w) == len(s) || !isIdentByte(s[i+len(w)])
		if before && after {
			return i
		}
		off = i + 1
	}
	return -1
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// isRegion reports whether s has the shape of a region name (us-east-1,
// us-gov-west-1, cn-north-1).
func isRegion(s string) bool {
	if len(s) < 6 || len(s) > 20 || strings.Count(s, "-") < 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return s[len(s)-1] >= '0' && s[len(s)-1] <= '9'
}

// iamStops end an ARN or action token copied from a text: whitespace and the
// quoting and bracketing characters of the envelopes around it. '<' ends a
// token only as the start of an XML end tag, and '{' '}' not at all, so that
// a reporter's "<account>" or "{account}" placeholder stays in the ARN.
const iamStops = " \t\r\n\"'\\)],;`"

// token returns the leading token of s up to iamStops, a control character
// or an XML end tag.
func token(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || strings.IndexByte(iamStops, c) >= 0 || (c == '<' && i+1 < len(s) && s[i+1] == '/') {
			return s[:i]
		}
	}
	return s
}

// iam reads the IAM grammar (AWS.md §3.8).
func (p *parser) iam() {
	const marker = "not authorized to perform"
	s, lower := p.s, p.lower
	var i int
	var rest, action string
	for off := 0; ; {
		k := strings.Index(lower[off:], marker)
		if k < 0 {
			return
		}
		i = off + k
		rest = strings.TrimLeft(s[i+len(marker):], ": ")
		action = trimSentenceDot(token(rest))
		// "You are not authorized to perform this operation. User: ..." and
		// "not authorized to perform the required AWS Marketplace actions"
		// are prose; the grammar's action is "service:Action".
		if strings.Contains(action, ":") {
			break
		}
		off = i + len(marker)
	}
	if j := lastIndex(s[:i], "User: "); j >= 0 {
		v := token(s[j+len("User: "):])
		// Only the principal of this sentence, "User: P is not authorized";
		// what follows the token may be a reporter's redaction
		// ("...](mailto:x) is").
		if end := j + len("User: ") + len(v); end <= i && i-j < 512 && strings.HasSuffix(strings.TrimSpace(s[end:i]), "is") {
			p.m.Principal = v
		}
	}
	p.m.Kind = KindIAMDenied
	p.m.Action = action
	rest = rest[len(action):]
	if k := strings.Index(rest, " on resource: "); k >= 0 && k < 4 {
		v := rest[k+len(" on resource: "):]
		p.m.Resource = trimSentenceDot(token(v))
		rest = v[len(p.m.Resource):]
	}
	// The reason belongs to this sentence only: stop at the envelope's end.
	if e := strings.IndexAny(rest, "\"\n}"); e >= 0 {
		rest = rest[:e]
	}
	rl := asciiLower(rest)
	if k := strings.Index(rl, "because no "); k >= 0 {
		phrase := rl[k+len("because no "):]
		if e := strings.Index(phrase, " allows"); e >= 0 {
			phrase = phrase[:e]
		}
		p.m.PolicyType = policyType(phrase)
	} else if k := strings.Index(rl, "explicit deny in "); k >= 0 {
		p.m.Explicit = true
		after := rest[k+len("explicit deny in "):]
		phrase := asciiLower(after)
		end := len(phrase)
		for _, stop := range []string{":", " transitively", ".", ","} {
			if e := strings.Index(phrase, stop); e >= 0 && e < end {
				end = e
			}
		}
		p.m.PolicyType = policyType(phrase[:end])
		if a := strings.Index(after, ": arn:"); a >= 0 && a == end {
			v := after[a+2:]
			p.m.PolicyARN = trimSentenceDot(token(v))
		}
	}
	if k := strings.Index(rl, "transitively through "); k >= 0 {
		p.m.Via = policyType(rl[k+len("transitively through "):])
	}
	if strings.HasPrefix(p.m.Action, "sts:AssumeRole") || p.m.Action == "sts:TagSession" || p.m.Action == "sts:SetSourceIdentity" {
		p.m.AssumeRole = true
	}
}

// trimSentenceDot drops the full stop that ends a sentence from the last
// token (an ARN never ends in '.', but the sentence around it may).
func trimSentenceDot(s string) string {
	return strings.TrimRight(s, ".")
}

func policyType(phrase string) PolicyType {
	switch {
	case strings.Contains(phrase, "identity-based"), strings.Contains(phrase, "identity based"):
		return PolicyIdentity
	case strings.Contains(phrase, "permissions boundary"), strings.Contains(phrase, "permission boundary"):
		return PolicyPermissionBoundary
	case strings.Contains(phrase, "session"):
		return PolicySession
	case strings.Contains(phrase, "service control"):
		return PolicySCP
	case strings.Contains(phrase, "resource control"):
		return PolicyRCP
	case strings.Contains(phrase, "vpc endpoint"):
		return PolicyVPCEndpoint
	case strings.Contains(phrase, "trust"):
		return PolicyTrust
	case strings.Contains(phrase, "resource-based"), strings.Contains(phrase, "resource based"):
		return PolicyResource
	}
	return PolicyOther
}

// phrase tables: lower-case fragments of real AWS texts (sources in
// testdata/messages) and the kind each one proves. The first match wins.
var phraseKinds = []struct {
	phrase string
	kind   MessageKind
}{
	{"roles may not be assumed by root accounts", KindRootAssumeRole},
	{"multifactorauthentication failed", KindMFAFailed},
	{"mfa one time pass code", KindMFAFailed},
	// The SDK refusing to send an AssumeRole that needs an MFA code it has
	// no way to get: the JS v3 and Rust SDKs, the Go v2 SDK (stscreds and
	// config), the Go v1 SDK.
	{"requires multi-factor authentication, but no mfa code callback", KindAssumeRoleInvalid},
	{"assume role with mfa enabled, but", KindAssumeRoleInvalid},
	{"token provider required for assumerole with mfa", KindAssumeRoleInvalid},
	{"session limit for roles assumed by role chaining", KindRoleChainingDuration},
	{"durationseconds exceeds the maxsessionduration", KindMaxSessionDuration},
	{"sts is not activated in this region", KindRegionDisabled},
	{"no openidconnect provider found", KindIdentityProviderMissing},
	{"incorrect token audience", KindTokenAudience},
	{"use case details have not been submitted", KindUseCaseForm},
	{"filled out the required use-case form", KindUseCaseForm},
	{"filled out the required use case form", KindUseCaseForm},
	{"access to explicit prompt caching", KindPromptCachingAccess},
	{"marked by provider as legacy", KindLegacyModel},
	{"reached the end of its life", KindEndOfLife},
	{"reached end of life", KindEndOfLife},
	// "isn’t", "isn't", "is not", and the apostrophe as a JSON or Python
	// bytes escape ("isn\u2019t", "isn\xe2\x80\x99t").
	{"with on-demand throughput is", KindOnDemandUnsupported},
	{"support on-demand throughput", KindOnDemandUnsupported},
	{"cross region inference is required", KindOnDemandUnsupported},
	{"cross-region inference is required", KindOnDemandUnsupported},
	{"action doesn't support the model", KindModelUnsupported},
	{"action doesn’t support the model", KindModelUnsupported},
	{"action does not support the model", KindModelUnsupported},
	{"model is unsupported for streaming", KindModelUnsupported},
	{"modelid' failed to satisfy constraint", KindModelIDMalformed},
	{"modelarn' failed to satisfy constraint", KindModelIDMalformed},
	{"guardrailidentifier' failed to satisfy constraint", KindGuardrailInvalid},
	{"guardrail identifier is invalid", KindGuardrailInvalid},
	{"guardrail identifier or version provided in the request does not exist", KindGuardrailInvalid},
	{"invalid output config/credentials", KindAsyncOutput}, // routed.go
	{"provided model identifier is invalid", KindInvalidModelID},
	{"model identifier is invalid", KindInvalidModelID},
	{"could not resolve the foundation model", KindModelUnresolved},
	{"don't have access to the model", KindModelAccessDenied},
	{"don’t have access to the model", KindModelAccessDenied},
	{"do not have access to the model", KindModelAccessDenied},
	{"your account is not authorized to invoke this api operation", KindAccountNotAuthorized},
	{"not available for this account", KindModelNotAvailable},
	{"not available for your account", KindModelNotAvailable},
	{"operation not allowed", KindOperationNotAllowed},
	{"invalid api key format", KindBearerKeyNotBedrock},
	{"must start with pre-defined prefix", KindBearerKeyNotBedrock},
	{"please make sure your api key is valid", KindBearerKeyInvalid},
	{"invalid api key", KindBearerKeyInvalid},
	{"invalid bearer token", KindBearerKeyInvalid},
	{"authorization header is missing", KindMissingAuthentication},
	{"model not found", KindModelNotFound},
}

// assumeRoleKinds are the kinds that are about an AssumeRole call whatever
// envelope the text has.
func assumeRoleKind(k MessageKind) bool {
	switch k {
	case KindRootAssumeRole, KindRoleChainingDuration, KindMaxSessionDuration, KindMFAFailed,
		KindAssumeRoleInvalid, KindIdentityProviderMissing, KindTokenAudience:
		return true
	}
	return false
}

// classify sets Kind from the phrases and codes; IAM grammar found by iam()
// stays the kind unless a more specific Bedrock or STS phrase says more.
func (p *parser) classify() {
	lower := p.lower
	if strings.Contains(lower, "model access is denied") {
		if strings.Contains(lower, "marketplace") {
			p.m.Kind = KindMarketplace
		} else {
			p.m.Kind = KindModelAccessDenied
		}
		return
	}
	if p.m.Kind == KindIAMDenied {
		// The IAM grammar is the whole message; none of Bedrock's or STS's
		// own sentences comes with it (Marketplace's, handled above, is the
		// one that embeds it).
		return
	}
	if i := strings.Index(lower, "data retention mode"); i >= 0 && strings.Contains(lower[i:], "not available for this model") {
		p.m.Kind = KindDataRetention
		return
	}
	for _, pk := range phraseKinds {
		if strings.Contains(lower, pk.phrase) {
			p.m.Kind = pk.kind
			if assumeRoleKind(pk.kind) {
				p.m.AssumeRole = true
			}
			return
		}
	}
	code := p.m.Code
	switch {
	case strings.Contains(lower, "signature expired"), strings.Contains(lower, "signature not yet current"),
		code == "RequestTimeTooSkewed", strings.Contains(lower, "clock skew"):
		p.m.Kind = KindClockSkew
	case code == "RegionDisabledException":
		p.m.Kind = KindRegionDisabled
	case strings.Contains(lower, "token has expired and refresh failed"),
		strings.Contains(lower, "sso session"), strings.Contains(lower, "cached sso token"),
		strings.Contains(lower, "sso token"), strings.Contains(lower, "session token not found or invalid"),
		code == "InvalidGrantException":
		p.m.Kind = KindSSOExpired
	case code == "ExpiredToken", code == "ExpiredTokenException",
		strings.Contains(lower, "security token included in the request is expired"),
		strings.Contains(lower, "provided token has expired"):
		p.m.Kind = KindExpiredToken
	case code == "UnrecognizedClientException", code == "InvalidClientTokenId", code == "InvalidIdentityToken",
		strings.Contains(lower, "security token included in the request is invalid"),
		strings.Contains(lower, "token is malformed or otherwise invalid"):
		p.m.Kind = KindInvalidToken
	case code == "SignatureDoesNotMatch", code == "InvalidSignatureException", code == "IncompleteSignature",
		strings.Contains(lower, "signature we calculated does not match"):
		p.m.Kind = KindSignature
	case code == "MissingAuthenticationToken", code == "MissingAuthenticationTokenException":
		p.m.Kind = KindMissingAuthentication
	case strings.Contains(lower, "no ec2 imds role found"), strings.Contains(lower, "credentials_provider_imds"),
		strings.Contains(lower, "static credentials are empty"), strings.Contains(lower, "could not load credentials"),
		strings.Contains(lower, "unable to locate credentials"), strings.Contains(lower, "nocredentialproviders"),
		strings.Contains(lower, "no valid credential sources"):
		p.m.Kind = KindNoCredentials
	case code == "" && (strings.Contains(lower, "error when retrieving credentials from") || strings.Contains(lower, "credential refresh failed")):
		// botocore's credential providers (iam-role, container-role,
		// custom-process, cert-file, ...): the provider could not produce
		// credentials, whatever the underlying reason (an IMDS timeout
		// included), so checked before the network phrases.
		p.m.Kind = KindNoCredentials
	case p.m.Code == "" && containsAny(lower, networkPhrases):
		// No AWS answer at all; checked after the IMDS phrases because a
		// missing instance role also ends in a timeout.
		p.m.Kind = KindNetwork
	case code == "" && (strings.Contains(lower, "failed to retrieve credentials") || strings.Contains(lower, "failed to refresh cached credentials")):
		// Only without an API answer: with one, the answer's code says
		// what happened (a refused AssumeRole, throttling, a fault).
		p.m.Kind = KindNoCredentials
	case code == "ThrottlingException", code == "Throttling", code == "TooManyRequestsException",
		strings.Contains(lower, "too many tokens"), strings.Contains(lower, "too many requests"),
		strings.Contains(lower, "rate exceeded"), p.m.StatusCode == 429:
		p.m.Kind = KindThrottling
	case code == "ServiceQuotaExceededException":
		p.m.Kind = KindQuota
	case code == "InternalServerException", code == "ServiceUnavailableException", code == "ModelNotReadyException",
		code == "ModelTimeoutException", code == "ModelErrorException", code == "InternalFailure",
		p.m.StatusCode >= 500:
		p.m.Kind = KindServerError
	case code == "ValidationError" && p.m.AssumeRole:
		p.m.Kind = KindAssumeRoleInvalid
	case code == "ValidationException", code == "ValidationError":
		p.m.Kind = KindValidation
	case code == "AccessDeniedException", code == "AccessDenied", code == "UnauthorizedException", p.m.StatusCode == 403:
		p.m.Kind = KindAccessDenied
	default:
		p.m.Kind = KindUnrecognized
	}
}

// networkPhrases are how Go, Node and the OS report a request that got no
// answer.
var networkPhrases = []string{
	"dial tcp", "no such host", "enotfound", "connection refused", "econnrefused", "connection reset",
	"econnreset", "i/o timeout", "request send failed", "context canceled", "context deadline exceeded",
	"request canceled", "tls handshake timeout", "etimedout",
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// model finds the model id the text names.
func (p *parser) model() {
	if i := strings.Index(p.s, "model ID "); i >= 0 {
		v := p.s[i+len("model ID "):]
		if id := trimSentenceDot(token(v)); id != "" && id != "is" {
			p.m.ModelID = id
			return
		}
	}
	if p.m.Resource != "" {
		if p.m.ModelID = modelFromARN(p.m.Resource); p.m.ModelID != "" {
			return
		}
	}
	p.m.ModelID = p.calledModel()
}

// modelShaped reports whether a token copied from prose can be a model id:
// letters with a '.' or '-' (a provider prefix or a version), not a status
// code or a word.
func modelShaped(s string) bool {
	return s != "" && len(s) <= 2048 && strings.ContainsAny(s, ".-") && strings.ContainsFunc(s, func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	})
}

// runtimePaths are the operation segments that follow "/model/{modelId}" in
// a Bedrock Runtime request path (AWS.md §6.1).
var runtimePaths = []string{"/invoke", "/converse", "/count-tokens"}

// calledModel finds the model id a text shows as the one the call passed,
// in the forms tools print it: a validation error's "Value 'X' at
// 'modelId'", the request path "/model/X/converse" (percent-encoded for
// ARNs), a JSON "modelId" field (a CloudTrail record's requestParameters, a
// client's config dump), Claude Code's "API Error (X): ..." and Strands'
// "Model id: X".
func (p *parser) calledModel() string {
	s, lower := p.s, p.lower
	// "Value 'X' at 'modelId'" and "... at 'a.b.modelArn'".
	for off := 0; off < len(lower); {
		i := strings.Index(lower[off:], "' at '")
		if i < 0 {
			break
		}
		i += off
		off = i + len("' at '")
		field := lower[off:]
		field = field[:fieldEnd(field, "' ")]
		if !strings.HasSuffix(field, "modelid") && !strings.HasSuffix(field, "modelarn") {
			continue
		}
		// A value is at most 2048 bytes: look back no further, so a text
		// made of thousands of "' at '" stays linear.
		from := max(0, i-2048-len("value '"))
		if j := lastIndex(lower[from:i], "value '"); j >= 0 {
			return s[from+j+len("value '") : i]
		}
	}
	for off := 0; off < len(lower); {
		i := strings.Index(lower[off:], "/model/")
		if i < 0 {
			break
		}
		rest := s[off+i+len("/model/"):]
		off += i + len("/model/")
		end := strings.IndexByte(rest, '/')
		if end <= 0 || end > 2048 || strings.ContainsAny(rest[:end], " \t\"'<>") {
			continue
		}
		for _, op := range runtimePaths {
			if strings.HasPrefix(asciiLower(rest[end:min(len(rest), end+len(op))]), op) {
				id, err := url.PathUnescape(rest[:end])
				if err != nil {
					id = rest[:end]
				}
				return id
			}
		}
	}
	if strings.ContainsRune(s, '"') {
		for _, k := range []string{"modelId", "modelID", "model_id"} {
			if v, ok := jsonString(s, k); ok && v != "" && len(v) <= 2048 {
				return v
			}
		}
	}
	for _, k := range []string{"api error (", "model id: "} {
		if i := strings.Index(lower, k); i >= 0 {
			v := s[i+len(k):]
			if id := trimSentenceDot(token(v)); modelShaped(id) {
				return id
			}
		}
	}
	return ""
}

// modelFromARN returns the model or inference profile id of a Bedrock
// resource ARN; for other Bedrock model resources (application profiles,
// provisioned and custom models) the ARN itself, which is what a caller
// passes as modelId. bedrockid checks the ARN strictly; texts with a
// reporter's redactions ("arn:aws:bedrock:us-east-1:<account>:...") fail
// that check and are read leniently here.
func modelFromARN(s string) string {
	if id, err := bedrockid.Parse(s); err == nil {
		switch id.Kind {
		case bedrockid.KindFoundationModel, bedrockid.KindInferenceProfile:
			return id.ResourceID
		}
		return s
	}
	a, err := arn.Parse(s)
	if err != nil || a.Service != "bedrock" {
		return ""
	}
	typ, id, ok := strings.Cut(a.Resource, "/")
	if !ok || id == "" {
		return ""
	}
	switch typ {
	case "foundation-model", "inference-profile":
		return id
	case "application-inference-profile", "provisioned-model", "custom-model", "custom-model-deployment",
		"imported-model", "prompt-router", "default-prompt-router":
		return s
	}
	return ""
}

// cleanField removes control characters and surrounding space from a value
// copied out of untrusted text.
func cleanField(s string) string {
	s = strings.TrimSpace(s)
	clean := true
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			r = ' '
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// quoteCapped quotes s for a Detail line, capped at n bytes. s comes from
// ParseMessage, so it holds no control character to escape.
func quoteCapped(s string, n int) string {
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return `"` + s[:cut] + `…"`
	}
	return `"` + s + `"`
}
