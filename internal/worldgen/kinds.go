package worldgen

import (
	"encoding/json"
	"strings"
)

// The model kinds beyond foundation models and inference profiles that
// awsfake serves from scenario files (modelkinds.go, routed.go, bearer.go):
// Provisioned Throughput, custom model deployments, imported and copied
// models with their customer managed KMS keys, guardrails with a key,
// prompt routers, prompts, Bedrock Marketplace endpoints, StartAsyncInvoke
// with an output bucket, and Bedrock API keys (which a scenario file cannot
// issue: the app's APIKey says which key the test issues).

// APIKey is a Bedrock API key the test issues for the app, which then
// calls Bedrock Runtime with it (a TLS server; ApplyRole is false).
type APIKey struct {
	// Kind is "long-term" (an IAM user's key, User), "short-term" (minted
	// from a session of Role for Region) or "not-bedrock" (a token that
	// is no Bedrock API key at all).
	Kind string `json:"kind"`
	// User is the long-term key's IAM user, "ACCOUNT/NAME".
	User string `json:"user,omitempty"`
	// Role is the role whose session mints the short-term key.
	Role string `json:"role,omitempty"`
	// Region is the region the short-term key is minted for.
	Region string `json:"region,omitempty"`
	// Expired: the key expired before the call.
	Expired bool `json:"expired,omitempty"`
}

// The scenario parts of the kinds, as awsfake's scenario format spells
// them.
type kmsKeyDoc struct {
	ID     string          `json:"id"`
	Region string          `json:"region"`
	Policy json.RawMessage `json:"policy"`
}

type guardrailDoc struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version string `json:"version"`
	KMSKey  string `json:"kmsKey,omitempty"`
}

type customModelDoc struct {
	ID         string `json:"id"`
	BaseModel  string `json:"baseModel"`
	KMSKey     string `json:"kmsKey,omitempty"`
	CopiedFrom string `json:"copiedFrom,omitempty"`
}

type resourceDoc struct {
	ID           string `json:"id"`
	Model        string `json:"model,omitempty"`
	Architecture string `json:"architecture,omitempty"`
	KMSKey       string `json:"kmsKey,omitempty"`
}

type routerDoc struct {
	ID       string   `json:"id"`
	Models   []string `json:"models"`
	Fallback string   `json:"fallback,omitempty"`
	Regions  []string `json:"regions,omitempty"`
}

type promptDoc struct {
	ID       string   `json:"id"`
	ModelID  string   `json:"modelId"`
	Versions []string `json:"versions,omitempty"`
}

type marketplaceDoc struct {
	Name        string `json:"name"`
	ModelSource string `json:"modelSource"`
}

const reel = "amazon.nova-reel-v1:1"

// kindPlan is what a kind needs of the role: the statements that grant it,
// each either written or (a problem) left out.
type kindPlan struct {
	grants []stmt
}

func (a *accountDoc) bedrockIn(region string) *bedrockDoc {
	for i := range a.Bedrock {
		if a.Bedrock[i].Region == region {
			return &a.Bedrock[i]
		}
	}
	a.Bedrock = append(a.Bedrock, bedrockDoc{Region: region})
	return &a.Bedrock[len(a.Bedrock)-1]
}

// uuid is a KMS key id.
func (g *gen) uuid() string {
	return g.hex(8) + "-" + g.hex(4) + "-" + g.hex(4) + "-" + g.hex(4) + "-" + g.hex(12)
}

func (g *gen) hex(n int) string {
	const set = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = set[g.r.IntN(len(set))]
	}
	return string(b)
}

// grant is a statement the role needs for the kind; with probability miss
// it is left out, a problem labelled what.
func (g *gen) grant(kp *kindPlan, miss float64, what string, s stmt) {
	if g.chance(miss) {
		g.problem("kind:role lacks %s", what)
		return
	}
	kp.grants = append(kp.grants, s)
}

// chooseKind picks the app's model among the kinds: it sets the app's
// model, region and operation and adds the resources to the accounts; the
// returned plan's statements go into the role's policy.
func (g *gen) chooseKind(app *App, sc *scenarioDoc, tgtA *accountDoc, other string, roleARN, appRoleARN string) *kindPlan {
	tgt := tgtA.ID
	kp := &kindPlan{}
	app.Operation = "Converse"
	if g.chance(0.4) {
		app.Operation = "InvokeModel"
	}
	app.Region = pick(g, "us-east-1", "us-west-2")
	region := app.Region
	tgtA.UseCaseForm = `{"companyName":"Example Corp","intendedUsers":"internal"}`
	br := func() *bedrockDoc { return tgtA.bedrockIn(region) }
	arn := func(acct, res string) string { return "arn:aws:bedrock:" + region + ":" + acct + ":" + res }
	invoke := func(res ...string) stmt {
		return stmt{"Sid": "InvokeOwnedModels", "Effect": "Allow", "Action": invokeActions, "Resource": res}
	}
	switch p := g.f(); {
	case p < 0.12: // Provisioned Throughput of the account
		pt := "pt" + g.alnum(8)
		model := "arn:aws:bedrock:" + region + "::foundation-model/" + pick(g, haiku, nova)
		if g.chance(0.4) {
			cm := "tuned" + g.alnum(6)
			key := g.modelKey(kp, tgtA, other, region, roleARN, false)
			br().CustomModels = append(br().CustomModels, customModelDoc{ID: cm, BaseModel: titan, KMSKey: key})
			model = arn(tgt, "custom-model/"+titan+"/"+cm)
			g.feature("kind:provisioned custom model")
		} else {
			g.feature("kind:provisioned foundation model")
		}
		br().ProvisionedModels = append(br().ProvisionedModels, resourceDoc{ID: pt, Model: model})
		app.ModelID = arn(tgt, "provisioned-model/"+pt)
		g.grant(kp, 0.1, "the provisioned model", invoke(pick(g, app.ModelID, arn("*", "provisioned-model/*"), "arn:aws:bedrock:*:"+tgt+":provisioned-model/*")))
	case p < 0.16: // another account's Provisioned Throughput
		pt := "pt" + g.alnum(8)
		oa := g.account(other)
		ob := oa.bedrockIn(region)
		ob.ProvisionedModels = append(ob.ProvisionedModels, resourceDoc{ID: pt, Model: "arn:aws:bedrock:" + region + "::foundation-model/" + haiku})
		app.ModelID = arn(other, "provisioned-model/"+pt)
		kp.grants = append(kp.grants, invoke("arn:aws:bedrock:*:*:provisioned-model/*"))
		g.problem("kind:provisioned model of another account")
	case p < 0.30: // a deployment of a custom model (trained here or copied)
		cm := "tuned" + g.alnum(6)
		doc := customModelDoc{ID: cm, BaseModel: titan}
		if g.chance(0.35) {
			doc.CopiedFrom = "arn:aws:bedrock:" + region + ":" + other + ":custom-model/" + titan + "/orig" + g.alnum(4)
			doc.KMSKey = g.modelKey(kp, tgtA, other, region, roleARN, true)
			g.feature("kind:deployment of a copied model")
		} else {
			doc.KMSKey = g.modelKey(kp, tgtA, other, region, roleARN, false)
			g.feature("kind:deployment of a custom model")
		}
		br().CustomModels = append(br().CustomModels, doc)
		dep := "dep" + g.alnum(8)
		br().CustomModelDeployments = append(br().CustomModelDeployments, resourceDoc{ID: dep, Model: arn(tgt, "custom-model/"+titan+"/"+cm)})
		app.ModelID = arn(tgt, "custom-model-deployment/"+dep)
		if g.chance(0.04) {
			app.ModelID = arn(tgt, "custom-model/"+titan+"/"+cm)
			g.problem("kind:custom model invoked by its own ARN")
		}
		g.grant(kp, 0.1, "the deployment", invoke(pick(g, app.ModelID, "arn:aws:bedrock:*:"+tgt+":custom-model-deployment/*")))
	case p < 0.40: // an imported model
		im := "imp" + g.alnum(8)
		key := g.modelKey(kp, tgtA, other, region, roleARN, g.chance(0.2))
		br().ImportedModels = append(br().ImportedModels, resourceDoc{ID: im, Architecture: "llama3", KMSKey: key})
		app.ModelID = arn(tgt, "imported-model/"+im)
		app.Operation = "InvokeModel"
		if g.chance(0.12) {
			app.Operation = "Converse"
			g.problem("kind:imported model through Converse")
		}
		g.feature("kind:imported model")
		g.grant(kp, 0.1, "the imported model", invoke(pick(g, app.ModelID, "arn:aws:bedrock:*:"+tgt+":imported-model/*")))
	case p < 0.50: // a guardrail with a key on a foundation model
		app.ModelID = pick(g, haiku, nova)
		gid := g.alnum(12)
		key := g.modelKey(kp, tgtA, other, region, roleARN, false)
		br().Guardrails = append(br().Guardrails, guardrailDoc{ID: gid, Name: "content-filter", Version: "1", KMSKey: key})
		app.GuardrailID, app.GuardrailVersion = gid, "1"
		if g.chance(0.3) {
			app.GuardrailID = arn(tgt, "guardrail/"+gid)
		}
		g.feature("kind:guardrail")
		g.grant(kp, 0.1, "bedrock:ApplyGuardrail", stmt{"Sid": "ApplyGuardrail", "Effect": "Allow", "Action": "bedrock:ApplyGuardrail",
			"Resource": pick(g, arn(tgt, "guardrail/"+gid), "arn:aws:bedrock:*:"+tgt+":guardrail/*")})
	case p < 0.57: // AWS's default prompt router
		sc.DefaultPromptRouters = []routerDoc{{ID: "anthropic.claude:1", Models: []string{haiku, "us." + haiku}, Fallback: pick(g, haiku, haiku, "us."+haiku), Regions: []string{"us-east-1", "us-west-2"}}}
		app.ModelID = arn(tgt, "default-prompt-router/anthropic.claude:1")
		g.feature("kind:default prompt router")
		g.grant(kp, 0.1, "the prompt router", invoke(pick(g, app.ModelID, "arn:aws:bedrock:*:"+tgt+":default-prompt-router/*")))
	case p < 0.63: // a prompt router of the account
		id := "router" + g.alnum(6)
		fb := pick(g, haiku, haiku, "us."+haiku)
		br().PromptRouters = append(br().PromptRouters, routerDoc{ID: id, Models: []string{haiku, "us." + haiku}, Fallback: fb})
		app.ModelID = arn(tgt, "prompt-router/"+id)
		g.feature("kind:custom prompt router")
		g.grant(kp, 0.1, "the prompt router", invoke(pick(g, app.ModelID, "arn:aws:bedrock:*:"+tgt+":prompt-router/*")))
	case p < 0.70: // a prompt of Prompt management and its model
		id := strings.ToUpper(g.alnum(10))
		model := pick(g, haiku, nova, "us."+haiku)
		br().Prompts = append(br().Prompts, promptDoc{ID: id, ModelID: model, Versions: []string{"1"}})
		app.ModelID = arn(tgt, "prompt/"+id+":1")
		app.Operation = "Converse"
		if g.chance(0.05) {
			app.ModelID = arn(tgt, "prompt/"+id+":2")
			g.problem("kind:prompt version not published")
		}
		g.feature("kind:prompt of %s", model)
		res := pick(g, arn(tgt, "prompt/"+id+":1"), "arn:aws:bedrock:*:"+tgt+":prompt/*")
		g.grant(kp, 0.1, "the prompt (bedrock:InvokeModel)", invoke(res))
		g.grant(kp, 0.1, "bedrock:RenderPrompt", stmt{"Sid": "RenderPrompt", "Effect": "Allow", "Action": "bedrock:RenderPrompt", "Resource": res})
	case p < 0.76: // a Bedrock Marketplace endpoint
		name := "marketplace-" + g.alnum(6)
		br().MarketplaceEndpoints = append(br().MarketplaceEndpoints, marketplaceDoc{Name: name, ModelSource: "arn:aws:sagemaker:" + region + ":aws:hub-content/SageMakerPublicHub/Model/llm-" + g.alnum(4) + "/1.0.0"})
		app.ModelID = "arn:aws:sagemaker:" + region + ":" + tgt + ":endpoint/" + name
		g.feature("kind:marketplace endpoint")
		g.grant(kp, 0.1, "marketplace all-access", invoke(arn(tgt, "marketplace/model-endpoint/all-access")))
		g.grant(kp, 0.1, "sagemaker:InvokeEndpoint", stmt{"Sid": "InvokeEndpoint", "Effect": "Allow", "Action": []string{"sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"},
			"Resource": "arn:aws:sagemaker:*:" + tgt + ":endpoint/*", "Condition": map[string]any{"StringEquals": map[string]any{"aws:CalledViaLast": "bedrock.amazonaws.com"}}})
	case p < 0.85: // StartAsyncInvoke with an output bucket
		app.ModelID, app.Region, app.Operation = reel, "us-east-1", "StartAsyncInvoke"
		bucket := pick(g, "team-videos", "genai-output-"+tgt)
		prefix := pick(g, "reel", "out/video", "")
		app.OutputS3URI = "s3://" + bucket
		if prefix != "" {
			app.OutputS3URI += "/" + prefix
		}
		g.feature("kind:async invoke to %s", app.OutputS3URI)
		res := "arn:aws:s3:::" + bucket + "/*"
		if prefix != "" && g.chance(0.5) {
			res = "arn:aws:s3:::" + bucket + "/" + prefix + "/*"
		}
		if g.chance(0.1) {
			res = "arn:aws:s3:::other-bucket/*"
			g.problem("kind:output bucket not the one the role may write")
		}
		g.grant(kp, 0.1, "s3:PutObject on the output bucket", stmt{"Sid": "WriteOutput", "Effect": "Allow", "Action": "s3:PutObject", "Resource": res})
	default: // Bedrock API keys
		app.ModelID = pick(g, haiku, nova)
		g.apiKey(app, kp, tgtA, roleARN, appRoleARN)
	}
	return kp
}

// modelKey returns the key that encrypts a model or guardrail ("" for an
// AWS owned key), adding it to its account with a key policy that allows
// the role, delegates to IAM, refuses, or lives in another account.
func (g *gen) modelKey(kp *kindPlan, tgtA *accountDoc, other, region, roleARN string, foreign bool) string {
	tgt := tgtA.ID
	if !foreign && g.chance(0.25) {
		g.feature("key:aws-owned")
		return ""
	}
	id := g.uuid()
	owner := tgt
	if foreign {
		owner = other
	}
	keyARN := "arn:aws:kms:" + region + ":" + owner + ":key/" + id
	admin := stmt{"Sid": "KeyAdministration", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + owner + ":role/KeyAdmin"}, "Action": "kms:*", "Resource": "*"}
	root := stmt{"Sid": "EnableIAMPolicies", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + owner + ":root"}, "Action": "kms:*", "Resource": "*"}
	identity := func(label string) {
		s := stmt{"Sid": "DecryptModelKey", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": keyARN}
		if g.chance(0.4) {
			s["Condition"] = map[string]any{"StringEquals": map[string]any{"kms:ViaService": "bedrock." + region + ".amazonaws.com"}}
		}
		g.grant(kp, 0.2, "kms:Decrypt on the "+label+" key", s)
	}
	var pol json.RawMessage
	switch p := g.f(); {
	case foreign && p < 0.75:
		pol = doc(stmt{"Sid": "KeyAdministration", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + owner + ":root"}, "Action": "kms:*", "Resource": "*"},
			stmt{"Sid": "ModelConsumers", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + tgt + ":root"},
				"Action": []string{"kms:Decrypt", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants"}, "Resource": "*"})
		g.feature("key:another account's, lets the role's account in")
		identity("other account's")
	case foreign:
		pol = doc(root)
		g.problem("key:another account's, does not let the role's account in")
	case p < 0.35:
		pol = doc(admin, stmt{"Sid": "PermissionsModelInvocation", "Effect": "Allow", "Principal": map[string]any{"AWS": roleARN},
			"Action": []string{"kms:Decrypt", "kms:DescribeKey", "kms:GetKeyPolicy"}, "Resource": "*"})
		g.feature("key:policy allows the role")
	case p < 0.8:
		pol = doc(root)
		g.feature("key:policy delegates to IAM")
		identity("account's")
	default:
		pol = doc(admin)
		g.problem("key:policy refuses the role")
	}
	a := g.account(owner)
	a.KMSKeys = append(a.KMSKeys, kmsKeyDoc{ID: id, Region: region, Policy: pol})
	return keyARN
}

// apiKey chooses the app's Bedrock API key.
func (g *gen) apiKey(app *App, kp *kindPlan, tgtA *accountDoc, roleARN, appRoleARN string) {
	k := &APIKey{}
	app.APIKey = k
	switch p := g.f(); {
	case p < 0.35:
		k.Kind = "long-term"
		u := &principalDoc{Name: "BedrockAPIKey-" + g.alnum(4), Inline: map[string]json.RawMessage{}}
		tgtA.Users = append(tgtA.Users, u)
		k.User = tgtA.ID + "/" + u.Name
		use := stmt{"Effect": "Allow", "Action": "bedrock:CallWithBearerToken", "Resource": "*"}
		inv := stmt{"Effect": "Allow", "Action": invokeActions, "Resource": "*"}
		switch q := g.f(); {
		case q < 0.6:
			u.Inline["AmazonBedrockLimitedAccess"] = doc(use, inv)
			g.feature("apikey:long-term")
		case q < 0.8:
			u.Inline["invoke"] = doc(inv)
			g.problem("apikey:long-term user lacks bedrock:CallWithBearerToken")
		default:
			u.Inline["keys"] = doc(use)
			g.problem("apikey:long-term user lacks bedrock:InvokeModel")
		}
		if g.chance(0.1) {
			k.Expired = true
			g.problem("apikey:long-term expired")
		}
		// The app means to use the role: a key of another principal is
		// the wrong one.
		g.problem("apikey:long-term key instead of the role")
	case p < 0.85 && appRoleARN == roleARN:
		k.Kind, k.Role, k.Region = "short-term", roleARN, app.Region
		g.feature("apikey:short-term minted by the role")
		g.grant(kp, 0.2, "bedrock:CallWithBearerToken", stmt{"Sid": "UseAPIKeys", "Effect": "Allow", "Action": "bedrock:CallWithBearerToken", "Resource": "*"})
		switch q := g.f(); {
		case q < 0.15:
			k.Region = pick(g, "eu-west-1", "us-east-2", "ap-northeast-1")
			if k.Region == app.Region {
				k.Region = "eu-central-1"
			}
			g.problem("apikey:short-term minted for another region")
		case q < 0.27:
			k.Expired = true
			g.problem("apikey:short-term expired")
		}
	default:
		k.Kind = "not-bedrock"
		g.problem("apikey:not a Bedrock API key")
	}
}

// kindPolicy writes the kind's statements into the role's policy.
func (g *gen) kindPolicy(role *principalDoc, kp *kindPlan) {
	if kp == nil || len(kp.grants) == 0 {
		return
	}
	role.Inline["kinds"] = doc(kp.grants...)
}
