package awsfake

import (
	"encoding/json"
	"strings"

	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// A minimal AWS KMS: the three reads a diagnosis of a model's key makes,
// DescribeKey, GetKeyPolicy and ListGrants, over the awsJson1_1 protocol
// the SDK's KMS client speaks (POST / with X-Amz-Target:
// TrentService.<Operation>, Content-Type application/x-amz-json-1.1,
// timestamps as epoch seconds). Each is authorized like any KMS request on
// a key: the key policy must allow, directly or by naming the account,
// whose identity policies then decide, and a caller of another account
// needs both (key-policies.html, key-policy-default.html,
// key-policy-modifying-external-accounts.html). GetKeyPolicy works only on
// a key of the caller's own account ("Cross-account use: No",
// API_GetKeyPolicy.html); DescribeKey and ListGrants work across accounts.
// KMS answers AccessDeniedException with HTTP 400 and IAM's grammar ("User:
// P is not authorized to perform: kms:DescribeKey on resource: K because no
// resource-based policy allows the kms:DescribeKey action",
// https://github.com/jbrt/ec2cryptomatic/issues/26); the text for a
// cross-account GetKeyPolicy and for an unknown key are UNCONFIRMED.

// kmsOps are the KMS operations the fake serves.
var kmsOps = map[string]handler{
	"DescribeKey":  kmsDescribeKey,
	"GetKeyPolicy": kmsGetKeyPolicy,
	"ListGrants":   kmsListGrants,
}

// routeTarget routes a JSON-RPC request by its X-Amz-Target header: KMS's
// TrentService. It returns nil, having answered, for an unknown target.
func (c *call) routeTarget(target string) handler {
	c.proto = protoJSON
	svc, op, _ := strings.Cut(target, ".")
	if svc != "TrentService" {
		c.service = "kms"
		c.fail(&apiError{Status: 400, Code: "UnknownOperationException", Message: "unknown target " + target})
		return nil
	}
	c.service, c.action = "kms", op
	h := kmsOps[op]
	if h == nil {
		c.entry.Service, c.entry.Action, c.entry.Region = c.service, c.action, c.region
		c.fail(&apiError{Status: 400, Code: "UnknownOperationException", Message: ""})
		return nil
	}
	return h
}

// keyRequest is the body of the three reads.
type keyRequest struct {
	KeyID      string `json:"KeyId"`
	PolicyName string `json:"PolicyName"`
	Limit      int    `json:"Limit"`
	Marker     string `json:"Marker"`
	GrantID    string `json:"GrantId"`
	Grantee    string `json:"GranteePrincipal"`
}

// kmsKey reads the request, finds the key (its ARN, or its id in the
// caller's account and region) and authorizes the action on it.
func (c *call) kmsKey() (*KMSKey, keyRequest, error) {
	var in keyRequest
	if err := json.Unmarshal(c.body, &in); err != nil {
		return nil, in, &apiError{Status: 400, Code: "SerializationException", Message: err.Error()}
	}
	if in.KeyID == "" {
		return nil, in, &apiError{Status: 400, Code: "ValidationException", Message: "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"}
	}
	w := c.s.World
	arn := in.KeyID
	if !strings.HasPrefix(arn, "arn:") {
		arn = "arn:" + w.Partition + ":kms:" + c.region + ":" + c.principal.Account + ":key/" + in.KeyID
	}
	w.mu.Lock()
	k := w.modelKindsLocked().keys[arn]
	var snap KMSKey
	if k != nil {
		snap = *k
		snap.Grants = append([]KeyGrant(nil), k.Grants...)
	}
	w.mu.Unlock()
	if k == nil {
		return nil, in, &apiError{Status: 400, Code: "NotFoundException", Message: "Key '" + arn + "' does not exist"}
	}
	action := "kms:" + c.action
	if c.action == "GetKeyPolicy" && snap.account.ID != c.principal.Account {
		// Not a cross-account operation: the key policy is not
		// consulted. UNCONFIRMED text.
		c.entry.Decision = "deny"
		return nil, in, &apiError{Status: 400, Code: "AccessDeniedException", Message: deniedMessage(c.callerARN, action, arn, " because no resource-based policy allows the "+action+" action"), Resource: arn}
	}
	callerSet, err := c.policySet(snap.account, nil)
	if err != nil {
		return nil, in, err
	}
	set, err := c.keyPolicySet(snap.account, arn, snap.Policy, callerSet)
	if err != nil {
		return nil, in, err
	}
	set.Endpoint = callerSet.Endpoint
	res := c.authorize(action, arn, snap.account.ID, map[string][]string{"kms:CallerAccount": {c.principal.Account}}, set)
	if res.Decision != iampolicy.Allow {
		return nil, in, &apiError{Status: 400, Code: "AccessDeniedException", Message: deniedMessage(c.callerARN, action, arn, c.denySuffix(action, res)), Resource: arn}
	}
	return &snap, in, nil
}

func kmsDescribeKey(c *call) error {
	k, _, err := c.kmsKey()
	if err != nil {
		return err
	}
	state := "Enabled"
	if k.Disabled {
		state = "Disabled"
	}
	return c.writeJSON(200, map[string]any{"KeyMetadata": map[string]any{
		"KeyId": k.ID, "Arn": k.arn, "AWSAccountId": k.account.ID, "KeyManager": "CUSTOMER",
		"KeyState": state, "Enabled": !k.Disabled, "KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT",
		"Origin": "AWS_KMS", "CreationDate": k.created.Unix(), "Description": "",
	}})
}

func kmsGetKeyPolicy(c *call) error {
	k, in, err := c.kmsKey()
	if err != nil {
		return err
	}
	if in.PolicyName != "" && in.PolicyName != "default" {
		return &apiError{Status: 400, Code: "NotFoundException", Message: "No such policy exists"}
	}
	return c.writeJSON(200, map[string]string{"Policy": k.Policy, "PolicyName": "default"})
}

func kmsListGrants(c *call) error {
	k, _, err := c.kmsKey()
	if err != nil {
		return err
	}
	grants := make([]map[string]any, 0, len(k.Grants))
	for i, g := range k.Grants {
		grants = append(grants, map[string]any{
			"GrantId": strings.Repeat("0", 63) + string(rune('0'+i%10)), "KeyId": k.arn, "GranteePrincipal": g.Grantee,
			"Operations": g.Operations, "IssuingAccount": "arn:" + c.s.World.Partition + ":iam::" + k.account.ID + ":root",
			"CreationDate": k.created.Unix(),
		})
	}
	return c.writeJSON(200, map[string]any{"Grants": grants, "Truncated": false})
}
