package awsfake

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

var stsOps = map[string]handler{
	"GetCallerIdentity": stsGetCallerIdentity,
	"AssumeRole":        stsAssumeRole,
}

// stsGetCallerIdentity needs no permission and cannot be denied (sts
// api_op_GetCallerIdentity.go).
func stsGetCallerIdentity(c *call) error {
	c.entry.Decision = "allow"
	uid := c.principal.UniqueID
	return c.writeQuery(el("Arn", c.callerARN) + el("UserId", uid) + el("Account", c.principal.Account))
}

var (
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]+$`)
	externalIDPattern  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

func validationError(msg string) error {
	return &apiError{Status: 400, Code: "ValidationError", Message: msg}
}

// Texts from AWS.md §2.3 and the IAM user guide.
const (
	msgRootAssume       = "Roles may not be assumed by root accounts." // https://github.com/cloudposse/terraform-aws-vpc-peering-multi-account/issues/106
	msgDurationMax      = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
	msgDurationChaining = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
)

func stsAssumeRole(c *call) error {
	f := c.form
	roleARN, name := f.Get("RoleArn"), f.Get("RoleSessionName")
	if c.cred.root != nil {
		c.entry.Truth = []string{truthCredentials}
		return &apiError{Status: 403, Code: "AccessDenied", Message: msgRootAssume}
	}
	if len(roleARN) < 20 {
		return validationError("1 validation error detected: Value '" + roleARN + "' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20")
	}
	if len(name) < 2 || len(name) > 64 {
		return validationError("1 validation error detected: Value '" + name + "' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2")
	}
	if !sessionNamePattern.MatchString(name) {
		return validationError("1 validation error detected: Value '" + name + "' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")
	}
	duration := time.Hour
	if d := f.Get("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 900 || n > 43200 {
			return validationError("1 validation error detected: Value '" + d + "' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200")
		}
		duration = time.Duration(n) * time.Second
	}
	ext := f.Get("ExternalId")
	if _, ok := f["ExternalId"]; ok && (len(ext) < 2 || len(ext) > 1224 || !externalIDPattern.MatchString(ext)) {
		return validationError("1 validation error detected: Value '" + ext + "' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:/-]*")
	}
	srcIdent := f.Get("SourceIdentity")
	if strings.HasPrefix(strings.ToLower(srcIdent), "aws:") {
		return validationError("SourceIdentity cannot begin with 'aws:'")
	}
	tags := map[string]string{}
	var tagKeys []string
	for i := 1; ; i++ {
		k, ok := f["Tags.member."+strconv.Itoa(i)+".Key"]
		if !ok {
			break
		}
		tags[k[0]] = f.Get("Tags.member." + strconv.Itoa(i) + ".Value")
		tagKeys = append(tagKeys, k[0])
	}
	if len(tags) > 50 {
		return validationError("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	sessPolicy := f.Get("Policy")
	if sessPolicy != "" {
		if len(sessPolicy) > 2048 {
			return validationError("1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048")
		}
		if _, err := iampolicy.Parse(sessPolicy); err != nil {
			return &apiError{Status: 400, Code: "MalformedPolicyDocument", Message: "The policy is not in the valid JSON format."}
		}
	}
	var policyARNs []string
	for i := 1; ; i++ {
		v, ok := f["PolicyArns.member."+strconv.Itoa(i)+".arn"]
		if !ok {
			break
		}
		policyARNs = append(policyARNs, v[0])
	}
	if len(policyARNs) > 10 {
		return validationError("1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10")
	}
	mfa := f.Get("SerialNumber") != "" && f.Get("TokenCode") != ""
	ctx := map[string][]string{"sts:RoleSessionName": {name}}
	if ext != "" {
		ctx["sts:ExternalId"] = []string{ext}
	}
	if srcIdent != "" {
		ctx["sts:SourceIdentity"] = []string{srcIdent}
	}
	if mfa {
		ctx["aws:MultiFactorAuthPresent"] = []string{"true"}
	}
	for k, v := range tags {
		ctx["aws:RequestTag/"+k] = []string{v}
	}
	if len(tagKeys) > 0 {
		ctx["aws:TagKeys"] = tagKeys
	}

	denied := &apiError{Status: 403, Code: "AccessDenied", Message: deniedMessage(c.callerARN, "sts:AssumeRole", roleARN, ""), Resource: roleARN}
	role := c.s.World.roleByARN(roleARN)
	if role == nil {
		// A missing role is indistinguishable from a trust failure (AWS.md §2.3).
		c.assumeTruth(roleARN, nil, nil, ctx, len(tags) > 0, srcIdent != "")
		c.entry.Decision = "deny"
		return denied
	}
	w := c.s.World
	w.mu.Lock()
	trustDoc, maxSession := role.Trust, role.MaxSessionDuration
	w.mu.Unlock()
	trust, err := parsePolicy("trust:"+role.ARN(), iampolicy.TypeTrust, trustDoc)
	if err != nil {
		return err
	}
	set, err := c.policySet(role.account, []iampolicy.NamedPolicy{trust})
	if err != nil {
		return err
	}
	c.assumeTruth(roleARN, role, &trust, ctx, len(tags) > 0, srcIdent != "")
	if res := c.authorize("sts:AssumeRole", role.ARN(), role.account.ID, ctx, set); res.Decision != iampolicy.Allow {
		return denied
	}
	if len(tags) > 0 {
		if res := c.authorize("sts:TagSession", role.ARN(), role.account.ID, ctx, set); res.Decision != iampolicy.Allow {
			return &apiError{Status: 403, Code: "AccessDenied", Message: deniedMessage(c.callerARN, "sts:TagSession", roleARN, ""), Resource: roleARN}
		}
	}
	if srcIdent != "" {
		if res := c.authorize("sts:SetSourceIdentity", role.ARN(), role.account.ID, ctx, set); res.Decision != iampolicy.Allow {
			return &apiError{Status: 403, Code: "AccessDenied", Message: deniedMessage(c.callerARN, "sts:SetSourceIdentity", roleARN, ""), Resource: roleARN}
		}
	}
	chained := c.cred.session != nil
	if chained && duration > time.Hour {
		return validationError(msgDurationChaining)
	}
	if duration > maxSession {
		return validationError(msgDurationMax)
	}
	sess := &Session{Role: role, Name: name, SourceIdent: srcIdent, Tags: tags, Policy: sessPolicy, PolicyARNs: policyARNs,
		Expires: time.Now().Add(duration).UTC().Truncate(time.Second), Chained: chained, SourceArn: c.callerARN, MFAPresent: mfa}
	if prev := c.cred.session; prev != nil {
		for _, k := range prev.TransitiveTK {
			if _, ok := sess.Tags[k]; !ok {
				sess.Tags[k] = prev.Tags[k]
			}
		}
		sess.TransitiveTK = append(sess.TransitiveTK, prev.TransitiveTK...)
	}
	sess.TransitiveTK = append(sess.TransitiveTK, formList(f, "TransitiveTagKeys")...)
	cred := c.s.World.issueSession(sess, c.cred.endpoint)
	inner := "\n    <Credentials>" + el("AccessKeyId", cred.AccessKeyID) + el("SecretAccessKey", cred.SecretAccessKey) +
		el("SessionToken", cred.SessionToken) + el("Expiration", cred.Expires.Format(time.RFC3339)) + "</Credentials>\n    <AssumedRoleUser>" +
		el("AssumedRoleId", role.UniqueID+":"+name) + el("Arn", sess.ARN()) + "</AssumedRoleUser>" + el("SourceIdentity", srcIdent)
	return c.writeQuery(inner)
}

// roleByARN finds a role by its full ARN (path included).
func (w *World) roleByARN(arn string) *Role {
	w.mu.Lock()
	defer w.mu.Unlock()
	a, name := w.iamEntity(arn, "role/")
	if a == nil || a.roles[name] == nil || a.roles[name].ARN() != arn {
		return nil
	}
	return a.roles[name]
}

// iamEntity splits an IAM ARN of the given resource type ("role/", "user/")
// into its account (nil if unknown) and the entity's name. w.mu is held.
func (w *World) iamEntity(arn, typ string) (*Account, string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "iam" || !strings.HasPrefix(parts[5], typ) {
		return nil, ""
	}
	return w.accounts[parts[4]], parts[5][strings.LastIndex(parts[5], "/")+1:]
}

func (w *World) issueSession(s *Session, endpoint string) *credential {
	tok := make([]byte, 96)
	copy(tok, []byte(randomSecret()+randomSecret()+randomSecret()))
	c := &credential{Credentials: Credentials{
		AccessKeyID:     "ASIA" + randomID(16),
		SecretAccessKey: randomSecret(),
		SessionToken:    "FwoGZXIvYXdzE" + base64.StdEncoding.EncodeToString(tok),
		Expires:         s.Expires,
	}, session: s, endpoint: endpoint}
	w.mu.Lock()
	w.keys[c.AccessKeyID] = c
	w.mu.Unlock()
	return c
}

// Assume issues a role session directly, without a request, for tests that
// start from the role's credentials.
func (w *World) Assume(r *Role, sessionName string, d time.Duration) Credentials {
	return w.issueSession(&Session{Role: r, Name: sessionName, Expires: time.Now().Add(d).UTC()}, "").Credentials
}

// AssumeByARN is Assume for the role with this ARN (path included); ok is
// false when the world has no such role.
func (w *World) AssumeByARN(roleARN, sessionName string, d time.Duration) (c Credentials, ok bool) {
	r := w.roleByARN(roleARN)
	if r == nil {
		return Credentials{}, false
	}
	return w.Assume(r, sessionName, d), true
}

// String makes sessions print without secrets.
func (s *Session) String() string { return fmt.Sprintf("session %s", s.ARN()) }
