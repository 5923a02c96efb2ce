package awsfake

import (
	"strings"
	"time"

	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
)

// The control-plane reads of routed.go: GetPromptRouter and
// GetMarketplaceModelEndpoint (service/bedrock, restJson1) and bedrock-agent's
// GetPrompt (GET /prompts/{promptIdentifier}?promptVersion=N,
// API_agent_GetPrompt.html). Each is authorized as its own action on the
// resource it reads (service authorization reference; the resource of
// GetMarketplaceModelEndpoint is UNCONFIRMED, the endpoint ARN here).
func init() {
	routes = append(routes,
		route{"GET", "bedrock", "GetPromptRouter", []string{"prompt-routers", "{}"}, cpGetPromptRouter},
		route{"GET", "bedrock", "GetMarketplaceModelEndpoint", []string{"marketplace-model", "endpoints", "{}"}, cpGetMarketplaceModelEndpoint},
		route{"GET", "bedrock-agent", "GetPrompt", []string{"prompts", "{}"}, cpGetPrompt},
		route{"POST", "bedrock-runtime", "StartAsyncInvoke", []string{"async-invoke"}, rtStartAsyncInvoke},
	)
}

func cpGetPromptRouter(c *call) error {
	ident := c.params[0]
	if err := c.cpAuthorize(ident); err != nil {
		return err
	}
	id, err := bedrockid.Parse(ident)
	w := c.s.World
	var rv routerView
	ok := false
	if err == nil {
		w.mu.Lock()
		rv, ok = w.routerLocked(id, c.principal.Account, c.region)
		w.mu.Unlock()
	}
	if !ok {
		return &apiError{Status: 404, Code: "ResourceNotFoundException", Message: "The prompt router " + ident + " was not found."}
	}
	var models []map[string]string
	for _, m := range rv.models {
		models = append(models, map[string]string{"modelArn": m})
	}
	ts := rv.created.Format(time.RFC3339)
	return c.writeJSON(200, map[string]any{"promptRouterArn": rv.arn, "promptRouterName": rv.name, "type": rv.typ, "status": "AVAILABLE",
		"models": models, "fallbackModel": map[string]string{"modelArn": rv.fallback},
		"routingCriteria": map[string]float64{"responseQualityDifference": 0.25}, "createdAt": ts, "updatedAt": ts})
}

func cpGetMarketplaceModelEndpoint(c *call) error {
	ident := c.params[0]
	if err := c.cpAuthorize(ident); err != nil {
		return err
	}
	id, err := bedrockid.Parse(ident)
	w := c.s.World
	var e *MarketplaceEndpoint
	ok := false
	if err == nil {
		w.mu.Lock()
		e, ok = w.endpointLocked(id, c.principal.Account, c.region)
		w.mu.Unlock()
	}
	if !ok {
		return &apiError{Status: 404, Code: "ResourceNotFoundException", Message: "The endpoint " + ident + " was not found."}
	}
	ts := e.created.Format(time.RFC3339)
	return c.writeJSON(200, map[string]any{"marketplaceModelEndpoint": map[string]any{
		"endpointArn": ident, "modelSourceIdentifier": e.ModelSource, "status": "REGISTERED", "endpointStatus": "InService",
		"createdAt": ts, "updatedAt": ts,
		"endpointConfig": map[string]any{"sageMaker": map[string]any{"initialInstanceCount": 1, "instanceType": "ml.g5.2xlarge",
			"executionRole": "arn:" + w.Partition + ":iam::" + c.principal.Account + ":role/service-role/AmazonSageMaker-ExecutionRole"}},
	}})
}

func cpGetPrompt(c *call) error {
	ident := c.params[0]
	version := c.r.URL.Query().Get("promptVersion")
	w := c.s.World
	// The resource is the prompt's ARN, with the version asked for
	// (API_agent_GetPrompt.html: promptIdentifier is an id or an ARN with
	// an optional ":VERSION").
	prefix := "arn:" + w.Partition + ":bedrock:" + c.region + ":" + c.principal.Account
	rid := ident
	if i := strings.LastIndex(ident, ":prompt/"); strings.HasPrefix(ident, "arn:") && i >= 0 {
		prefix, rid = ident[:i], ident[i+len(":prompt/"):]
	}
	pid, v, _ := strings.Cut(rid, ":")
	if v == "" && version != "DRAFT" {
		v = version
	}
	resource := prefix + ":prompt/" + pid
	if v != "" {
		resource += ":" + v
	}
	if err := c.cpAuthorize(resource); err != nil {
		return err
	}
	id, err := bedrockid.Parse(resource)
	var p *Prompt
	ok := false
	if err == nil {
		w.mu.Lock()
		p, version, ok = w.promptLocked(id, c.principal.Account, c.region)
		w.mu.Unlock()
	}
	if !ok {
		return &apiError{Status: 404, Code: "ResourceNotFoundException", Message: "Prompt " + ident + " not found."}
	}
	if version == "" {
		version = "DRAFT"
	}
	ts := p.created.Format(time.RFC3339)
	return c.writeJSON(200, map[string]any{"arn": resource, "id": p.ID, "name": p.Name, "version": version, "defaultVariant": "default",
		"createdAt": ts, "updatedAt": ts,
		"variants": []any{map[string]any{"name": "default", "modelId": p.ModelID, "templateType": "TEXT",
			"templateConfiguration": map[string]any{"text": map[string]any{"text": "Answer the question: {{question}}",
				"inputVariables": []any{map[string]string{"name": "question"}}}}}},
	})
}
