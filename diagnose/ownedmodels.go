package diagnose

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	bedrocktypes "github.com/aws/aws-sdk-go-v2/service/bedrock/types"
	"github.com/aws/smithy-go"

	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
)

// The model kinds a team owns rather than AWS: Provisioned Throughput
// (provisioned-model/…), custom models (trained, or copied from a model
// another account shared), custom model deployments (on-demand inference
// of a custom model) and imported models (imported-model/…).
//
// What a call on each needs, from AWS's pages:
//   - bedrock:InvokeModel (…WithResponseStream for the streaming operations)
//     on the ARN passed as modelId: the provisioned model
//     (security_iam_id-based-policy-examples-pt.html, prov-thru-prereq.html),
//     the deployment ("use the deployment's ARN as the modelId",
//     use-custom-model-on-demand.html), the imported model
//     (model-customization-import-model.html).
//   - A custom model is called through a deployment or a provisioned model,
//     never by its own ARN (the SDK's InvokeModel documentation; Bedrock
//     answers "The provided model doesn't support on-demand throughput.").
//   - Converse and ConverseStream do not take imported models (the SDK's
//     Converse documentation).
//   - The model behind may be encrypted with a customer managed KMS key,
//     whose key policy must let the caller decrypt (keys.go).
//   - Bedrock has no resource-based policies for these resources: one owned
//     by another account cannot be opened by any policy of either account
//     (reference_policies_evaluation-logic-cross-account.html). The
//     documented way is to share a custom model through AWS RAM and copy it
//     into the caller's account (share-model.html, copy-model.html), then
//     deploy or provision the copy there.

// isOwnedKind reports the kinds of this file.
func isOwnedKind(k bedrockid.Kind) bool {
	switch k {
	case bedrockid.KindProvisionedModel, bedrockid.KindCustomModel, bedrockid.KindCustomModelDeployment, bedrockid.KindImportedModel:
		return true
	}
	return false
}

// kindEvidence is what the model-kind and key checks found, for the
// decision and the fix; read and written under in.mu.
type kindEvidence struct {
	foreign bool   // the resource is another account's
	custom  string // the custom model behind a provisioned model or deployment, or called itself
	// keyFor names the encrypted resource ("the custom model ARN"); keyARN
	// is its customer managed key, "" for an AWS owned key; keyKnown says
	// the resource was read (so an empty keyARN means no customer key);
	// keyNeeds is the read that would tell, when it failed.
	keyFor, keyARN string
	keyKnown       bool
	keyNeeds       string
	// key is what the key check found, for the fix; guardrailKey the same
	// for the call's guardrail.
	key, guardrailKey *keyFinding
}

// foreignOwner returns the owning account of a resource of these kinds
// that is not the target account's, "" otherwise.
func (in *inquiry) foreignOwner() string {
	if !isOwnedKind(in.model.Kind) || !in.model.IsARN || in.model.Account == "" {
		return ""
	}
	if acct := in.targetAccount(); acct != "" && in.model.Account != acct {
		return in.model.Account
	}
	return ""
}

// ownedKindLegs is the expansion of a call on one of these kinds: the
// action on the ARN itself, and nothing for another account's resource,
// which no permission of the caller's account could open (model.resolve
// names it).
func (in *inquiry) ownedKindLegs(legs []resourceLeg, src map[string]string) []resourceLeg {
	if in.foreignOwner() != "" || in.model.Kind == bedrockid.KindCustomModel {
		// Nothing to grant: no permission makes these callable
		// (model.resolve says why).
		return legs
	}
	return append(legs, resourceLeg{in.action, in.model.Raw, src})
}

// resolveOwnedKind is model.resolve for these kinds: the owner, whether
// the resource exists here and may be called this way, and which key
// encrypts the model behind it.
func (in *inquiry) resolveOwnedKind(ctx context.Context, c *Check, br *bedrock.Client) {
	id := in.model
	acct := in.targetAccount()
	if owner := in.foreignOwner(); owner != "" {
		c.Status = StatusFail
		c.Detail = id.Raw + " belongs to account " + owner + ", not to account " + acct + " that makes the call: Bedrock has no resource-based policies for " + kindNoun(id.Kind) +
			"s, so no policy of either account lets " + acct + " invoke it"
		in.setEv(func(e *evidence) { e.modelIDOK, e.regionOK, e.mkinds.foreign = StatusFail, StatusPass, true })
		return
	}
	switch id.Kind {
	case bedrockid.KindCustomModel:
		c.Status = StatusFail
		c.Detail = id.Raw + " is a custom model's own ARN: a custom model is invoked through a custom model deployment (on-demand inference) or a Provisioned Throughput, whose ARN is the modelId"
		in.setEv(func(e *evidence) { e.modelIDOK, e.regionOK, e.mkinds.custom = StatusFail, StatusPass, id.Raw })
		return
	case bedrockid.KindImportedModel:
		if op := in.t.Operation; op == "Converse" || op == "ConverseStream" {
			c.Status = StatusFail
			c.Detail = op + " does not support imported models: call " + id.Raw + " with InvokeModel (or InvokeModelWithResponseStream)"
			in.setEv(func(e *evidence) { e.modelIDOK, e.regionOK = StatusFail, StatusPass })
			return
		}
		out, err := br.GetImportedModel(ctx, &bedrock.GetImportedModelInput{ModelIdentifier: aws.String(id.Raw)})
		if err != nil {
			in.ownedLookupFailed(c, err, "bedrock:GetImportedModel")
			return
		}
		c.Status, c.Detail = StatusPass, "imported model "+orElse(aws.ToString(out.ModelName), id.Raw)+" exists in account "+acct+" in "+in.region
		in.noteKey("the imported model "+id.Raw, aws.ToString(out.ModelKmsKeyArn))
	case bedrockid.KindProvisionedModel:
		out, err := br.GetProvisionedModelThroughput(ctx, &bedrock.GetProvisionedModelThroughputInput{ProvisionedModelId: aws.String(id.Raw)})
		if err != nil {
			in.ownedLookupFailed(c, err, "bedrock:GetProvisionedModelThroughput")
			return
		}
		behind := aws.ToString(out.ModelArn)
		if out.Status == bedrocktypes.ProvisionedModelStatusInService {
			c.Status, c.Detail = StatusPass, "Provisioned Throughput "+id.Raw+" is in service for "+orElse(behind, "its model")
		} else {
			// What Bedrock answers while a Provisioned Throughput is being
			// created or updated, or has failed, is not documented.
			c.Status, c.Detail = StatusUnknown, "Provisioned Throughput "+id.Raw+" is "+orElse(string(out.Status), "in an unknown state")+", not InService"
		}
		in.modelBehind(ctx, br, behind)
	case bedrockid.KindCustomModelDeployment:
		out, err := br.GetCustomModelDeployment(ctx, &bedrock.GetCustomModelDeploymentInput{CustomModelDeploymentIdentifier: aws.String(id.Raw)})
		if err != nil {
			in.ownedLookupFailed(c, err, "bedrock:GetCustomModelDeployment")
			return
		}
		behind := aws.ToString(out.ModelArn)
		if out.Status == bedrocktypes.CustomModelDeploymentStatusActive {
			c.Status, c.Detail = StatusPass, "custom model deployment "+id.Raw+" is active for "+orElse(behind, "its custom model")
		} else {
			c.Status, c.Detail = StatusUnknown, "custom model deployment "+id.Raw+" is "+orElse(string(out.Status), "in an unknown state")+", not Active"
		}
		in.modelBehind(ctx, br, behind)
	}
	if c.Status == StatusPass {
		in.setEv(func(e *evidence) { e.modelIDOK, e.regionOK = StatusPass, StatusPass })
	}
}

// kindNoun is a kind in words.
func kindNoun(k bedrockid.Kind) string {
	switch k {
	case bedrockid.KindProvisionedModel:
		return "provisioned model"
	case bedrockid.KindCustomModel:
		return "custom model"
	case bedrockid.KindCustomModelDeployment:
		return "custom model deployment"
	case bedrockid.KindImportedModel:
		return "imported model"
	}
	return "model"
}

// ownedLookupFailed turns a failed read of the resource into the check's
// finding: AWS says it does not exist (model-id), or the read proves
// nothing.
func (in *inquiry) ownedLookupFailed(c *Check, err error, action string) {
	var apiErr smithy.APIError
	code := ""
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	if code == "ResourceNotFoundException" {
		c.Status = StatusFail
		c.Detail = "account " + in.targetAccount() + " has no " + kindNoun(in.model.Kind) + " " + in.model.Raw + " in " + in.region + " (" + action + ": " + errText(err) + ")"
		in.setEv(func(e *evidence) { e.modelIDOK = StatusFail })
		return
	}
	c.Status, c.Detail = StatusUnknown, action+" failed: "+errText(err)
	c.Needs = action + " on " + in.model.Raw
	in.setEv(func(e *evidence) { e.mkinds.keyNeeds = action + " on " + in.model.Raw })
}

// modelBehind reads the model a provisioned model or a deployment serves:
// a custom model's key (bedrock:GetCustomModel); a foundation model has
// none.
func (in *inquiry) modelBehind(ctx context.Context, br *bedrock.Client, behind string) {
	a, err := arn.Parse(behind)
	switch {
	case err != nil:
		in.setEv(func(e *evidence) { e.mkinds.keyNeeds = "the model behind " + in.model.Raw + " (its read named none)" })
		return
	case strings.HasPrefix(a.Resource, "foundation-model/"):
		in.noteKey(behind, "")
		return
	}
	in.setEv(func(e *evidence) { e.mkinds.custom = behind })
	out, err := br.GetCustomModel(ctx, &bedrock.GetCustomModelInput{ModelIdentifier: aws.String(behind)})
	if err != nil {
		in.setEv(func(e *evidence) {
			e.mkinds.keyNeeds = "bedrock:GetCustomModel on " + behind + " (" + errText(err) + ")"
		})
		return
	}
	in.noteKey("the custom model "+behind, aws.ToString(out.ModelKmsKeyArn))
}

// noteKey records which key encrypts the model of the call ("" for an AWS
// owned key).
func (in *inquiry) noteKey(what, keyARN string) {
	in.setEv(func(e *evidence) {
		e.mkinds.keyFor, e.mkinds.keyARN, e.mkinds.keyKnown, e.mkinds.keyNeeds = what, keyARN, true, ""
	})
}

// writeOwnedModelID writes the summary and fix of a model-id verdict on
// one of these kinds; it reports whether it did.
func (in *inquiry) writeOwnedModelID(r *Report) bool {
	if !isOwnedKind(in.model.Kind) || in.modelErr != nil {
		return false
	}
	id := in.model
	acct := orElse(r.TargetAccount, in.targetAccount())
	switch {
	case in.foreignOwner() != "":
		r.Summary = "the " + kindNoun(id.Kind) + " " + id.Raw + " belongs to account " + id.Account + ", and Bedrock has no resource-based policies for it: no permission in account " + acct + " (or in " + id.Account + ") lets the call use it"
		r.Fix = foreignFix(id, acct, in.region)
	case id.Kind == bedrockid.KindCustomModel:
		r.Summary = "the model identifier is a custom model's own ARN (" + id.Raw + "): Bedrock invokes a custom model only through a deployment or a Provisioned Throughput"
		r.Fix = customModelFix(id.Raw)
	case id.Kind == bedrockid.KindImportedModel && (in.t.Operation == "Converse" || in.t.Operation == "ConverseStream"):
		r.Summary = in.t.Operation + " does not support imported models such as " + id.Raw
		r.Fix = "call the imported model with InvokeModel (or InvokeModelWithResponseStream) and the body format of its architecture"
	default:
		return false
	}
	r.FixPolicy, r.FixPlace = "", ""
	return true
}

// foreignFix is the fix for another account's resource: never a policy.
func foreignFix(id bedrockid.ID, acct, region string) string {
	return "use a " + kindNoun(id.Kind) + " of account " + acct + " itself: for a custom model, its owner shares it with account " + acct + " through AWS RAM (share-model.html), account " + acct +
		" copies it into " + orElse(region, "its region") + " (bedrock:CreateModelCopyJob, copy-model.html) and deploys the copy (CreateCustomModelDeployment) or buys Provisioned Throughput for it, then calls that ARN; for a foundation model, account " + acct +
		" calls it on demand or buys its own Provisioned Throughput; or the app makes the call in account " + id.Account + " with a role there. No IAM, key or organization policy can open another account's " + kindNoun(id.Kind)
}

// customModelFix is the fix for a custom model called by its own ARN.
func customModelFix(customARN string) string {
	return "deploy " + customARN + " for on-demand inference (bedrock:CreateCustomModelDeployment) or buy Provisioned Throughput for it, and pass the deployment's or the provisioned model's ARN as the modelId; the role then needs bedrock:InvokeModel on that ARN"
}

// ownedKindText is Explain's reading of an IAM denial on another account's
// resource of these kinds, or on a custom model's own ARN: no policy makes
// the call work (model-id), whatever else the text says. It reports whether
// it decided.
func (e *explainer) ownedKindText() bool {
	m := e.m
	if !strings.HasPrefix(m.Action, "bedrock:Invoke") || !e.resourceOK || !e.principalOK {
		return false
	}
	id, err := bedrockid.Parse(m.Resource)
	if err != nil || !isOwnedKind(id.Kind) || id.Account == "" {
		return false
	}
	if id.Kind == bedrockid.KindCustomModel {
		e.set(LayerModelID, nil, "the model identifier is a custom model's own ARN ("+id.Raw+"), which Bedrock invokes only through a deployment or a Provisioned Throughput: allowing "+m.Action+" on it would not make the call work",
			customModelFix(id.Raw)+".")
		return true
	}
	if id.Account == e.principal.AccountID || m.Explicit {
		return false
	}
	acct := e.principal.AccountID
	e.set(LayerModelID, nil, "the "+kindNoun(id.Kind)+" "+m.Resource+" belongs to account "+id.Account+", not to account "+acct+" that calls it, and Bedrock has no resource-based policies for it: no permission in either account lets the call use it",
		foreignFix(id, acct, id.Region)+".")
	return true
}

// customOnDemandText is Explain's reading of "doesn't support on-demand
// throughput" for a call on a custom model's own ARN. It reports whether it
// decided.
func (e *explainer) customOnDemandText() bool {
	id, err := bedrockid.Parse(e.m.ModelID)
	if err != nil || id.Kind != bedrockid.KindCustomModel {
		return false
	}
	e.set(LayerModelID, nil, "the model identifier is a custom model's own ARN ("+id.Raw+"): Bedrock invokes a custom model only through a deployment or a Provisioned Throughput",
		customModelFix(id.Raw)+".")
	return true
}
