package diagnose

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Bedrock API keys (bearer tokens) and the layers their failures belong to.
//
// What AWS documents:
//
//   - There are two kinds (https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html,
//     https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-how.html).
//     A long-term key "creates an IAM user with attached policies"
//     (AmazonBedrockLimitedAccess; the console names the user
//     BedrockAPIKey-xxxx) and authenticates as that user
//     (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_bedrock.html).
//     A short-term key is a SigV4 presigned URL that "inherits permissions
//     from the IAM principal used to generate it" (its session policy
//     included: the key is that session's credentials), is valid for the
//     shorter of 12 hours and that session, and "can be used only in the
//     AWS Region from which you generated it".
//   - Every call with a key is authorized as bedrock:CallWithBearerToken
//     before the operation's own action, with the condition key
//     bedrock:BearerTokenType = SHORT_TERM or LONG_TERM
//     (https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-permissions.html;
//     the action and the key in the Service Authorization Reference,
//     https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html).
//     Its denials follow the IAM grammar with resource "*".
//
// The layers:
//
//   - the key's principal lacks bedrock:CallWithBearerToken or the model
//     action: role-permissions of that principal (the long-term key's IAM
//     user, or the session that generated a short-term key, whose session
//     policy counts); wrong-principal when the app means to use a role the
//     key's principal is not a session of (checkPrincipal);
//   - an SCP or RCP on bedrock:CallWithBearerToken, often conditioned on
//     bedrock:BearerTokenType: org-policy (the texts name the SCP);
//   - a key used in another region than it was generated for, an expired
//     key, or one whose session ended: credentials ("Authentication failed:
//     Please make sure your API Key is valid.");
//   - a token that is not a Bedrock API key at all (another vendor's key,
//     an SSO or OIDC access token): wrong-principal ("Invalid API Key
//     format: Must start with pre-defined prefix").
//
// The sources of the texts are in testdata/messages (059, 118–127).

// The bedrock:BearerTokenType values.
const (
	BearerLongTerm  = "LONG_TERM"
	BearerShortTerm = "SHORT_TERM"
)

const (
	shortTermKeyPrefix = "bedrock-api-key-"
	longTermKeyPrefix  = "ABSK"
)

// BearerKey is what a bearer token says about itself, read without keeping
// any of its secret parts: the kind of Bedrock API key, and for a
// short-term key the region and the validity its presigned URL carries in
// clear (X-Amz-Credential's scope, X-Amz-Date, X-Amz-Expires). Its fields
// may appear in reports; the token never does.
type BearerKey struct {
	// Type is the key's bedrock:BearerTokenType, BearerLongTerm (the token
	// starts with "ABSK") or BearerShortTerm ("bedrock-api-key-", the AWS
	// token generator's prefix); "" when the token is neither: not a
	// Bedrock API key.
	Type string
	// Region is the region a short-term key was generated for, "" when
	// unreadable.
	Region string
	// SignedAt and Expires bound a short-term key's validity (the session
	// that generated it may end sooner); zero when unreadable.
	SignedAt, Expires time.Time
	// User and Account name a long-term key's IAM user when the key
	// carries its alias ("BedrockAPIKey-xxxx-at-ACCOUNT"; that layout is
	// UNCONFIRMED, so both may be empty).
	User, Account string
	// BearerPrefixed reports a value that itself starts with "Bearer ":
	// the SDK adds the scheme, so AWS then sees "Bearer Bearer ...".
	BearerPrefixed bool
	// Source says where the client took the token, e.g.
	// "AWS_BEARER_TOKEN_BEDROCK".
	Source string
}

// ParseBearerKey reads a bearer token's kind, and what a short-term key
// carries in clear. It keeps nothing secret (no signature, session token
// or key material) and never fails: what it cannot read stays empty.
func ParseBearerKey(token string) BearerKey {
	var k BearerKey
	token = strings.TrimSpace(token)
	if rest, ok := strings.CutPrefix(token, "Bearer "); ok {
		k.BearerPrefixed = true
		token = strings.TrimSpace(rest)
	}
	switch {
	case strings.HasPrefix(token, shortTermKeyPrefix):
		k.Type = BearerShortTerm
		if k.BearerPrefixed {
			return k
		}
		raw, ok := decodeBase64(strings.TrimPrefix(token, shortTermKeyPrefix))
		if !ok {
			return k
		}
		s := string(raw)
		if i := strings.LastIndex(s, "&Version="); i >= 0 {
			s = s[:i]
		}
		u, err := url.Parse("https://" + s)
		if err != nil {
			return k
		}
		q := u.Query()
		if scope := strings.Split(q.Get("X-Amz-Credential"), "/"); len(scope) == 5 && isRegion(scope[2]) {
			k.Region = scope[2]
		}
		if at, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date")); err == nil {
			k.SignedAt = at
			if secs, err := strconv.Atoi(q.Get("X-Amz-Expires")); err == nil && secs > 0 {
				k.Expires = at.Add(time.Duration(secs) * time.Second)
			}
		}
	case strings.HasPrefix(token, longTermKeyPrefix):
		k.Type = BearerLongTerm
		if k.BearerPrefixed {
			return k
		}
		raw, ok := decodeBase64(strings.TrimPrefix(token, longTermKeyPrefix))
		if !ok {
			return k
		}
		// "<user>-at-<account>:<secret>": only what precedes the colon.
		alias, _, found := strings.Cut(string(raw), ":")
		i := strings.LastIndex(alias, "-at-")
		if !found || i <= 0 {
			return k
		}
		user, acct := alias[:i], alias[i+len("-at-"):]
		if len(acct) == 12 && strings.Trim(acct, "0123456789") == "" && validUserName(user) {
			k.User, k.Account = user, acct
		}
	}
	return k
}

func decodeBase64(s string) ([]byte, bool) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, true
	}
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	return b, err == nil
}

// validUserName reports an IAM user name ([\w+=,.@-]{1,64}).
func validUserName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isIdentByte(c) || strings.IndexByte("+=,.@-", c) >= 0) {
			return false
		}
	}
	return true
}

// describe says what the key is, for a check's detail.
func (k BearerKey) describe() string {
	var s string
	switch k.Type {
	case BearerLongTerm:
		s = "a long-term Bedrock API key"
		if k.User != "" {
			s += " of IAM user " + k.User + " in account " + k.Account
		}
	case BearerShortTerm:
		s = "a short-term Bedrock API key"
		if k.Region != "" {
			s += " generated for " + k.Region
		}
		if !k.Expires.IsZero() {
			s += ", valid until " + k.Expires.UTC().Format(time.RFC3339)
		}
	default:
		s = "a bearer token that is not a Bedrock API key (it starts with neither ABSK nor bedrock-api-key-)"
	}
	if k.BearerPrefixed {
		s += ", whose value itself starts with \"Bearer \""
	}
	if k.Source != "" {
		s += ", from " + k.Source
	}
	return s
}

// apiKeyUser reports a principal that is the IAM user of a long-term key
// made in the console (BedrockAPIKey-xxxx).
func apiKeyUser(principal string) bool {
	a, err := arn.Parse(principal)
	return err == nil && a.Service == "iam" && strings.HasPrefix(a.Resource, "user/BedrockAPIKey-")
}

// isBearerAction reports the action that authorizes a call made with a
// Bedrock API key (bedrock:CallWithBearerToken, or bedrock-mantle's for
// the OpenAI-compatible endpoint).
func isBearerAction(action string) bool {
	_, name, ok := strings.Cut(action, ":")
	return ok && strings.EqualFold(name, "CallWithBearerToken") && strings.HasPrefix(strings.ToLower(action), "bedrock")
}

// keyHolder names whose permissions a key carries, from the principal a
// denial names.
func (e *explainer) keyHolder() string {
	p := e.m.Principal
	switch {
	case p == "":
		return "the API key's principal"
	case apiKeyUser(p):
		return p + " (the IAM user of a long-term Bedrock API key)"
	case e.sessionRole() != "":
		return p + " (the role session whose credentials generated a short-term Bedrock API key)"
	}
	return p
}

// holderPolicies names the identity policies a denial of the Bedrock call
// is about: the role's, or a long-term API key's IAM user's.
func (e *explainer) holderPolicies() string {
	if apiKeyUser(e.m.Principal) {
		return "The identity policies of " + e.m.Principal + " (the IAM user of the long-term Bedrock API key)"
	}
	return "The role's identity policies"
}

// bearerKey explains Bedrock refusing the key itself, before any
// authorization.
func (e *explainer) bearerKey() {
	if e.m.Kind == KindBearerKeyNotBedrock {
		e.set(LayerWrongPrincipal, nil,
			"the bearer token sent to Bedrock is not a Bedrock API key (every one starts with ABSK, long-term, or bedrock-api-key-, short-term): another vendor's API key, an SSO or OIDC access token, or a placeholder was sent where a Bedrock API key belongs",
			"Set AWS_BEARER_TOKEN_BEDROCK (or the tool's Bedrock API key setting) to the key exactly as Bedrock issued it, without a \"Bearer \" prefix: a long-term key from the Bedrock console (API keys) or a short-term one from the AWS token generator; or unset it so the client signs with AWS credentials. An SSO or OIDC token is exchanged for AWS credentials (aws sso login, a profile, AssumeRoleWithWebIdentity), never sent to Bedrock as a bearer token.")
		return
	}
	e.set(LayerCredentials, nil,
		"Bedrock did not accept the API key (bearer token)"+e.where()+": it has expired, was revoked, or is a short-term key used in another region than the one it was generated for",
		"A short-term key works only in the region it was generated for and for at most 12 hours (or what remained of the session that generated it): generate a new one for the region the client calls. A long-term key may have expired or been deleted: create a new one (Bedrock console, API keys). Or unset AWS_BEARER_TOKEN_BEDROCK so the client signs with IAM credentials.")
}

// bearerDenied explains an IAM denial of bedrock:CallWithBearerToken: the
// key authenticated, and its principal may not use a key.
func (e *explainer) bearerDenied() {
	m, r := e.m, e.r
	who := e.keyHolder()
	what := m.Action + " (the permission every call made with a Bedrock API key needs, besides the operation's own action)"
	shortTerm := e.sessionRole() != ""
	switch m.PolicyType {
	case PolicyIdentity, PolicyPermissionBoundary, PolicySession:
		summary := e.denies(who, what)
		var fix string
		switch {
		case m.Explicit:
			fix = "Remove or narrow the Deny for " + m.Action + " in " + policyName(m) + " of " + valueOr(m.Principal, "the key's principal") + e.policyRef() + " (it may be conditioned on bedrock:BearerTokenType), or call Bedrock with AWS credentials (SigV4) instead of the API key: unset AWS_BEARER_TOKEN_BEDROCK."
		case m.PolicyType == PolicySession:
			fix = "The short-term key carries the session policy of the session that generated it: generate the key from a session whose session policy allows " + m.Action + " and the model action (or that has no session policy), or call Bedrock with AWS credentials (SigV4) instead of the API key."
		case shortTerm:
			r.FixPlace = bearerPlace(m, e.sessionRole())
			fix = "Allow " + m.Action + " (Resource \"*\") in " + r.FixPlace + ", the role whose session generated the short-term key" + unreadCaveat("that policy", m.Action) + ", or call Bedrock with the role's AWS credentials (SigV4) instead of the API key."
			r.FixPolicy = policyJSON(statement{Effect: "Allow", Action: []string{m.Action}, Resource: []string{"*"}})
		case m.Principal == "":
			// No principal named: no place to paste a policy, only words.
			fix = "Allow " + m.Action + " (Resource \"*\") in the " + policyName(m) + " of the key's principal: the IAM user of a long-term key (AmazonBedrockLimitedAccess, which the console attaches to it, allows it), or the role or user whose credentials generated a short-term key; or call Bedrock with AWS credentials (SigV4) instead of the API key."
		default:
			r.FixPlace = bearerPlace(m, m.Principal)
			fix = "Allow " + m.Action + " (Resource \"*\") in " + r.FixPlace + " (the AWS managed policy AmazonBedrockLimitedAccess, which a long-term key's user gets when the console creates it, allows it)" + unreadCaveat("that policy", m.Action) + ", or call Bedrock with AWS credentials (SigV4) instead of the API key: unset AWS_BEARER_TOKEN_BEDROCK."
			r.FixPolicy = policyJSON(statement{Effect: "Allow", Action: []string{m.Action}, Resource: []string{"*"}})
		}
		e.set(LayerRolePermissions, nil, summary, fix)
	case PolicySCP, PolicyRCP:
		e.set(LayerOrgPolicy, nil,
			"the organization blocks Bedrock API keys: "+e.orgDenies(what, who)+" (such a policy may deny only one bedrock:BearerTokenType, LONG_TERM or SHORT_TERM)",
			"Call Bedrock with AWS credentials (SigV4: an IAM role or the app's AWS credentials; unset AWS_BEARER_TOKEN_BEDROCK) instead of the API key, which the organization blocks on purpose; if the policy denies only one key type, a key of the other type may be allowed; or ask the organization's administrators for an exemption.")
	case PolicyVPCEndpoint:
		e.set(LayerEndpointPolicy, nil, "a VPC endpoint policy denies "+m.Action+" (calls made with a Bedrock API key) for "+who,
			"Allow "+m.Action+" in the Bedrock VPC endpoint's policy (the network owner's change), or call Bedrock with AWS credentials (SigV4) instead of the API key.")
	default:
		e.set(LayerUnknown, []Layer{LayerRolePermissions, LayerOrgPolicy, LayerEndpointPolicy},
			who+" may not use a Bedrock API key ("+m.Action+" was denied), and the text names no policy type",
			"Either no policy of the key's principal allows "+m.Action+" (a long-term key's IAM user, or the session that generated a short-term key, session policy included), an SCP blocks API keys (possibly for one bedrock:BearerTokenType only), or a VPC endpoint policy denies it; run the checks, or call Bedrock with AWS credentials (SigV4) instead of the key.")
	}
}

// bearerRefined completes an in-call report for a call made with a bearer
// token, from what the client knows about the token, and reports whether
// the report is final. It is final when the report is about the key's
// principal: the checks act with SigV4 credentials, which did not sign the
// call (and a Bedrock API key cannot call IAM or STS at all,
// https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-reference.html),
// so what they find about their own principal would not be evidence about
// the key's. Only a model-id or region reading, which does not depend on
// who calls, goes on to the checks.
func bearerRefined(r *Report, m Message, call Call) bool {
	if !call.BearerToken {
		return false
	}
	c := Check{Name: "client.bearer-token", Layer: LayerCredentials, Status: StatusPass,
		Detail: "the call was authenticated with a Bedrock API key (bearer token), not with the SigV4 credentials of the client's configuration"}
	if k := call.BearerKey; k != nil {
		c.Detail = "the call was made with " + k.describe() + "; the SigV4 credentials of the client's configuration did not sign it"
		switch {
		case k.Type == "":
			c.Layer, c.Status = LayerWrongPrincipal, StatusFail
		case m.Kind == KindBearerKeyInvalid:
			c.Status = StatusUnknown
			bearerInvalid(r, &c, *k, call.Region)
		}
		if m.Kind == KindBearerKeyNotBedrock && k.Type != "" {
			// The client reads the token as a Bedrock key, AWS does not:
			// a value mangled on its way (quotes, a cut) is the likely
			// cause.
			r.Summary += "; the client's token starts like " + k.describe() + ", so it may have been altered on its way (quotes, whitespace, a truncation)"
		}
		if k.BearerPrefixed && (r.Layer == LayerWrongPrincipal || r.Layer == LayerCredentials) {
			r.Fix = "Remove the \"Bearer \" prefix from the value of " + orElse(k.Source, "the bearer token") + ": the SDK adds the scheme itself. " + r.Fix
		}
	} else if m.Kind == KindBearerKeyInvalid || m.Kind == KindBearerKeyNotBedrock {
		c.Status = StatusUnknown
	}
	r.Checks = append(r.Checks, c)
	for _, l := range append([]Layer{r.Layer}, r.Candidates...) {
		switch l {
		case LayerModelID, LayerRegion, LayerUnknown, LayerNone:
		default:
			return true
		}
	}
	return false
}

// bearerInvalid names why Bedrock did not accept a key, where the key's
// own fields tell: a short-term key of another region, or an expired one.
func bearerInvalid(r *Report, c *Check, k BearerKey, region string) {
	switch {
	case k.Type == BearerShortTerm && k.Region != "" && region != "" && k.Region != region:
		c.Status = StatusFail
		r.Summary = "the short-term Bedrock API key was generated for " + k.Region + " and the client calls " + region + ": a short-term key can be used only in the region it was generated in"
		r.Fix = "Generate the short-term key for " + region + " (the token generator's region argument, or the console switched to " + region + "), or point the client at " + k.Region + "; a long-term key is not bound to a region."
	case !k.Expires.IsZero() && time.Now().After(k.Expires):
		c.Status = StatusFail
		r.Summary = "the short-term Bedrock API key expired at " + k.Expires.UTC().Format(time.RFC3339) + " (it was valid for " + k.Expires.Sub(k.SignedAt).String() + ")"
		r.Fix = "Generate a new short-term key (they last at most 12 hours, or what remains of the session that generates them), and refresh it before it expires (the token generator's provider does); or call Bedrock with AWS credentials (SigV4)."
	case k.Type == BearerShortTerm && !k.Expires.IsZero():
		r.Summary = "Bedrock did not accept the short-term API key, although it was generated for " + orElse(k.Region, "this region") + " and is valid until " + k.Expires.UTC().Format(time.RFC3339) + ": the session whose credentials generated it has most likely expired or been revoked (a short-term key lives no longer than that session), or the key was altered"
		r.Fix = "Generate a new short-term key from current credentials (a session that lasts as long as the key must), or call Bedrock with AWS credentials (SigV4)."
	case k.Type == BearerLongTerm && k.User != "":
		r.Summary = "Bedrock did not accept the long-term API key of IAM user " + k.User + " in account " + k.Account + ": it has expired or was deleted (or deactivated)"
		r.Fix = "Create a new long-term key for " + k.User + " (Bedrock console, API keys, or iam create-service-specific-credential), or reactivate the key; or call Bedrock with AWS credentials (SigV4)."
	}
}

// bearerPrincipalNote says, for a wrong-principal report, which key signed
// the call and how to stop the client from using it.
func bearerPrincipalNote(call Call) (note, fix string) {
	k := call.BearerKey
	what, src, acts := "a Bedrock API key", "AWS_BEARER_TOKEN_BEDROCK", ""
	if k != nil {
		switch k.Type {
		case BearerLongTerm:
			what, acts = "a long-term Bedrock API key", ", which acts as its own IAM user"
		case BearerShortTerm:
			what, acts = "a short-term Bedrock API key", ", which acts as the principal whose credentials generated it"
		}
		if k.Source != "" {
			src = k.Source
		}
	}
	note = " (the call used " + what + " from " + src + acts + ")"
	if src == "AWS_BEARER_TOKEN_BEDROCK" {
		return note, "unset AWS_BEARER_TOKEN_BEDROCK, or use client.WithRole(\"" + call.RoleARN + "\"), which signs with the role's credentials even when the variable is set"
	}
	return note, "stop sending the API key: remove the bearer token from the client's configuration (" + src + ", and httpBearerAuth from its auth scheme preference), or use client.WithRole(\"" + call.RoleARN + "\"), which signs with the role's credentials"
}

// bearerPlace names where a key principal's fix goes, in the words every
// fix uses (fixPlace): its boundary when the text names one, else its
// identity policy.
func bearerPlace(m *Message, principal string) string {
	kind := placeIdentity
	if m.PolicyType == PolicyPermissionBoundary {
		kind = placeBoundary
	}
	return fixPlace{kind: kind, principal: principal}.String()
}
