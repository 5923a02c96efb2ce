package awsfake

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// The model kinds beyond foundation models and inference profiles:
// Provisioned Throughput, custom models (trained or copied), custom model
// deployments and imported models, each owned by one account in one region.
//
// How Bedrock Runtime takes them (AWS's pages, as the fake models them):
//   - The modelId is the resource's ARN and bedrock:InvokeModel (or
//     ...WithResponseStream) is authorized on that ARN: the provisioned
//     model (security_iam_id-based-policy-examples-pt.html, "Allow users to
//     invoke a provisioned model"), the deployment ("use the deployment's
//     ARN as the modelId", use-custom-model-on-demand.html), the imported
//     model (model-customization-import-model.html). Whether Bedrock also
//     authorizes the model behind a provisioned model or a deployment, or
//     the Get* actions inference-prereq.html lists, is UNCONFIRMED: the fake
//     does not.
//   - A custom model is invoked through a deployment (on demand) or a
//     provisioned model, never by its own ARN (the SDK's InvokeModel
//     documentation); its own ARN is answered "The provided model doesn't
//     support on-demand throughput." (a real Bedrock text,
//     https://github.com/konveyor/kai/issues/411; UNCONFIRMED for this case).
//   - Converse does not support imported models (the SDK's Converse
//     documentation); the answer is "This action doesn't support the model
//     that you provided. Try again with a supported text or chat model." (a
//     real Bedrock text, https://github.com/mlcommons/modelbench/issues/1654;
//     UNCONFIRMED for this case).
//   - Bedrock has no resource-based policies for these resources, so one
//     owned by another account cannot be opened by any policy
//     (reference_policies_evaluation-logic-cross-account.html): IAM's
//     cross-account rule denies "because no resource-based policy allows"
//     (the wording is IAM's grammar, UNCONFIRMED for Bedrock). The
//     documented way is to share a custom model through AWS RAM and copy it
//     into the account (share-model.html, copy-model.html).
//   - A model encrypted with a customer managed KMS key is decrypted with
//     the caller's own permissions: the key policy must allow the invoking
//     role kms:Decrypt (Amazon Nova's "PermissionsModelInvocation" statement,
//     nova/latest/userguide/customize-fine-tune-encrypt.html;
//     encryption-custom-job.html, import-model-using-cmk.html), and a caller
//     in another account needs its own identity policy too
//     (key-policy-modifying-external-accounts.html). Bedrock's exact answer
//     when the key refuses is UNCONFIRMED; the fake answers KMS's own
//     grammar, which other services pass through ("User: P is not authorized
//     to perform: kms:Decrypt on resource: K because no resource-based
//     policy allows the kms:Decrypt action",
//     https://github.com/4dn-dcic/tibanna/issues/402).

// CustomModel is a custom model: fine-tuned or continued-pretrained from a
// foundation model, or a copy of one (a shared model copied into the
// account).
type CustomModel struct {
	ID        string `json:"id"`        // the last part of the ARN
	Name      string `json:"name"`      // defaults to ID
	BaseModel string `json:"baseModel"` // the foundation model id it was customized from
	// KMSKey is the ARN of the customer managed key that encrypts it, ""
	// for an AWS owned key. It may be a key of another account.
	KMSKey string `json:"kmsKey"`
	// CopiedFrom is the ARN of the model it was copied from (a model
	// shared by another account), "" for a model trained here.
	CopiedFrom string `json:"copiedFrom"`
	created    time.Time
}

// ProvisionedModel is a Provisioned Throughput.
type ProvisionedModel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Model is the ARN of the model it serves: a foundation model or a
	// custom model of the same account and region.
	Model   string `json:"model"`
	created time.Time
}

// CustomModelDeployment is a custom model deployed for on-demand
// inference.
type CustomModelDeployment struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Model   string `json:"model"` // the custom model's ARN
	created time.Time
}

// ImportedModel is a model brought in with Custom Model Import.
type ImportedModel struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Architecture string `json:"architecture"` // e.g. "llama3"
	KMSKey       string `json:"kmsKey"`       // customer managed key ARN, "" AWS owned
	created      time.Time
}

// KMSKey is a customer managed KMS key with its key policy and grants.
type KMSKey struct {
	ID     string `json:"id"` // the key id (a UUID on AWS)
	Policy string `json:"-"`  // the key policy document
	// Grants allow operations on the key to a grantee principal (a role or
	// user ARN) in addition to the key policy.
	Grants   []KeyGrant `json:"grants"`
	Disabled bool       `json:"disabled"`
	arn      string
	account  *Account
	region   string
	created  time.Time
}

// KeyGrant is one grant of a KMS key.
type KeyGrant struct {
	Grantee    string   `json:"grantee"`
	Operations []string `json:"operations"` // "Decrypt", "GenerateDataKey", ...
}

// modelKindState holds the resources of this file, keyed by ARN.
type modelKindState struct {
	custom      map[string]*CustomModel
	provisioned map[string]*ProvisionedModel
	deployments map[string]*CustomModelDeployment
	imported    map[string]*ImportedModel
	keys        map[string]*KMSKey
}

// modelKindsLocked returns the world's model-kind state; w.mu is held.
func (w *World) modelKindsLocked() *modelKindState {
	if w.mkinds == nil {
		w.mkinds = &modelKindState{custom: map[string]*CustomModel{}, provisioned: map[string]*ProvisionedModel{},
			deployments: map[string]*CustomModelDeployment{}, imported: map[string]*ImportedModel{}, keys: map[string]*KMSKey{}}
	}
	return w.mkinds
}

func (b *Bedrock) arn(resource string) string {
	return fmt.Sprintf("arn:%s:bedrock:%s:%s:%s", b.account.world.Partition, b.Region, b.account.ID, resource)
}

// CustomModel adds a custom model and returns its ARN
// (arn:...:custom-model/BASE/ID).
func (b *Bedrock) CustomModel(m CustomModel) string {
	w := b.account.world
	if m.Name == "" {
		m.Name = m.ID
	}
	m.created = time.Now().UTC()
	arn := b.arn("custom-model/" + m.BaseModel + "/" + m.ID)
	w.locked(func() { w.modelKindsLocked().custom[arn] = &m })
	return arn
}

// ProvisionedModel adds a Provisioned Throughput and returns its ARN.
func (b *Bedrock) ProvisionedModel(p ProvisionedModel) string {
	w := b.account.world
	if p.Name == "" {
		p.Name = p.ID
	}
	p.created = time.Now().UTC()
	arn := b.arn("provisioned-model/" + p.ID)
	w.locked(func() { w.modelKindsLocked().provisioned[arn] = &p })
	return arn
}

// Deployment adds a custom model deployment and returns its ARN.
func (b *Bedrock) Deployment(d CustomModelDeployment) string {
	w := b.account.world
	if d.Name == "" {
		d.Name = d.ID
	}
	d.created = time.Now().UTC()
	arn := b.arn("custom-model-deployment/" + d.ID)
	w.locked(func() { w.modelKindsLocked().deployments[arn] = &d })
	return arn
}

// ImportedModel adds an imported model and returns its ARN.
func (b *Bedrock) ImportedModel(m ImportedModel) string {
	w := b.account.world
	if m.Name == "" {
		m.Name = m.ID
	}
	m.created = time.Now().UTC()
	arn := b.arn("imported-model/" + m.ID)
	w.locked(func() { w.modelKindsLocked().imported[arn] = &m })
	return arn
}

// KMSKey adds a customer managed key in a region of the account, with its
// key policy, and returns its ARN.
func (a *Account) KMSKey(region, id, policy string, grants ...KeyGrant) string {
	w := a.world
	k := &KMSKey{ID: id, Policy: policy, Grants: grants, account: a, region: region, created: time.Now().UTC()}
	k.arn = fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", w.Partition, region, a.ID, id)
	w.locked(func() { w.modelKindsLocked().keys[k.arn] = k })
	return k.arn
}

// SetKeyPolicy replaces a key's policy (an owner's fix); it reports
// whether the key exists.
func (w *World) SetKeyPolicy(keyARN, policy string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	k := w.modelKindsLocked().keys[keyARN]
	if k == nil {
		return false
	}
	k.Policy = policy
	return true
}

// isModelKind reports the kinds this file serves.
func isModelKind(k bedrockid.Kind) bool {
	switch k {
	case bedrockid.KindProvisionedModel, bedrockid.KindCustomModel, bedrockid.KindCustomModelDeployment, bedrockid.KindImportedModel:
		return true
	}
	return false
}

// kindModel is what an identifier of these kinds resolves to, read under
// the world's lock.
type kindModel struct {
	found  bool
	custom bool   // a custom model's own ARN
	key    string // the KMS key that encrypts the model behind it, "" none
	fm     *FoundationModel
}

// resolveKindLocked finds the resource an ARN of these kinds names and the
// model and key behind it; w.mu is held.
func (w *World) resolveKindLocked(id bedrockid.ID) kindModel {
	ks := w.modelKindsLocked()
	var r kindModel
	customBehind := func(arn string) {
		if cm := ks.custom[arn]; cm != nil {
			r.key = cm.KMSKey
			r.fm = w.customFM(cm.BaseModel)
		}
	}
	switch id.Kind {
	case bedrockid.KindProvisionedModel:
		p := ks.provisioned[id.Raw]
		if p == nil {
			return r
		}
		r.found = true
		if mid, err := bedrockid.Parse(p.Model); err == nil && mid.Kind == bedrockid.KindFoundationModel {
			r.fm = w.models[mid.BaseModelID]
		} else {
			customBehind(p.Model)
		}
	case bedrockid.KindCustomModelDeployment:
		d := ks.deployments[id.Raw]
		if d == nil {
			return r
		}
		r.found = true
		customBehind(d.Model)
	case bedrockid.KindCustomModel:
		cm := ks.custom[id.Raw]
		if cm == nil {
			return r
		}
		r.found, r.custom, r.key = true, true, cm.KMSKey
	case bedrockid.KindImportedModel:
		m := ks.imported[id.Raw]
		if m == nil {
			return r
		}
		r.found, r.key = true, m.KMSKey
		r.fm = &FoundationModel{ID: "imported." + m.ID, Name: m.Name, Provider: "Imported"}
	}
	if r.found && r.fm == nil {
		// A model the catalog does not list still answers.
		r.fm = &FoundationModel{ID: "custom." + id.ResourceID, Name: id.ResourceID, Provider: "Custom"}
	}
	return r
}

// customFM is the catalog entry of a custom model's base model, or one
// made up to answer with.
func (w *World) customFM(base string) *FoundationModel {
	if m := w.models[base]; m != nil {
		return m
	}
	return &FoundationModel{ID: base, Name: base, Provider: "Custom"}
}

// invokeModelKind authorizes and validates an invocation whose modelId is
// a provisioned model, a custom model, a deployment or an imported model,
// in this order: bedrock:InvokeModel on the ARN, the resource's owner and
// existence, what the operation accepts, then kms:Decrypt on the model's
// key. handled is false for every other kind.
func (c *call) invokeModelKind(id bedrockid.ID, operation string) (t *target, handled bool, err error) {
	if !isModelKind(id.Kind) {
		return nil, false, nil
	}
	w := c.s.World
	action := bedrockid.ActionFor(operation)
	region, account := c.region, c.principal.Account
	set, err := c.policySet(nil, nil)
	if err != nil {
		return nil, true, err
	}
	t = &target{id: id, resource: id.Raw}
	ctx := func() map[string][]string { return map[string][]string{"aws:RequestedRegion": {region}} }
	foreign := id.Account != account
	w.mu.Lock()
	km := w.resolveKindLocked(id)
	w.mu.Unlock()
	t.model = km.fm
	streamless := operation == "Converse" || operation == "ConverseStream"

	// The key is asked only of a model that exists here and may be
	// invoked this way.
	usable := !foreign && id.Region == region && km.found && !km.custom && !(id.Kind == bedrockid.KindImportedModel && streamless)
	var keyRes iampolicy.Result
	keyDenied := false
	if usable && km.key != "" {
		keyRes, keyDenied = c.decryptDecision(km.key, set)
	}
	if !c.scriptedAllow {
		// The ground truth: every layer that denies on its own.
		ts := truthSet{}
		if foreign {
			// No policy of any account opens another account's model;
			// the caller's own side is judged as for a model of its own.
			ts.add(truthModelID)
		}
		ts.addBlocked(c.evaluate(action, t.resource, account, ctx(), set), false)
		switch {
		case foreign:
		case id.Region != region:
			ts.add(truthRegion)
		case !usable:
			ts.add(truthModelID)
		case keyDenied:
			ts.addKeyBlocked(keyRes)
		}
		c.entry.Truth = c.appRoleTruth(ts)
	}

	// The answer, in the order Bedrock checks.
	resAcct := account
	if foreign {
		resAcct = id.Account
	}
	if res := c.authorize(action, t.resource, resAcct, ctx(), set); res.Decision != iampolicy.Allow {
		return nil, true, &apiError{Status: 403, Code: "AccessDeniedException", Message: deniedMessage(c.callerARN, action, t.resource, c.denySuffix(action, res)), Resource: t.resource}
	}
	switch {
	case id.Region != region || !km.found:
		return nil, true, validation(msgInvalidModel)
	case km.custom:
		return nil, true, validation(msgNoOnDemand)
	case id.Kind == bedrockid.KindImportedModel && streamless:
		return nil, true, validation(msgActionUnsupported)
	}
	if keyDenied {
		c.entry.Decision = "deny"
		return nil, true, &apiError{Status: 403, Code: "AccessDeniedException", Message: deniedMessage(c.callerARN, "kms:Decrypt", km.key, c.denySuffix("kms:Decrypt", keyRes)), Resource: km.key}
	}
	if g := c.r.Header.Get("X-Amzn-Bedrock-Guardrailidentifier"); g != "" {
		if err := c.guardrail(g); err != nil {
			return nil, true, err
		}
	}
	return t, true, nil
}

// Bedrock Runtime texts for these kinds (see the file comment).
const (
	msgNoOnDemand        = "The provided model doesn't support on-demand throughput."
	msgActionUnsupported = "This action doesn't support the model that you provided. Try again with a supported text or chat model."
)

// appRoleTruth applies the wrong-principal rule of invokeTruth: when
// someone other than the app's role signed, that is the fault, and the
// signer's own permissions (on the model and on its key) are not the
// role's.
func (c *call) appRoleTruth(ts truthSet) []string {
	w := c.s.World
	w.mu.Lock()
	appRole := w.appRole
	w.mu.Unlock()
	if len(ts) > 0 && appRole != "" && c.principal.RoleARN != appRole {
		delete(ts, truthRolePermissions)
		delete(ts, truthKeyPolicy)
		ts.add(truthWrongPrincipal)
	}
	return ts.list()
}

// truthKeyPolicy is the key-policy layer: the KMS key refuses the caller.
const truthKeyPolicy = "key-policy"

// addKeyBlocked maps the policy types that blocked a kms:Decrypt on a
// model's or guardrail's key to layers: the organization's policies are
// org-policy; the key policy, a grant missing, and the caller's own kms
// permissions are key-policy.
func (t truthSet) addKeyBlocked(res iampolicy.Result) {
	for _, typ := range res.Blocked {
		switch typ {
		case iampolicy.TypeSCP, iampolicy.TypeRCP:
			t.add(truthOrgPolicy)
		case iampolicy.TypeVPCEndpoint:
			// Bedrock calls KMS on the caller's behalf, not through the
			// caller's endpoint.
		default:
			t.add(truthKeyPolicy)
		}
	}
}

// kmsContext is the context of the kms:Decrypt Bedrock makes with the
// caller's permissions: through Bedrock in the request's region
// (kms:ViaService, kms-api-permissions-reference / conditions-kms.html),
// by the caller's account (kms:CallerAccount).
func (c *call) kmsContext() map[string][]string {
	return map[string][]string{
		"aws:RequestedRegion": {c.region},
		"kms:ViaService":      {"bedrock." + c.region + ".amazonaws.com"},
		"kms:CallerAccount":   {c.principal.Account},
	}
}

// decryptDecision decides kms:Decrypt on a key for the caller as Bedrock
// asks for it: the key policy (or a grant) must allow, the caller's own
// policies too where the key policy delegates to its account or the key is
// another account's, and the organizations' policies. denied is false
// when the decision allows. A key the world does not have denies as a key
// no one may use.
func (c *call) decryptDecision(keyARN string, set iampolicy.PolicySet) (res iampolicy.Result, denied bool) {
	w := c.s.World
	w.mu.Lock()
	k := w.modelKindsLocked().keys[keyARN]
	var policy string
	var grants []KeyGrant
	var keyAcct *Account
	disabled := false
	if k != nil {
		policy, grants, keyAcct, disabled = k.Policy, append([]KeyGrant(nil), k.Grants...), k.account, k.Disabled
	}
	w.mu.Unlock()
	if k == nil || disabled {
		return iampolicy.Result{Decision: iampolicy.ImplicitDeny, Blocked: []iampolicy.PolicyType{iampolicy.TypeResource}}, true
	}
	kset, err := c.keyPolicySet(keyAcct, keyARN, policy, set)
	if err != nil {
		return iampolicy.Result{Decision: iampolicy.ImplicitDeny, Blocked: []iampolicy.PolicyType{iampolicy.TypeResource}}, true
	}
	res = c.evaluate("kms:Decrypt", keyARN, keyAcct.ID, c.kmsContext(), kset)
	if res.Decision == iampolicy.ImplicitDeny && c.grantAllows(grants, "Decrypt", res) {
		return iampolicy.Result{Decision: iampolicy.Allow}, false
	}
	return res, res.Decision != iampolicy.Allow
}

// keyPolicySet is the caller's policies with the key policy as the
// resource's policy, and without the caller's VPC endpoint: Bedrock calls
// KMS itself. The key's account's RCPs apply.
func (c *call) keyPolicySet(keyAcct *Account, keyARN, policy string, callerSet iampolicy.PolicySet) (iampolicy.PolicySet, error) {
	kp, err := parsePolicy("key-policy:"+keyARN, iampolicy.TypeResource, policy)
	if err != nil {
		return iampolicy.PolicySet{}, err
	}
	set := callerSet
	set.Endpoint = nil
	set.Resource = []iampolicy.NamedPolicy{kp}
	w := c.s.World
	w.mu.Lock()
	set.RCPs, err = orgLevels(keyAcct, true)
	w.mu.Unlock()
	return set, err
}

// grantAllows reports that a grant gives the caller the operation, and
// nothing but the missing key policy (or identity) allow stood in the way:
// an explicit deny and the organizations' policies still apply to grants.
func (c *call) grantAllows(grants []KeyGrant, op string, res iampolicy.Result) bool {
	for _, typ := range res.Blocked {
		if typ == iampolicy.TypeSCP || typ == iampolicy.TypeRCP {
			return false
		}
	}
	for _, g := range grants {
		if g.Grantee != c.principal.RoleARN && g.Grantee != c.principal.ARN {
			continue
		}
		for _, o := range g.Operations {
			if strings.EqualFold(o, op) {
				return true
			}
		}
	}
	return false
}

// guardrailKey decides kms:Decrypt on the key of a guardrail the call
// applies: guardrail users need it in the key policy
// ("PermissionsForGuardrailsUsers", guardrails-permissions-kms.html). A
// refusal adds its layers to the call's ground truth.
func (c *call) guardrailKey(keyARN string, set iampolicy.PolicySet) error {
	if keyARN == "" {
		return nil
	}
	res, denied := c.decryptDecision(keyARN, set)
	if !denied {
		return nil
	}
	if !c.scriptedAllow {
		ts := truthSet{}
		ts.add(c.entry.Truth...)
		ts.addKeyBlocked(res)
		c.entry.Truth = c.appRoleTruth(ts)
	}
	c.entry.Decision = "deny"
	return &apiError{Status: 403, Code: "AccessDeniedException", Message: deniedMessage(c.callerARN, "kms:Decrypt", keyARN, c.denySuffix("kms:Decrypt", res)), Resource: keyARN}
}

// scenarioModelKinds are the model kinds of a scenario's "bedrock" entry,
// each written as its builder takes it (ARNs in full: a provisioned
// model's "model", a deployment's "model", a custom model's "kmsKey").
type scenarioModelKinds struct {
	CustomModels      []CustomModel           `json:"customModels"`
	ProvisionedModels []ProvisionedModel      `json:"provisionedModels"`
	Deployments       []CustomModelDeployment `json:"customModelDeployments"`
	ImportedModels    []ImportedModel         `json:"importedModels"`
}

// scenarioKey is a KMS key of a scenario's account.
type scenarioKey struct {
	ID     string          `json:"id"`
	Region string          `json:"region"`
	Policy json.RawMessage `json:"policy"`
	Grants []KeyGrant      `json:"grants"`
}

func (b *builder) modelKinds(br *Bedrock, sb scenarioBedrock, where string) {
	where += " bedrock " + br.Region
	sk := sb.scenarioModelKinds
	for _, g := range sb.Guardrails {
		if g.KMSKey != "" {
			br.EncryptGuardrail(g.ID, g.KMSKey)
		}
	}
	for _, m := range sk.CustomModels {
		if m.ID == "" || m.BaseModel == "" {
			b.fail("%s custom model %q: id and baseModel are required", where, m.ID)
		}
		br.CustomModel(m)
	}
	for _, p := range sk.ProvisionedModels {
		if p.ID == "" || p.Model == "" {
			b.fail("%s provisioned model %q: id and model are required", where, p.ID)
		}
		br.ProvisionedModel(p)
	}
	for _, d := range sk.Deployments {
		if d.ID == "" || d.Model == "" {
			b.fail("%s deployment %q: id and model are required", where, d.ID)
		}
		br.Deployment(d)
	}
	for _, m := range sk.ImportedModels {
		if m.ID == "" {
			b.fail("%s imported model: id is required", where)
		}
		br.ImportedModel(m)
	}
}

func (b *builder) kmsKeys(a *Account, keys []scenarioKey, where string) {
	for _, k := range keys {
		if k.ID == "" || k.Region == "" {
			b.fail("%s kms key %q: id and region are required", where, k.ID)
			continue
		}
		a.KMSKey(k.Region, k.ID, b.doc(where+" kms key "+k.ID, k.Policy), k.Grants...)
	}
}

// EncryptGuardrail sets the customer managed key that encrypts a guardrail.
func (b *Bedrock) EncryptGuardrail(id, keyARN string) {
	b.account.world.locked(func() {
		if g := b.guardrails[id]; g != nil {
			g.KMSKey = keyARN
		}
	})
}
