package bedrockid

import "strings"

// geoSourceRegions maps a profile prefix to the prefixes of the regions it
// can be called from. Source: the source-region tables of BR-GEO
// (https://docs.aws.amazon.com/bedrock/latest/userguide/geographic-cross-region-inference.html);
// jp/au from 2026 observations (AWS.md §6.5). "global" serves every
// commercial region (BR-GLOBAL).
var geoSourceRegions = map[string][]string{
	"us":     {"us-east-", "us-west-", "ca-"},
	"us-gov": {"us-gov-"},
	"eu":     {"eu-"},
	"apac":   {"ap-"},
	"jp":     {"ap-northeast-1", "ap-northeast-3"},
	"au":     {"ap-southeast-2", "ap-southeast-4"},
	"ca":     {"ca-"},
}

// ProfileServesRegion reports whether a system-defined profile with prefix
// may be called from region. Unknown prefixes and regions answer true: the
// caller must not claim a mismatch it cannot show.
func ProfileServesRegion(prefix, region string) bool {
	if prefix == "global" {
		return PartitionForRegion(region) == "aws"
	}
	regions, ok := geoSourceRegions[prefix]
	if !ok || region == "" {
		return true
	}
	for _, r := range regions {
		if strings.HasPrefix(region, r) {
			return true
		}
	}
	return false
}

// ProfilePrefixForRegion is the geographic profile prefix an app in region
// would normally use ("us" for us-east-1), or "" when unsure.
func ProfilePrefixForRegion(region string) string {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return "us-gov"
	case strings.HasPrefix(region, "us-"):
		return "us"
	case strings.HasPrefix(region, "eu-"):
		return "eu"
	case strings.HasPrefix(region, "ap-"):
		return "apac"
	}
	return ""
}
