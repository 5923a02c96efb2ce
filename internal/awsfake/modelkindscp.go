package awsfake

import (
	"strings"
	"time"

	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// The control-plane reads of modelkinds.go (service/bedrock, restJson1):
// GetCustomModel (GET /custom-models/{modelIdentifier}), GetImportedModel
// (GET /imported-models/{modelIdentifier}), GetProvisionedModelThroughput
// (GET /provisioned-model-throughput/{provisionedModelId}) and
// GetCustomModelDeployment (GET
// /model-customization/custom-model-deployments/{customModelDeploymentIdentifier}).
// Each takes a name or an ARN and is authorized as its own action on the
// resource's ARN (service authorization reference, list_amazonbedrock.html);
// another account's resource is refused like any cross-account request
// without a resource-based policy.
func init() {
	routes = append(routes,
		route{"GET", "bedrock", "GetCustomModel", []string{"custom-models", "{}"}, cpGetCustomModel},
		route{"GET", "bedrock", "GetImportedModel", []string{"imported-models", "{}"}, cpGetImportedModel},
		route{"GET", "bedrock", "GetProvisionedModelThroughput", []string{"provisioned-model-throughput", "{}"}, cpGetProvisionedModelThroughput},
		route{"GET", "bedrock", "GetCustomModelDeployment", []string{"model-customization", "custom-model-deployments", "{}"}, cpGetCustomModelDeployment},
	)
}

// kindLookup finds a resource of one kind by ARN or by name in the
// caller's account and region, and authorizes the read on its ARN. prefix
// is the ARN's resource type ("custom-model/"); find returns the ARN of
// the resource with a name, under the world's lock.
func (c *call) kindLookup(ident, prefix string, find func(ks *modelKindState, arn, name string) string) (string, error) {
	w := c.s.World
	arn := ident
	if !strings.HasPrefix(ident, "arn:") {
		arn = "arn:" + w.Partition + ":bedrock:" + c.region + ":" + c.principal.Account + ":" + prefix + ident
	}
	w.mu.Lock()
	found := find(w.modelKindsLocked(), arn, ident)
	w.mu.Unlock()
	if found != "" {
		arn = found
	}
	resAcct := c.principal.Account
	if id, err := bedrockid.Parse(arn); err == nil && id.Account != "" {
		resAcct = id.Account
	}
	set, err := c.policySet(nil, nil)
	if err != nil {
		return "", err
	}
	action := "bedrock:" + c.action
	if res := c.authorize(action, arn, resAcct, nil, set); res.Decision != iampolicy.Allow {
		return "", &apiError{Status: 403, Code: "AccessDeniedException", Message: deniedMessage(c.callerARN, action, arn, c.denySuffix(action, res)), Resource: arn}
	}
	if found == "" {
		return "", &apiError{Status: 404, Code: "ResourceNotFoundException", Message: "The specified resource ARN was not found. Check the ARN and try your request again."}
	}
	return found, nil
}

// byName finds a resource of the caller's account and region whose ARN or
// name matches.
func byName[T any](m map[string]*T, arn, name string, nameOf func(*T) string, region, account string) string {
	if _, ok := m[arn]; ok {
		return arn
	}
	for a, r := range m {
		id, err := bedrockid.Parse(a)
		if err == nil && id.Region == region && id.Account == account && nameOf(r) == name {
			return a
		}
	}
	return ""
}

func cpGetCustomModel(c *call) error {
	arn, err := c.kindLookup(c.params[0], "custom-model/", func(ks *modelKindState, arn, name string) string {
		return byName(ks.custom, arn, name, func(m *CustomModel) string { return m.Name }, c.region, c.principal.Account)
	})
	if err != nil {
		return err
	}
	w := c.s.World
	w.mu.Lock()
	m := *w.modelKindsLocked().custom[arn]
	w.mu.Unlock()
	out := map[string]any{"modelArn": arn, "modelName": m.Name, "baseModelArn": bedrockid.FoundationModelARN(w.Partition, c.region, m.BaseModel),
		"modelStatus": "Active", "customizationType": "FINE_TUNING", "creationTime": m.created.Format(time.RFC3339)}
	if m.KMSKey != "" {
		out["modelKmsKeyArn"] = m.KMSKey
	}
	return c.writeJSON(200, out)
}

func cpGetImportedModel(c *call) error {
	arn, err := c.kindLookup(c.params[0], "imported-model/", func(ks *modelKindState, arn, name string) string {
		return byName(ks.imported, arn, name, func(m *ImportedModel) string { return m.Name }, c.region, c.principal.Account)
	})
	if err != nil {
		return err
	}
	w := c.s.World
	w.mu.Lock()
	m := *w.modelKindsLocked().imported[arn]
	w.mu.Unlock()
	out := map[string]any{"modelArn": arn, "modelName": m.Name, "modelArchitecture": m.Architecture, "instructSupported": true,
		"creationTime": m.created.Format(time.RFC3339)}
	if m.KMSKey != "" {
		out["modelKmsKeyArn"] = m.KMSKey
	}
	return c.writeJSON(200, out)
}

func cpGetProvisionedModelThroughput(c *call) error {
	arn, err := c.kindLookup(c.params[0], "provisioned-model/", func(ks *modelKindState, arn, name string) string {
		return byName(ks.provisioned, arn, name, func(p *ProvisionedModel) string { return p.Name }, c.region, c.principal.Account)
	})
	if err != nil {
		return err
	}
	w := c.s.World
	w.mu.Lock()
	p := *w.modelKindsLocked().provisioned[arn]
	fm := p.Model
	if cm := w.modelKindsLocked().custom[p.Model]; cm != nil {
		fm = bedrockid.FoundationModelARN(w.Partition, c.region, cm.BaseModel)
	}
	w.mu.Unlock()
	ts := p.created.Format(time.RFC3339)
	return c.writeJSON(200, map[string]any{"provisionedModelArn": arn, "provisionedModelName": p.Name, "modelArn": p.Model, "desiredModelArn": p.Model,
		"foundationModelArn": fm, "modelUnits": 1, "desiredModelUnits": 1, "status": "InService", "creationTime": ts, "lastModifiedTime": ts})
}

func cpGetCustomModelDeployment(c *call) error {
	arn, err := c.kindLookup(c.params[0], "custom-model-deployment/", func(ks *modelKindState, arn, name string) string {
		return byName(ks.deployments, arn, name, func(d *CustomModelDeployment) string { return d.Name }, c.region, c.principal.Account)
	})
	if err != nil {
		return err
	}
	w := c.s.World
	w.mu.Lock()
	d := *w.modelKindsLocked().deployments[arn]
	w.mu.Unlock()
	return c.writeJSON(200, map[string]any{"customModelDeploymentArn": arn, "modelDeploymentName": d.Name, "modelArn": d.Model,
		"status": "Active", "createdAt": d.created.Format(time.RFC3339)})
}
