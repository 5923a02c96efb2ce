package bedrockid

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrInvalid is wrapped by every error [Parse] returns.
var ErrInvalid = errors.New("invalid bedrock model identifier")

// Kind is the type of resource a model identifier names.
type Kind int

// The kinds. The zero value is KindUnknown and is never returned with a nil
// error.
const (
	KindUnknown Kind = iota
	// KindFoundationModel: "anthropic.claude-3-haiku-20240307-v1:0" or
	// arn:aws:bedrock:REGION::foundation-model/ID (REGION may be empty: the
	// global form that global cross-Region inference authorizes).
	KindFoundationModel
	// KindInferenceProfile: a system-defined (cross-Region) inference
	// profile, "us.anthropic..." or arn:...:inference-profile/us.anthropic...
	KindInferenceProfile
	// KindApplicationInferenceProfile: arn:...:application-inference-profile/ID.
	KindApplicationInferenceProfile
	// KindProvisionedModel: arn:...:provisioned-model/ID.
	KindProvisionedModel
	// KindCustomModel: arn:...:custom-model/BASE/ID.
	KindCustomModel
	// KindCustomModelDeployment: arn:...:custom-model-deployment/ID.
	KindCustomModelDeployment
	// KindImportedModel: arn:...:imported-model/ID.
	KindImportedModel
	// KindPromptRouter: arn:...:prompt-router/ID.
	KindPromptRouter
	// KindDefaultPromptRouter: arn:...:default-prompt-router/ID.
	KindDefaultPromptRouter
	// KindPrompt: arn:...:prompt/ID[:VERSION] (Converse with a prompt version).
	KindPrompt
	// KindMarketplaceEndpoint: the SageMaker endpoint of a Bedrock
	// Marketplace model, arn:aws:sagemaker:REGION:ACCOUNT:endpoint/NAME
	// (marketplace.go).
	KindMarketplaceEndpoint
)

var kindNames = [...]string{
	KindUnknown:                     "unknown",
	KindFoundationModel:             "foundation-model",
	KindInferenceProfile:            "inference-profile",
	KindApplicationInferenceProfile: "application-inference-profile",
	KindProvisionedModel:            "provisioned-model",
	KindCustomModel:                 "custom-model",
	KindCustomModelDeployment:       "custom-model-deployment",
	KindImportedModel:               "imported-model",
	KindPromptRouter:                "prompt-router",
	KindDefaultPromptRouter:         "default-prompt-router",
	KindPrompt:                      "prompt",
	KindMarketplaceEndpoint:         "marketplace-model-endpoint",
}

// String returns the ARN resource type of the kind ("foundation-model",
// "inference-profile", ...), or "unknown".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// resourceKinds maps the ARN resource type to its kind.
var resourceKinds = map[string]Kind{
	"foundation-model":              KindFoundationModel,
	"inference-profile":             KindInferenceProfile,
	"application-inference-profile": KindApplicationInferenceProfile,
	"provisioned-model":             KindProvisionedModel,
	"custom-model":                  KindCustomModel,
	"custom-model-deployment":       KindCustomModelDeployment,
	"imported-model":                KindImportedModel,
	"prompt-router":                 KindPromptRouter,
	"default-prompt-router":         KindDefaultPromptRouter,
	"prompt":                        KindPrompt,
}

// GeoPrefixes are the prefixes of system-defined inference profile ids, each
// with where it was seen. A bare id starting with one of these followed by a
// dot is a profile id; any other first segment is a model provider.
var GeoPrefixes = []struct{ Prefix, Source string }{
	{"us", "BR-GEO https://docs.aws.amazon.com/bedrock/latest/userguide/geographic-cross-region-inference.html"},
	{"eu", "BR-GEO"},
	{"apac", "BR-GEO"},
	{"global", "BR-GLOBAL https://docs.aws.amazon.com/bedrock/latest/userguide/global-cross-region-inference.html"},
	{"us-gov", "BR-GEO (AWS GovCloud profiles)"},
	{"jp", "observed 2026: https://github.com/aws-samples/well-architected-iac-analyzer/issues/181"},
	{"au", "observed 2026: AWS.md §6.5"},
	{"ca", "UNCONFIRMED: Canada geography listed in BR-GEO's 2026 tables; prefix spelling not seen on the wire"},
}

func isGeoPrefix(s string) bool {
	for _, g := range GeoPrefixes {
		if g.Prefix == s {
			return true
		}
	}
	return false
}

// ID is a parsed model identifier.
type ID struct {
	Kind Kind
	// Raw is the input, unchanged.
	Raw string
	// IsARN reports whether Raw was an ARN. Partition, Region and Account
	// are set only for ARNs (Region and Account may be empty where the ARN
	// form has none, e.g. a foundation model's account).
	IsARN     bool
	Partition string
	Region    string
	Account   string
	// ResourceID is the part after "<resource-type>/": the model id, the
	// profile id, the opaque id of other resources (custom models keep
	// their "BASE/ID" form, prompts their "ID:VERSION").
	ResourceID string
	// BaseModelID is the foundation-model id for foundation models and
	// system-defined inference profiles ("anthropic.claude-..."); empty for
	// kinds whose model cannot be read from the identifier.
	BaseModelID string
	// GeoPrefix is the profile's prefix without the dot ("us", "global").
	GeoPrefix string
}

// Bedrock's own patterns: model ids are lower-case provider "." name with
// optional ":" or "." version parts (anthropic.claude-3-haiku-20240307-v1:0,
// anthropic.claude-instant-v1:2:100k); other resource ids are alphanumeric.
var (
	modelIDPattern  = regexp.MustCompile(`^[a-z0-9-]{1,63}\.[a-z0-9-]{1,63}([.:][a-z0-9-]{1,63})*$`)
	opaqueIDPattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._:-]{0,99}$`)
	regionPattern   = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$`)
	accountPattern  = regexp.MustCompile(`^[0-9]{12}$`)
)

// partitions are the AWS partitions an ARN may name.
var partitions = map[string]bool{
	"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso": true,
	"aws-iso-b": true, "aws-iso-e": true, "aws-iso-f": true, "aws-eusc": true,
}

// maxLen is the longest modelId Bedrock Runtime accepts (its pattern's
// length constraint, 1..2048).
const maxLen = 2048

// Parse classifies a modelId as passed to Bedrock Runtime. It checks the form,
// not whether the model exists. Errors wrap [ErrInvalid].
func Parse(modelID string) (ID, error) {
	if modelID == "" {
		return ID{}, fmt.Errorf("parse model id: empty: %w", ErrInvalid)
	}
	if len(modelID) > maxLen {
		return ID{}, fmt.Errorf("parse model id: longer than %d characters: %w", maxLen, ErrInvalid)
	}
	if strings.HasPrefix(modelID, "arn:") {
		id, err := parseARN(modelID)
		if err != nil {
			return ID{}, fmt.Errorf("parse model id %q: %w", modelID, err)
		}
		return id, nil
	}
	id, err := parseBare(modelID)
	if err != nil {
		return ID{}, fmt.Errorf("parse model id %q: %w", modelID, err)
	}
	return id, nil
}

func parseBare(s string) (ID, error) {
	if !modelIDPattern.MatchString(s) {
		return ID{}, fmt.Errorf("not a model id, inference profile id or ARN: %w", ErrInvalid)
	}
	id := ID{Raw: s, ResourceID: s}
	prefix, rest, _ := strings.Cut(s, ".")
	if isGeoPrefix(prefix) {
		if !modelIDPattern.MatchString(rest) {
			return ID{}, fmt.Errorf("inference profile %q names no model id: %w", prefix, ErrInvalid)
		}
		id.Kind, id.GeoPrefix, id.BaseModelID = KindInferenceProfile, prefix, rest
		return id, nil
	}
	id.Kind, id.BaseModelID = KindFoundationModel, s
	return id, nil
}

func parseARN(s string) (ID, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 {
		return ID{}, fmt.Errorf("arn has fewer than 6 fields: %w", ErrInvalid)
	}
	partition, service, region, account, resource := parts[1], parts[2], parts[3], parts[4], parts[5]
	if !partitions[partition] {
		return ID{}, fmt.Errorf("unknown partition %q: %w", partition, ErrInvalid)
	}
	if service == "sagemaker" {
		return parseEndpointARN(s, partition, region, account, resource)
	}
	if service != "bedrock" {
		return ID{}, fmt.Errorf("service %q is not bedrock: %w", service, ErrInvalid)
	}
	if region != "" && !regionPattern.MatchString(region) {
		return ID{}, fmt.Errorf("invalid region %q: %w", region, ErrInvalid)
	}
	if account != "" && !accountPattern.MatchString(account) {
		return ID{}, fmt.Errorf("invalid account %q: %w", account, ErrInvalid)
	}
	rtype, rid, ok := strings.Cut(resource, "/")
	if !ok || rid == "" {
		return ID{}, fmt.Errorf("resource %q has no id: %w", resource, ErrInvalid)
	}
	kind, ok := resourceKinds[rtype]
	if !ok {
		return ID{}, fmt.Errorf("resource type %q is not a model: %w", rtype, ErrInvalid)
	}
	id := ID{Kind: kind, Raw: s, IsARN: true, Partition: partition, Region: region, Account: account, ResourceID: rid}
	switch kind {
	case KindFoundationModel:
		// Foundation models belong to no account; the region is empty only
		// in the global form.
		if account != "" {
			return ID{}, fmt.Errorf("foundation-model arn has an account: %w", ErrInvalid)
		}
		if !modelIDPattern.MatchString(rid) {
			return ID{}, fmt.Errorf("invalid foundation model id %q: %w", rid, ErrInvalid)
		}
		id.BaseModelID = rid
		return id, nil
	case KindInferenceProfile:
		if err := needRegionAccount(region, account); err != nil {
			return ID{}, err
		}
		prefix, rest, _ := strings.Cut(rid, ".")
		if !modelIDPattern.MatchString(rid) || !modelIDPattern.MatchString(rest) {
			return ID{}, fmt.Errorf("invalid inference profile id %q: %w", rid, ErrInvalid)
		}
		id.GeoPrefix, id.BaseModelID = prefix, rest
		return id, nil
	case KindCustomModel:
		// custom-model/<base model id>/<suffix>
		base, suffix, ok := strings.Cut(rid, "/")
		if !ok || !modelIDPattern.MatchString(base) || !opaqueIDPattern.MatchString(suffix) {
			return ID{}, fmt.Errorf("invalid custom model id %q: %w", rid, ErrInvalid)
		}
		if err := needRegionAccount(region, account); err != nil {
			return ID{}, err
		}
		return id, nil
	case KindPrompt:
		pid, version, hasVersion := strings.Cut(rid, ":")
		if !opaqueIDPattern.MatchString(pid) || (hasVersion && !opaqueIDPattern.MatchString(version)) {
			return ID{}, fmt.Errorf("invalid prompt id %q: %w", rid, ErrInvalid)
		}
		if err := needRegionAccount(region, account); err != nil {
			return ID{}, err
		}
		return id, nil
	default:
		if !opaqueIDPattern.MatchString(rid) {
			return ID{}, fmt.Errorf("invalid %s id %q: %w", kind, rid, ErrInvalid)
		}
		if err := needRegionAccount(region, account); err != nil {
			return ID{}, err
		}
		return id, nil
	}
}

func needRegionAccount(region, account string) error {
	if region == "" {
		return fmt.Errorf("arn has no region: %w", ErrInvalid)
	}
	if account == "" {
		return fmt.Errorf("arn has no account: %w", ErrInvalid)
	}
	return nil
}

// FoundationModelARN returns the ARN Bedrock authorizes for a foundation
// model in a region. With region "" it returns the region-less form that
// global cross-Region inference authorizes
// (arn:aws:bedrock:::foundation-model/ID, BR-GLOBAL).
func FoundationModelARN(partition, region, modelID string) string {
	return "arn:" + partition + ":bedrock:" + region + "::foundation-model/" + modelID
}

// InferenceProfileARN returns the ARN of a system-defined inference profile
// as seen from a source region and the caller's account (a system profile's
// ARN carries the caller's account id, AWS.md §5.2).
func InferenceProfileARN(partition, region, account, profileID string) string {
	return "arn:" + partition + ":bedrock:" + region + ":" + account + ":inference-profile/" + profileID
}

// ARN returns the resource ARN Bedrock authorizes when this identifier is
// invoked in region by account: for an ARN input the ARN itself, for a bare
// foundation-model id its regional ARN, for a bare profile id the profile
// ARN in that region and account.
func (id ID) ARN(partition, region, account string) string {
	switch {
	case id.IsARN:
		return id.Raw
	case id.Kind == KindFoundationModel:
		return FoundationModelARN(partition, region, id.ResourceID)
	case id.Kind == KindInferenceProfile:
		return InferenceProfileARN(partition, region, account, id.ResourceID)
	}
	return ""
}

// actions maps Bedrock Runtime operations to the IAM action they are
// authorized as (AWS.md §6.4; the SDK's api_op_*.go doc comments).
var actions = map[string]string{
	"InvokeModel":                        "bedrock:InvokeModel",
	"Converse":                           "bedrock:InvokeModel",
	"StartAsyncInvoke":                   "bedrock:InvokeModel",
	"InvokeModelWithBidirectionalStream": "bedrock:InvokeModel",
	"InvokeModelWithResponseStream":      "bedrock:InvokeModelWithResponseStream",
	"ConverseStream":                     "bedrock:InvokeModelWithResponseStream",
	"CountTokens":                        "bedrock:CountTokens",
	"ApplyGuardrail":                     "bedrock:ApplyGuardrail",
	"GetAsyncInvoke":                     "bedrock:GetAsyncInvoke",
	"ListAsyncInvokes":                   "bedrock:ListAsyncInvokes",
}

// ActionFor returns the IAM action a Bedrock Runtime operation (SDK operation
// name, e.g. "ConverseStream") is authorized as, or "" for an operation it
// does not know.
func ActionFor(operation string) string {
	return actions[operation]
}

// PartitionForRegion returns the partition a region belongs to ("aws" for
// commercial regions and for anything it does not recognise).
func PartitionForRegion(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-isof-"):
		return "aws-iso-f"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e"
	case strings.HasPrefix(region, "eusc-"):
		return "aws-eusc"
	}
	return "aws"
}

// bedrockRegions are the regions where Amazon Bedrock is offered, per
// partition, the regions with the largest model catalogs first
// (https://docs.aws.amazon.com/bedrock/latest/userguide/endpoints-region-availability.html).
var bedrockRegions = map[string][]string{
	"aws": {
		"us-east-1", "us-west-2", "eu-central-1", "ap-northeast-1",
		"us-east-2", "us-west-1", "ca-central-1", "ca-west-1", "sa-east-1",
		"eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
		"ap-east-2", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
		"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
		"il-central-1", "me-central-1", "me-south-1",
	},
	"aws-us-gov": {"us-gov-west-1", "us-gov-east-1"},
}

// Regions returns the regions of a partition where Amazon Bedrock is
// offered, the largest catalogs first; nil for a partition it does not know.
// A model missing from one region is looked for in these to tell "not
// offered here" from "no such model".
func Regions(partition string) []string {
	return bedrockRegions[partition]
}
