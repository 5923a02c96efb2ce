package bedrockid

import (
	"fmt"
	"regexp"
)

// Bedrock Marketplace models run on a SageMaker endpoint in the caller's
// account, and Bedrock Runtime takes the endpoint's ARN as modelId
// (InvokeModel, Converse). AWS's own example policy for invoking one
// ("Set up Amazon Bedrock Marketplace",
// https://docs.aws.amazon.com/bedrock/latest/userguide/setup-amazon-bedrock-marketplace.html)
// allows bedrock:InvokeModel on
// arn:aws:bedrock:REGION:ACCOUNT:marketplace/model-endpoint/all-access and
// sagemaker:InvokeEndpoint on the endpoint with aws:CalledViaLast =
// bedrock.amazonaws.com: Bedrock authorizes the first, and SageMaker the
// second for the caller, through Bedrock.

// endpointNamePattern is SageMaker's endpoint name pattern
// (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html).
var endpointNamePattern = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)

// parseEndpointARN parses arn:PARTITION:sagemaker:REGION:ACCOUNT:endpoint/NAME.
func parseEndpointARN(s, partition, region, account, resource string) (ID, error) {
	rtype, name, ok := cutSlash(resource)
	if !ok || rtype != "endpoint" {
		return ID{}, fmt.Errorf("sagemaker resource %q is not an endpoint: %w", resource, ErrInvalid)
	}
	if !endpointNamePattern.MatchString(name) {
		return ID{}, fmt.Errorf("invalid endpoint name %q: %w", name, ErrInvalid)
	}
	if err := needRegionAccount(region, account); err != nil {
		return ID{}, err
	}
	return ID{Kind: KindMarketplaceEndpoint, Raw: s, IsARN: true, Partition: partition, Region: region, Account: account, ResourceID: name}, nil
}

func cutSlash(s string) (before, after string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return s[:i], s[i+1:], i+1 < len(s)
		}
	}
	return s, "", false
}

// MarketplaceEndpointARN is the resource Bedrock authorizes
// bedrock:InvokeModel on for any Marketplace model endpoint of an account in
// a region (the service reference's bedrock-marketplace-model-endpoint
// resource type).
func MarketplaceEndpointARN(partition, region, account string) string {
	return "arn:" + partition + ":bedrock:" + region + ":" + account + ":marketplace/model-endpoint/all-access"
}
