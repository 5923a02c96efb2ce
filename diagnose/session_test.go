package diagnose

import "testing"

func TestSessionOfRole(t *testing.T) {
	const role = "arn:aws:iam::222222222222:role/team/BedrockAccess"
	for _, tc := range []struct {
		principal string
		want      bool
	}{
		{"arn:aws:sts::222222222222:assumed-role/BedrockAccess/s1", true}, // session ARNs drop the path
		{"arn:aws:sts::222222222222:assumed-role/Other/s1", false},
		{"arn:aws:sts::333333333333:assumed-role/BedrockAccess/s1", false},
		{"arn:aws-cn:sts::222222222222:assumed-role/BedrockAccess/s1", false},
		{"arn:aws:iam::222222222222:role/team/BedrockAccess", true},
		{"arn:aws:iam::222222222222:user/BedrockAccess", false},
		{"arn:aws:iam::222222222222:root", false},
		{"not an arn", false},
		{"", false},
	} {
		if got := SessionOfRole(tc.principal, role); got != tc.want {
			t.Errorf("SessionOfRole(%q) = %v, want %v", tc.principal, got, tc.want)
		}
	}
	if SessionOfRole("arn:aws:sts::222222222222:assumed-role/BedrockAccess/s1", "garbage") {
		t.Errorf("a malformed role ARN matched")
	}
}
