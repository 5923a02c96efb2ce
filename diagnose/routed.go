package diagnose

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagent"

	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
)

// The model identifiers that route to another model: prompt routers
// (default and custom), prompts of Prompt management and Bedrock
// Marketplace endpoints, and the output location of StartAsyncInvoke.
// Every ARN a call on one of them touches, as AWS documents it:
//
//   - every call is authorized on the ARN passed as modelId
//     (API_runtime_InvokeModel.html; AWS.md §10);
//   - a prompt router (https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-routing.html)
//     routes each request to one of its models
//     (API_PromptRouterTargetModel.html: a foundation-model or
//     inference-profile ARN), so the role needs the action on the router
//     and on every model it may route to, with each profile's destination
//     foundation models (AWS.md §6.6); AWS's CDK grants exactly that
//     (aws-bedrock-alpha prompt-router.ts grantInvoke). bedrock:PromptRouterArn
//     "filters access by the specified prompt router" (service authorization
//     reference) and is set on those legs;
//   - a prompt (https://docs.aws.amazon.com/bedrock/latest/userguide/inference-prereq.html:
//     "bedrock:RenderPrompt" is among the actions to run inference with a
//     prompt; prompt-management-prereq.html) needs bedrock:RenderPrompt on
//     the prompt ARN as passed, and the model its default variant names
//     (bedrock-agent GetPrompt, API_agent_GetPrompt.html, reads it); that
//     Bedrock authorizes the model leg with the caller's identity is
//     UNCONFIRMED;
//   - a Marketplace endpoint (Set up Amazon Bedrock Marketplace,
//     https://docs.aws.amazon.com/bedrock/latest/userguide/setup-amazon-bedrock-marketplace.html)
//     needs the action on arn:...:marketplace/model-endpoint/all-access and
//     sagemaker:InvokeEndpoint on the endpoint, called via Bedrock
//     (aws:CalledViaLast = bedrock.amazonaws.com in AWS's example policy);
//   - StartAsyncInvoke writes its output with the caller's permissions
//     ("Because Amazon Bedrock writes a file to an Amazon S3 bucket on your
//     behalf, the AWS role that you use needs ... s3:PutObject",
//     https://docs.aws.amazon.com/nova/latest/userguide/video-gen-access.html):
//     s3:PutObject on every object under the output prefix.

// routedTarget is one model a router or prompt may send the call to: a
// foundation-model ARN, or a profile ARN with its destination models.
type routedTarget struct {
	arn   string
	dests []string // a profile's destination foundation-model ARNs
}

// routedEvidence is what resolveRouted read.
type routedEvidence struct {
	targets []routedTarget
	// resolved: the router's models or the prompt's model were read; legs
	// without them cover only what the identifier itself names.
	resolved bool
}

// resolveRouted is model.resolve for a router, a prompt or a Marketplace
// endpoint: what it routes to, read in the target account.
func (in *inquiry) resolveRouted(ctx context.Context, br *bedrock.Client, c *Check) {
	switch in.model.Kind {
	case bedrockid.KindPromptRouter, bedrockid.KindDefaultPromptRouter:
		out, err := br.GetPromptRouter(ctx, &bedrock.GetPromptRouterInput{PromptRouterArn: aws.String(in.t.ModelID)})
		if err != nil {
			in.modelLookupFailed(c, err, "bedrock:GetPromptRouter")
			return
		}
		models := []string{}
		if out.FallbackModel != nil {
			models = append(models, aws.ToString(out.FallbackModel.ModelArn))
		}
		for _, m := range out.Models {
			if a := aws.ToString(m.ModelArn); !containsStr(models, a) {
				models = append(models, a)
			}
		}
		targets, why := in.routedTargets(ctx, br, models)
		if why != "" {
			c.Status, c.Detail = StatusUnknown, "prompt router "+in.t.ModelID+": "+why
			c.Needs = "bedrock:GetInferenceProfile"
			return
		}
		in.setRouted(targets)
		c.Status = StatusPass
		c.Detail = "prompt router " + in.t.ModelID + " routes each request to one of " + strings.Join(models, ", ") + targetsNote(targets)
	case bedrockid.KindPrompt:
		base, version := promptParts(in.model)
		cfg := in.withCreds(in.targetCreds())
		input := &bedrockagent.GetPromptInput{PromptIdentifier: aws.String(base)}
		if version != "" {
			input.PromptVersion = aws.String(version)
		}
		out, err := bedrockagent.NewFromConfig(cfg).GetPrompt(ctx, input)
		if err != nil {
			in.modelLookupFailed(c, err, "bedrock:GetPrompt")
			return
		}
		model := ""
		for _, v := range out.Variants {
			if model == "" || aws.ToString(v.Name) == aws.ToString(out.DefaultVariant) {
				model = aws.ToString(v.ModelId)
			}
		}
		if model == "" {
			c.Status, c.Detail = StatusUnknown, "bedrock-agent GetPrompt answered without a variant naming a model for "+in.t.ModelID
			return
		}
		targets, why := in.routedTargets(ctx, br, []string{model})
		if why != "" {
			c.Status, c.Detail = StatusUnknown, "prompt "+in.t.ModelID+" runs on "+model+": "+why
			c.Needs = "bedrock:GetInferenceProfile"
			return
		}
		in.setRouted(targets)
		c.Status = StatusPass
		c.Detail = "prompt " + in.t.ModelID + " runs on " + model + targetsNote(targets)
	case bedrockid.KindMarketplaceEndpoint:
		out, err := br.GetMarketplaceModelEndpoint(ctx, &bedrock.GetMarketplaceModelEndpointInput{EndpointArn: aws.String(in.t.ModelID)})
		if err != nil {
			in.modelLookupFailed(c, err, "bedrock:GetMarketplaceModelEndpoint")
			return
		}
		in.setRouted(nil)
		c.Status = StatusPass
		c.Detail = "Marketplace model endpoint " + in.t.ModelID
		if e := out.MarketplaceModelEndpoint; e != nil && aws.ToString(e.ModelSourceIdentifier) != "" {
			c.Detail += " serves " + aws.ToString(e.ModelSourceIdentifier)
		}
	}
	if c.Status == StatusPass {
		in.setEv(func(e *evidence) { e.modelIDOK, e.regionOK = StatusPass, StatusPass })
	}
}

func (in *inquiry) setRouted(targets []routedTarget) {
	in.mu.Lock()
	in.routed = routedEvidence{targets: targets, resolved: true}
	in.mu.Unlock()
}

func targetsNote(targets []routedTarget) string {
	var parts []string
	for _, t := range targets {
		if len(t.dests) > 0 {
			parts = append(parts, t.arn+" to "+strings.Join(t.dests, ", "))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "; through the inference profiles " + strings.Join(parts, "; ")
}

// routedTargets resolves the models a router or prompt names: a
// foundation model as it is, an inference profile with its destinations.
// why says what could not be read.
func (in *inquiry) routedTargets(ctx context.Context, br *bedrock.Client, models []string) ([]routedTarget, string) {
	var targets []routedTarget
	for _, m := range models {
		id, err := bedrockid.Parse(m)
		if err != nil {
			return nil, "names a model this diagnosis cannot read: " + quoteCapped(m, 200)
		}
		switch id.Kind {
		case bedrockid.KindFoundationModel:
			targets = append(targets, routedTarget{arn: id.ARN(in.partition, in.region, in.targetAccount())})
		case bedrockid.KindInferenceProfile, bedrockid.KindApplicationInferenceProfile:
			out, err := br.GetInferenceProfile(ctx, &bedrock.GetInferenceProfileInput{InferenceProfileIdentifier: aws.String(m)})
			if err != nil {
				return nil, "bedrock:GetInferenceProfile on " + m + " failed: " + errText(err)
			}
			dests, ok := profileDestinations(out.Models)
			if !ok || !validProfileARN(aws.ToString(out.InferenceProfileArn)) {
				return nil, "bedrock:GetInferenceProfile on " + m + " answered without a usable profile ARN and destination models"
			}
			targets = append(targets, routedTarget{arn: aws.ToString(out.InferenceProfileArn), dests: dests})
		default:
			return nil, "names a " + id.Kind.String() + " (" + quoteCapped(m, 200) + "), which this diagnosis does not follow"
		}
	}
	return targets, ""
}

// promptParts splits a prompt ARN into the prompt's ARN and its version
// ("" for the draft).
func promptParts(id bedrockid.ID) (base, version string) {
	pid, v, _ := strings.Cut(id.ResourceID, ":")
	i := strings.LastIndex(id.Raw, ":prompt/")
	if i < 0 {
		return id.Raw, v
	}
	return id.Raw[:i] + ":prompt/" + pid, v
}

// calledViaBedrockContext is what the diagnosis knows of a request Bedrock
// makes with the caller's identity on its behalf (forward access
// sessions): aws:CalledViaFirst and aws:CalledViaLast are Bedrock's
// service principal. aws:CalledVia, a list, is left unknown.
func calledViaBedrockContext(region string) map[string]string {
	return map[string]string{"aws:RequestedRegion": region, "aws:CalledViaFirst": "bedrock.amazonaws.com", "aws:CalledViaLast": "bedrock.amazonaws.com"}
}

// routedLegs are the legs of a call on a router, a prompt or a
// Marketplace endpoint (see the file's comment).
func (in *inquiry) routedLegs(acct string, src map[string]string) []resourceLeg {
	in.mu.Lock()
	ev := in.routed
	in.mu.Unlock()
	id := in.model
	legs := []resourceLeg{{in.action, id.Raw, src}}
	var extra map[string]string
	switch id.Kind {
	case bedrockid.KindPromptRouter, bedrockid.KindDefaultPromptRouter:
		extra = map[string]string{"bedrock:PromptRouterArn": id.Raw}
	case bedrockid.KindPrompt:
		legs = append(legs, resourceLeg{"bedrock:RenderPrompt", id.Raw, src})
	case bedrockid.KindMarketplaceEndpoint:
		invoke := "sagemaker:InvokeEndpoint"
		if strings.HasSuffix(in.action, "WithResponseStream") {
			invoke = "sagemaker:InvokeEndpointWithResponseStream"
		}
		return []resourceLeg{
			{in.action, bedrockid.MarketplaceEndpointARN(in.partition, in.region, acct), src},
			{invoke, id.Raw, calledViaBedrockContext(in.region)},
		}
	}
	for _, t := range ev.targets {
		legs = append(legs, resourceLeg{in.action, t.arn, withKeys(map[string]string{"aws:RequestedRegion": in.region}, extra)})
		for _, d := range t.dests {
			region := "unspecified"
			if a, err := arn.Parse(d); err == nil && a.Region != "" {
				region = a.Region
			}
			legs = append(legs, resourceLeg{in.action, d, withKeys(map[string]string{"aws:RequestedRegion": region, "bedrock:InferenceProfileArn": t.arn}, extra)})
		}
	}
	return legs
}

func withKeys(m, extra map[string]string) map[string]string {
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// asyncLegs is the output leg of StartAsyncInvoke: s3:PutObject on every
// object under the output prefix, as the caller, via Bedrock.
func (in *inquiry) asyncLegs() []resourceLeg {
	if in.t.Operation != "StartAsyncInvoke" {
		return nil
	}
	uri := orElse(in.t.OutputS3URI, in.call.OutputS3URI)
	obj := asyncOutputARN(in.partition, uri)
	if obj == "" {
		return nil
	}
	return []resourceLeg{{"s3:PutObject", obj, calledViaBedrockContext(in.region)}}
}

// asyncOutputARN is the S3 resource every object under an s3:// URI's
// prefix matches; "" for a URI that is not one.
func asyncOutputARN(partition, uri string) string {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok || rest == "" {
		return ""
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return ""
	}
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return "arn:" + partition + ":s3:::" + bucket + "/" + prefix + "*"
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// KindAsyncOutput is StartAsyncInvoke's answer when Bedrock cannot write
// the output location: ValidationException "Invalid Output Config/Credentials"
// (the text public code handling Amazon Nova Reel's failures matches, next
// to "your caller identity has s3:PutObject on that bucket"; its exact
// wording and status are otherwise UNCONFIRMED). The caller's s3:PutObject
// is refused there (its own policies, an organization policy, the bucket's
// policy) or the location is wrong (a bucket that does not exist, in another
// region): the text alone does not say which.
const KindAsyncOutput MessageKind = "async-output"

// asyncOutput explains KindAsyncOutput.
func (e *explainer) asyncOutput() {
	e.set(LayerUnknown, []Layer{LayerRolePermissions, LayerOrgPolicy, LayerModelID},
		"StartAsyncInvoke could not write its output location"+e.by()+": Bedrock writes it with the caller's own s3:PutObject, which is refused there, or the s3:// location is wrong",
		"Allow s3:PutObject on the output prefix (arn:aws:s3:::BUCKET/PREFIX/*) to the principal that calls StartAsyncInvoke, check the bucket's policy and that the bucket exists in the call's region; run the checks (bedrock-doctor check --operation async --output-s3-uri s3://BUCKET/PREFIX) to tell which.")
}

// deniedAction is the action of the leg the role's checks found denied
// first: bedrock:RenderPrompt on a prompt, sagemaker:InvokeEndpoint on a
// Marketplace endpoint, s3:PutObject on an async output are not the call's
// own action.
func (in *inquiry) deniedAction() string {
	if len(in.ev.deniedResources) == 0 {
		return in.action
	}
	denied := in.ev.deniedResources[0]
	var actions []string
	for _, l := range in.expansion() {
		if l.resource == denied {
			actions = append(actions, l.action)
		}
	}
	if len(actions) > 1 {
		// Several actions on one ARN (a prompt: the call's action and
		// bedrock:RenderPrompt): the one the role's checks named.
		in.mu.Lock()
		checks := append([]Check(nil), in.checks...)
		in.mu.Unlock()
		for _, a := range actions {
			for _, c := range checks {
				if strings.HasPrefix(c.Name, "role-permissions.") && c.Status == StatusFail && strings.Contains(c.Detail, a+" on "+denied) {
					return a
				}
			}
		}
	}
	if len(actions) > 0 {
		return actions[0]
	}
	return in.action
}

func hasLegAction(legs []resourceLeg, action string) bool {
	for _, l := range legs {
		if l.action == action {
			return true
		}
	}
	return false
}
