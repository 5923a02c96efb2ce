package awsfake

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// Bedrock API keys (bearer tokens), as AWS documents them:
//
//   - Two kinds (https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html,
//     https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-how.html):
//     a short-term key "inherits permissions from the IAM principal used to
//     generate it", is valid for the shorter of 12 hours and the session
//     that generated it, and "can be used only in the AWS Region from which
//     you generated it"; a long-term key "creates an IAM user with attached
//     policies" (AmazonBedrockLimitedAccess,
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_bedrock.html),
//     named BedrockAPIKey-xxxx by the console (denials name it: "User:
//     arn:aws:iam::ACCOUNT:user/BedrockAPIKey-hr8l is not authorized to
//     perform: bedrock:Converse", code-search id 69737226277).
//   - Using either is authorized as bedrock:CallWithBearerToken, with the
//     condition key bedrock:BearerTokenType = SHORT_TERM or LONG_TERM
//     (https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-permissions.html;
//     the Service Authorization Reference,
//     https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html,
//     lists the action without a resource type, so its denials name
//     resource "*": "is not authorized to perform:
//     bedrock:CallWithBearerToken on resource: * because no identity-based
//     policy allows the action", code-search ids 68681698277 and
//     69839884588). The fake authorizes it after authentication and before
//     the operation's own action. An organization blocks keys with an SCP
//     on it (aws-samples/service-control-policy-examples,
//     Deny-Bedrock-api-keys.json), seen as "…not authorized to perform:
//     bedrock:CallWithBearerToken … explicit deny in a service control
//     policy" (code-search id 71304185461).
//   - A short-term key is "a pre-signed URL that uses AWS Signature Version
//     4" (id_credentials_bedrock.html): the AWS token generator
//     (aws/aws-bedrock-token-generator-python, token_generator.py) presigns
//     POST https://bedrock.amazonaws.com/?Action=CallWithBearerToken for
//     service "bedrock" in the key's region, drops "https://", appends
//     "&Version=1", base64-encodes it and prefixes "bedrock-api-key-". The
//     fake verifies such a key as AWS would a presigned request: the
//     signature with the secret it issued, the signing region against the
//     endpoint's, the expiry against X-Amz-Date + X-Amz-Expires and the
//     session's own expiry.
//   - A long-term key starts with "ABSK" (the AWS Security Blog's scan
//     pattern, "Securing Amazon Bedrock API keys", 2025-10-17); the rest of
//     its layout is UNCONFIRMED: the fake encodes the public alias
//     "<user>-at-<account>" and a secret.
//
// The texts AWS answers when it cannot use a key (a 403 whose JSON body has
// only "Message", no error type):
//
//   - a key of another region or an expired one: msgAPIKeyInvalid (a key
//     "created in another region than the client's",
//     https://github.com/ai4s-research/open-science/issues/53; "Bearer token
//     expired, or minted for a different region", code-search id
//     68321238213). The text for an expired long-term key is UNCONFIRMED
//     (the fake uses the same one);
//   - a token that is not a Bedrock API key at all (an OpenAI key, an SSO
//     or OIDC access token): msgAPIKeyFormat (code-search ids 60371245298,
//     62717619092, 53239710046, 46523396059).
//
// [User.BearerToken] keys predate this: the fake authorizes them without
// bedrock:CallWithBearerToken, so worlds written before it keep their
// meaning. [User.APIKey] and [World.ShortTermAPIKey] keys are authorized as
// AWS does.

// The bearer token types of bedrock:BearerTokenType.
const (
	BearerLongTerm  = "LONG_TERM"
	BearerShortTerm = "SHORT_TERM"
)

const (
	actionCallWithBearerToken = "bedrock:CallWithBearerToken"
	shortTermPrefix           = "bedrock-api-key-"
	longTermPrefix            = "ABSK"
	shortTermVersion          = "&Version=1"
	// shortTermMax is the longest a short-term key lives (12 hours).
	shortTermMax = 12 * time.Hour

	msgAPIKeyInvalid = "Authentication failed: Please make sure your API Key is valid."
	msgAPIKeyFormat  = "Invalid API Key format: Must start with pre-defined prefix"
)

// APIKeyUser creates the IAM user a long-term Bedrock API key made in the
// console belongs to, "BedrockAPIKey-" and four characters, with no policy:
// AWS attaches AmazonBedrockLimitedAccess (which allows
// bedrock:CallWithBearerToken); attach what the test means the user to
// have.
func (a *Account) APIKeyUser() *User {
	return a.User("BedrockAPIKey-" + strings.ToLower(randomID(4)))
}

// APIKey issues a long-term Bedrock API key for the user (IAM's
// CreateServiceSpecificCredential for bedrock.amazonaws.com). Its calls are
// authorized as bedrock:CallWithBearerToken with bedrock:BearerTokenType
// LONG_TERM, then as the operation's action, both for the user. A zero
// expires never expires.
func (u *User) APIKey(expires time.Time) string {
	w := u.account.world
	alias := u.Name + "-at-" + u.account.ID
	tok := longTermPrefix + base64.StdEncoding.EncodeToString([]byte(alias+":"+randomSecret()))
	c := &credential{Credentials: Credentials{AccessKeyID: "bearer:" + u.Name, Expires: expires}, user: u, bearer: BearerLongTerm}
	w.mu.Lock()
	w.bearers[tok] = c
	w.mu.Unlock()
	return tok
}

// ShortTermAPIKey mints a short-term Bedrock API key from credentials the
// world issued (a role session's or a user's access key), as the AWS token
// generator does: a SigV4 presigned URL for region, signed at signedAt
// (zero: now) and valid for lifetime (zero or over 12 hours: 12 hours). The
// key carries the credentials' principal with all its policies, session
// policies included; it works only at region's endpoint, until it or the
// credentials expire.
func (w *World) ShortTermAPIKey(c Credentials, region string, signedAt time.Time, lifetime time.Duration) string {
	if signedAt.IsZero() {
		signedAt = time.Now()
	}
	if lifetime <= 0 || lifetime > shortTermMax {
		lifetime = shortTermMax
	}
	u := "https://bedrock.amazonaws.com/?Action=CallWithBearerToken&X-Amz-Expires=" + strconv.Itoa(int(lifetime/time.Second))
	signed, err := presignBearer(c, u, region, signedAt)
	if err != nil {
		return shortTermPrefix
	}
	tok := shortTermPrefix + base64.StdEncoding.EncodeToString([]byte(strings.TrimPrefix(signed, "https://")+shortTermVersion))
	w.mu.Lock()
	// Kept for IssuedSecrets only: the key is verified from its contents.
	w.bearers[tok] = &credential{bearer: BearerShortTerm}
	w.mu.Unlock()
	return tok
}

// presignBearer presigns the token generator's request.
func presignBearer(c Credentials, rawURL, region string, at time.Time) (string, error) {
	req, err := http.NewRequest(http.MethodPost, rawURL, nil)
	if err != nil {
		return "", err
	}
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "bedrock", region, at)
	return signed, err
}

// bearerFailure is Bedrock refusing an API key before any authorization:
// a 403 with {"Message": ...} and no error type.
func bearerFailure(msg string) *apiError {
	return &apiError{Status: 403, Message: msg, Bare: true}
}

// authenticateBearer finds the caller of a request that carries a bearer
// token: a short-term key by its presigned URL, a long-term (or
// BearerToken) key by the world's record; then, for the keys AWS authorizes
// so, bedrock:CallWithBearerToken.
func (c *call) authenticateBearer(tok string) error {
	w := c.s.World
	var typ string
	switch {
	case strings.HasPrefix(tok, shortTermPrefix):
		cred, err := c.shortTermKey(tok)
		if err != nil {
			return err
		}
		c.cred, typ = cred, BearerShortTerm
	case strings.HasPrefix(tok, longTermPrefix):
		w.mu.Lock()
		cred := w.bearers[tok]
		w.mu.Unlock()
		if cred == nil || cred.bearer == BearerShortTerm {
			// An ABSK key the world never issued (or revoked): AWS's
			// answer is UNCONFIRMED; the fake keeps its SigV4 one.
			return c.authError("invalid")
		}
		if !cred.Expires.IsZero() && time.Now().After(cred.Expires) {
			return bearerFailure(msgAPIKeyInvalid)
		}
		c.cred, typ = cred, cred.bearer
	default:
		// Not a Bedrock API key at all: another vendor's key, an SSO or
		// OIDC access token. The app sent the wrong thing.
		c.bearerTruth = []string{truthWrongPrincipal}
		return bearerFailure(msgAPIKeyFormat)
	}
	if err := c.identify(); err != nil {
		return err
	}
	if typ == "" {
		return nil // a BearerToken key: authorized as before
	}
	return c.authorizeBearer(typ)
}

// shortTermKey verifies a short-term key as a presigned request and returns
// the credential that signed it.
func (c *call) shortTermKey(tok string) (*credential, error) {
	invalid := bearerFailure(msgAPIKeyInvalid)
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(tok, shortTermPrefix))
	if err != nil {
		return nil, invalid
	}
	u, err := url.Parse("https://" + strings.TrimSuffix(string(raw), shortTermVersion))
	if err != nil {
		return nil, invalid
	}
	q := u.Query()
	scope := strings.Split(q.Get("X-Amz-Credential"), "/")
	if q.Get("Action") != "CallWithBearerToken" || len(scope) != 5 || scope[3] != "bedrock" || scope[4] != "aws4_request" {
		return nil, invalid
	}
	akid, region := scope[0], scope[2]
	signedAt, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return nil, invalid
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || secs <= 0 || time.Duration(secs)*time.Second > shortTermMax {
		return nil, invalid
	}
	w := c.s.World
	w.mu.Lock()
	cred := w.keys[akid]
	w.mu.Unlock()
	if cred == nil || subtle.ConstantTimeCompare([]byte(q.Get("X-Amz-Security-Token")), []byte(cred.SessionToken)) != 1 {
		return nil, invalid
	}
	c.entry.AccessKeyID = akid
	got := q.Get("X-Amz-Signature")
	q.Del("X-Amz-Signature")
	u.RawQuery = q.Encode()
	want, err := presignBearer(cred.Credentials, u.String(), region, signedAt)
	if err != nil {
		return nil, invalid
	}
	wu, err := url.Parse(want)
	if err != nil || subtle.ConstantTimeCompare([]byte(wu.Query().Get("X-Amz-Signature")), []byte(got)) != 1 {
		return nil, invalid
	}
	now := time.Now()
	switch {
	case now.After(signedAt.Add(time.Duration(secs) * time.Second)):
		return nil, invalid // the key expired
	case !cred.Expires.IsZero() && now.After(cred.Expires):
		return nil, invalid // the session that minted it expired
	case region != c.region:
		return nil, invalid // a key of another region
	}
	return cred, nil
}

// authorizeBearer authorizes bedrock:CallWithBearerToken for the key's
// principal, with bedrock:BearerTokenType in the request context, and
// records the ground truth of a denial: every policy type that blocks it
// (the key's principal's policies are role-permissions, an SCP org-policy),
// and wrong-principal in place of the signer's own permissions when the
// app means to use a role the key's principal is not a session of.
func (c *call) authorizeBearer(typ string) error {
	set, err := c.policySet(nil, nil)
	if err != nil {
		return err
	}
	ctx := map[string][]string{"bedrock:BearerTokenType": {typ}}
	res := c.authorize(actionCallWithBearerToken, "*", c.principal.Account, ctx, set)
	if res.Decision == iampolicy.Allow {
		return nil
	}
	ts := truthSet{}
	ts.addBlocked(res, false)
	w := c.s.World
	w.mu.Lock()
	appRole := w.appRole
	w.mu.Unlock()
	if appRole != "" && c.principal.RoleARN != appRole {
		delete(ts, truthRolePermissions)
		ts.add(truthWrongPrincipal)
	}
	if len(ts) == 0 {
		ts.add(truthRolePermissions)
	}
	c.bearerTruth = ts.list()
	return &apiError{Status: 403, Code: "AccessDeniedException",
		Message:  deniedMessage(c.callerARN, actionCallWithBearerToken, "*", c.denySuffix(actionCallWithBearerToken, res)),
		Resource: "*"}
}
