package iampolicy

import "strings"

// env is one request's view for evaluation: context lookups (keys compare
// case-insensitively), the global keys derived from the principal, and the
// missing keys collected for the explanation. It is built once per Evaluate.
type env struct {
	req *Request
	ctx []ctxEntry // req.Context as a slice: cheaper to scan than the map

	principalArn  [1]string
	account       [1]string
	orgID         [1]string
	username      [1]string
	userid        [1]string
	principalType [1]string
	isService     [1]string
	tag           [1]string // scratch for aws:PrincipalTag/* lookups

	isSession bool
	isRoot    bool
	// isServicePrincipal: the caller is an AWS service, named by its
	// service principal (bedrock.amazonaws.com), not by an ARN.
	isServicePrincipal bool
	// hasBoundary: the caller has a permissions boundary (it changes how
	// NotPrincipal applies to it).
	hasBoundary bool
	partition   string

	missing []string

	// open is req.Open: keys neither in the context nor derivable from the
	// principal are unknown rather than absent.
	open bool
	// touched collects the unknown keys the statement being evaluated read
	// (its condition keys and the policy variables its patterns resolved);
	// non-empty only for an open request.
	touched []string
	// touches counts touch calls, duplicates included: a pattern depends
	// on unknown keys if the count grew while it was evaluated.
	touches int
}

type ctxEntry struct {
	key  string
	vals []string
}

const principalTagPrefix = "aws:PrincipalTag/"

func newEnv(req *Request) *env {
	e := &env{req: req, open: req.Open}
	if len(req.Context) > 0 {
		e.ctx = make([]ctxEntry, 0, len(req.Context))
		for k, v := range req.Context {
			e.ctx = append(e.ctx, ctxEntry{k, v})
		}
	}
	p := &req.Principal
	e.partition = arnField(p.ARN, 1)
	service, resource := arnField(p.ARN, 2), arnField(p.ARN, 5)
	switch {
	case service == "sts" && strings.HasPrefix(resource, "assumed-role/"):
		e.isSession = true
		e.principalType[0] = "AssumedRole"
	case service == "sts" && strings.HasPrefix(resource, "federated-user/"):
		e.principalType[0] = "FederatedUser"
	case service == "iam" && resource == "root":
		e.isRoot = true
		e.principalType[0] = "Account"
	case service == "iam" && strings.HasPrefix(resource, "user/"):
		e.principalType[0] = "User"
		e.username[0] = resource[strings.LastIndexByte(resource, '/')+1:]
	}
	// aws:PrincipalArn is the role ARN for a role session
	// (reference_policies_condition-keys.html#condition-keys-principalarn).
	e.principalArn[0] = p.ARN
	if p.RoleARN != "" {
		e.principalArn[0] = p.RoleARN
	}
	// aws:PrincipalIsAWSService is present on every signed request
	// (reference_policies_condition-keys.html#condition-keys-principalisawsservice);
	// a service principal is named by its service name, not an ARN.
	switch {
	case p.ARN == "":
	case strings.HasPrefix(p.ARN, "arn:"):
		e.isService[0] = "false"
	case strings.HasSuffix(p.ARN, ".amazonaws.com"):
		e.isService[0] = "true"
	}
	// A service principal is a service name, never an ARN
	// (reference_policies_elements_principal.html#principal-services).
	e.isServicePrincipal = p.ARN != "" && !strings.HasPrefix(p.ARN, "arn:")
	e.account[0] = p.Account
	e.orgID[0] = p.OrgID
	// aws:userid is "role-id:session-name" for a role session, the unique id
	// for a user and the account id for root
	// (reference_policies_variables.html#policy-vars-infotouse).
	switch {
	case e.isRoot:
		e.userid[0] = p.Account
	case e.isSession && p.UniqueID != "" && !strings.Contains(p.UniqueID, ":"):
		e.userid[0] = p.UniqueID + ":" + resource[strings.LastIndexByte(resource, '/')+1:]
	default:
		e.userid[0] = p.UniqueID
	}
	return e
}

// arnField returns the i-th colon-delimited field of an ARN (the sixth keeps
// its colons), or "" if there is none.
func arnField(arn string, i int) string {
	for n := 0; n < i; n++ {
		j := strings.IndexByte(arn, ':')
		if j < 0 {
			return ""
		}
		arn = arn[j+1:]
	}
	if i < arnSegments-1 {
		if j := strings.IndexByte(arn, ':'); j >= 0 {
			return arn[:j]
		}
	}
	return arn
}

// lookup returns the values of a context key and whether it is present. A
// key given with a nil slice is absent; with an empty non-nil slice it is
// present with no values. Explicit context values win over values derived
// from the principal.
func (e *env) lookup(key string) ([]string, bool) {
	if v, ok := e.fromContext(key); ok {
		return v, v != nil
	}
	one := func(a *[1]string) ([]string, bool) {
		if a[0] == "" {
			return nil, false
		}
		return a[:], true
	}
	switch {
	case strings.EqualFold(key, "aws:PrincipalArn"):
		return one(&e.principalArn)
	case strings.EqualFold(key, "aws:PrincipalAccount"):
		return one(&e.account)
	case strings.EqualFold(key, "aws:PrincipalOrgID"):
		return one(&e.orgID)
	case strings.EqualFold(key, "aws:username"):
		return one(&e.username)
	case strings.EqualFold(key, "aws:userid"):
		return one(&e.userid)
	case strings.EqualFold(key, "aws:PrincipalType"):
		return one(&e.principalType)
	case strings.EqualFold(key, "aws:PrincipalIsAWSService"):
		return one(&e.isService)
	case len(key) > len(principalTagPrefix) && strings.EqualFold(key[:len(principalTagPrefix)], principalTagPrefix):
		if v, ok := e.tagValue(key[len(principalTagPrefix):]); ok {
			e.tag[0] = v
			return e.tag[:], true
		}
	}
	return nil, false
}

// fromContext looks key up in the request context. Keys compare
// case-insensitively; an exact match wins over another spelling.
func (e *env) fromContext(key string) ([]string, bool) {
	if v, ok := e.req.Context[key]; ok {
		return v, true
	}
	for i := range e.ctx {
		if strings.EqualFold(e.ctx[i].key, key) {
			return e.ctx[i].vals, true
		}
	}
	return nil, false
}

func (e *env) tagValue(name string) (string, bool) {
	for k, v := range e.req.Principal.Tags {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// variable resolves ${key}: only single-valued keys can be policy variables
// (reference_policies_variables.html). For an open request, a variable whose
// key is unknown resolves as absent, as for a closed one, and is recorded in
// touched: the pattern's outcome depends on it.
func (e *env) variable(key string) (string, bool) {
	if e.open && !e.known(key) {
		e.touch(key)
	}
	if len(key) > len(principalTagPrefix) && strings.EqualFold(key[:len(principalTagPrefix)], principalTagPrefix) {
		// Resolved without lookup so that the tag scratch slot a condition
		// may be iterating over is not overwritten.
		if v, ok := e.fromContext(key); ok {
			if len(v) != 1 {
				return "", false
			}
			return v[0], true
		}
		return e.tagValue(key[len(principalTagPrefix):])
	}
	v, _ := e.lookup(key)
	if len(v) != 1 {
		return "", false
	}
	return v[0], true
}

// known reports whether the value (or the absence) of key is known. For a
// closed request every key is: absent means absent. For an open one (a
// diagnosis that sees only part of the real request) a key is known when the
// context names it, even with a nil slice (known to be absent), or when the
// principal determines it. The principal's ARN, account, type and ids
// determine the keys derived from them; aws:PrincipalOrgID is known only if
// the organization was resolved, aws:PrincipalTag/* only if the tags were
// read (a non-nil empty map: known to have none). Every other key, such as
// aws:SourceVpce, aws:SourceIp or aws:MultiFactorAuthPresent, is present only
// on some requests
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)
// and so unknown.
func (e *env) known(key string) bool {
	if !e.open {
		return true
	}
	if _, ok := e.fromContext(key); ok {
		return true
	}
	for _, k := range [...]string{"aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalType",
		"aws:username", "aws:PrincipalIsAWSService"} {
		if strings.EqualFold(key, k) {
			return true
		}
	}
	switch {
	case strings.EqualFold(key, "aws:userid"):
		// Derived from the unique id, which a caller may not have read.
		return e.req.Principal.UniqueID != ""
	case strings.EqualFold(key, "aws:PrincipalOrgID"):
		return e.req.Principal.OrgID != ""
	case len(key) > len(principalTagPrefix) && strings.EqualFold(key[:len(principalTagPrefix)], principalTagPrefix):
		return e.req.Principal.Tags != nil
	}
	return false
}

// touch records that the statement being evaluated depends on the unknown
// key.
func (e *env) touch(key string) {
	e.touches++
	for _, k := range e.touched {
		if k == key {
			return
		}
	}
	e.touched = append(e.touched, key)
}

func (e *env) addMissing(key string) {
	for _, k := range e.missing {
		if strings.EqualFold(k, key) {
			return
		}
	}
	e.missing = append(e.missing, key)
}
