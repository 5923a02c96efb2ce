package iampolicy

import "testing"

func TestMatchAction(t *testing.T) {
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"bedrock:InvokeModel", "bedrock:InvokeModel", true},
		{"bedrock:invokemodel", "bedrock:InvokeModel", true},
		{"BEDROCK:InvokeModel", "bedrock:InvokeModel", true},
		{"bedrock:InvokeModel*", "bedrock:InvokeModelWithResponseStream", true},
		{"bedrock:InvokeModel*", "bedrock:InvokeModel", true},
		{"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", false},
		{"bedrock:*", "bedrock:Converse", true},
		{"bedrock:*", "sts:AssumeRole", false},
		{"*", "sts:AssumeRole", true},
		{"sts:AssumeRole?", "sts:AssumeRole", false},
		{"sts:Assume?ole", "sts:AssumeRole", true},
		{"s3:Get*Tagging", "s3:GetObjectTagging", true},
		{"s3:Get*Tagging", "s3:GetObjectTaggingX", false},
		{"*:Get*", "iam:GetRole", true},
		{"", "iam:GetRole", false},
		{"iam:GetRole", "", false},
	}
	for _, tt := range tests {
		if got := MatchAction(tt.pattern, tt.action); got != tt.want {
			t.Errorf("MatchAction(%q, %q) = %v, want %v", tt.pattern, tt.action, got, tt.want)
		}
	}
}

func TestMatchResource(t *testing.T) {
	const fm = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
	tests := []struct {
		pattern, arn string
		want         bool
	}{
		{"*", fm, true},
		{fm, fm, true},
		{"arn:aws:bedrock:*::foundation-model/*", fm, true},
		{"arn:aws:bedrock:*::foundation-model/*", "arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-5", true},
		{"arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5", "arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-5", true},
		{"arn:aws:bedrock:us-*::foundation-model/*", "arn:aws:bedrock:::foundation-model/x", false},
		{"arn:aws:bedrock:*:*:foundation-model/*", fm, true},
		{"arn:aws:bedrock:*:111111111111:foundation-model/*", fm, false},
		{"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:*", fm, true},
		{"arn:aws:bedrock:us-east-1::foundation-model/anthropic.*", fm, true},
		{"arn:aws:bedrock:us-east-1::foundation-model/Anthropic.*", fm, false},
		{"arn:aws:bedrock:*", fm, true},
		{"arn:aws:*:us-east-1::foundation-model/*", fm, true},
		{"arn:aws:bedrock:us-east-?::foundation-model/*", fm, true},
		{"arn:aws:bedrock:us-east-?::foundation-model/*", "arn:aws:bedrock:us-east-10::foundation-model/x", false},
		{"arn:aws:bedrock:us*1::foundation-model/*", "arn:aws:bedrock:us-east-1::foundation-model/x", true},
		// A wildcard stays inside its segment: "us*" cannot eat "us-east-1:".
		{"arn:aws:bedrock:us*:foundation-model/*", "arn:aws:bedrock:us-east-1::foundation-model/x", false},
		{"arn:aws:iam::111111111111:role/*", "arn:aws:iam::111111111111:role/path/R", true},
		{"arn:aws:iam::111111111111:role/R", "arn:aws:iam::111111111111:role/path/R", false},
		{"arn:aws-cn:bedrock:*::foundation-model/*", "arn:aws:bedrock:cn-north-1::foundation-model/x", false},
		{"arn:aws*:bedrock:*::foundation-model/*", "arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/x", true},
		{"arn:aws:bedrock:us-east-1::foundation-model/x", "*", false},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a:b/c", true},
		{"arn:aws:s3:::bucket", "arn:aws:s3:::bucket/a", false},
		{"arn:aws:s3:::bucket/${aws:username}", "arn:aws:s3:::bucket/${aws:username}", true},
	}
	for _, tt := range tests {
		if got := MatchResource(tt.pattern, tt.arn); got != tt.want {
			t.Errorf("MatchResource(%q, %q) = %v, want %v", tt.pattern, tt.arn, got, tt.want)
		}
	}
}
