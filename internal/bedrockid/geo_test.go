package bedrockid

import "testing"

func TestProfileServesRegion(t *testing.T) {
	for _, tc := range []struct {
		prefix, region string
		want           bool
	}{
		{"us", "us-east-1", true},
		{"us", "us-west-2", true},
		{"us", "eu-west-1", false},
		{"eu", "eu-central-1", true},
		{"eu", "us-east-1", false},
		{"apac", "ap-northeast-1", true},
		{"apac", "us-east-1", false},
		{"global", "us-east-1", true},
		{"global", "cn-north-1", false},
		{"us-gov", "us-gov-west-1", true},
		{"us-gov", "us-east-1", false},
		{"zz", "us-east-1", true}, // unknown prefix: no claim
	} {
		if got := ProfileServesRegion(tc.prefix, tc.region); got != tc.want {
			t.Errorf("ProfileServesRegion(%q, %q) = %v, want %v", tc.prefix, tc.region, got, tc.want)
		}
	}
	for region, want := range map[string]string{"us-east-1": "us", "us-gov-west-1": "us-gov", "eu-west-3": "eu", "ap-south-1": "apac", "sa-east-1": ""} {
		if got := ProfilePrefixForRegion(region); got != want {
			t.Errorf("ProfilePrefixForRegion(%q) = %q, want %q", region, got, want)
		}
	}
}
