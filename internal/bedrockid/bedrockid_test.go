package bedrockid

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want ID
	}{
		{"foundation model id", "anthropic.claude-3-haiku-20240307-v1:0", ID{Kind: KindFoundationModel, ResourceID: "anthropic.claude-3-haiku-20240307-v1:0", BaseModelID: "anthropic.claude-3-haiku-20240307-v1:0"}},
		{"foundation model id with context suffix", "anthropic.claude-instant-v1:2:100k", ID{Kind: KindFoundationModel, ResourceID: "anthropic.claude-instant-v1:2:100k", BaseModelID: "anthropic.claude-instant-v1:2:100k"}},
		{"foundation model id without version", "amazon.nova-pro-v1", ID{Kind: KindFoundationModel, ResourceID: "amazon.nova-pro-v1", BaseModelID: "amazon.nova-pro-v1"}},
		{"regional foundation model arn", "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
			ID{Kind: KindFoundationModel, IsARN: true, Partition: "aws", Region: "us-east-1", ResourceID: "anthropic.claude-3-haiku-20240307-v1:0", BaseModelID: "anthropic.claude-3-haiku-20240307-v1:0"}},
		{"region-less foundation model arn", "arn:aws:bedrock:::foundation-model/anthropic.claude-opus-4-6-v1",
			ID{Kind: KindFoundationModel, IsARN: true, Partition: "aws", ResourceID: "anthropic.claude-opus-4-6-v1", BaseModelID: "anthropic.claude-opus-4-6-v1"}},
		{"china partition", "arn:aws-cn:bedrock:cn-north-1::foundation-model/amazon.titan-embed-text-v2:0",
			ID{Kind: KindFoundationModel, IsARN: true, Partition: "aws-cn", Region: "cn-north-1", ResourceID: "amazon.titan-embed-text-v2:0", BaseModelID: "amazon.titan-embed-text-v2:0"}},
		{"us profile id", "us.anthropic.claude-3-haiku-20240307-v1:0", ID{Kind: KindInferenceProfile, ResourceID: "us.anthropic.claude-3-haiku-20240307-v1:0", BaseModelID: "anthropic.claude-3-haiku-20240307-v1:0", GeoPrefix: "us"}},
		{"eu profile id", "eu.amazon.nova-lite-v1:0", ID{Kind: KindInferenceProfile, ResourceID: "eu.amazon.nova-lite-v1:0", BaseModelID: "amazon.nova-lite-v1:0", GeoPrefix: "eu"}},
		{"apac profile id", "apac.anthropic.claude-sonnet-4-20250514-v1:0", ID{Kind: KindInferenceProfile, ResourceID: "apac.anthropic.claude-sonnet-4-20250514-v1:0", BaseModelID: "anthropic.claude-sonnet-4-20250514-v1:0", GeoPrefix: "apac"}},
		{"global profile id", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", ID{Kind: KindInferenceProfile, ResourceID: "global.anthropic.claude-sonnet-4-5-20250929-v1:0", BaseModelID: "anthropic.claude-sonnet-4-5-20250929-v1:0", GeoPrefix: "global"}},
		{"us-gov profile id", "us-gov.anthropic.claude-3-haiku-20240307-v1:0", ID{Kind: KindInferenceProfile, ResourceID: "us-gov.anthropic.claude-3-haiku-20240307-v1:0", BaseModelID: "anthropic.claude-3-haiku-20240307-v1:0", GeoPrefix: "us-gov"}},
		{"jp profile id", "jp.anthropic.claude-sonnet-4-6", ID{Kind: KindInferenceProfile, ResourceID: "jp.anthropic.claude-sonnet-4-6", BaseModelID: "anthropic.claude-sonnet-4-6", GeoPrefix: "jp"}},
		{"system profile arn", "arn:aws:bedrock:us-east-2:111122223333:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0",
			ID{Kind: KindInferenceProfile, IsARN: true, Partition: "aws", Region: "us-east-2", Account: "111122223333", ResourceID: "us.anthropic.claude-3-haiku-20240307-v1:0", BaseModelID: "anthropic.claude-3-haiku-20240307-v1:0", GeoPrefix: "us"}},
		{"govcloud profile arn", "arn:aws-us-gov:bedrock:us-gov-west-1:111122223333:inference-profile/us-gov.anthropic.claude-3-haiku-20240307-v1:0",
			ID{Kind: KindInferenceProfile, IsARN: true, Partition: "aws-us-gov", Region: "us-gov-west-1", Account: "111122223333", ResourceID: "us-gov.anthropic.claude-3-haiku-20240307-v1:0", BaseModelID: "anthropic.claude-3-haiku-20240307-v1:0", GeoPrefix: "us-gov"}},
		{"application profile arn", "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/a1b2c3d4e5f6",
			ID{Kind: KindApplicationInferenceProfile, IsARN: true, Partition: "aws", Region: "us-east-1", Account: "111122223333", ResourceID: "a1b2c3d4e5f6"}},
		{"provisioned model arn", "arn:aws:bedrock:us-east-1:111122223333:provisioned-model/abcdefghijkl",
			ID{Kind: KindProvisionedModel, IsARN: true, Partition: "aws", Region: "us-east-1", Account: "111122223333", ResourceID: "abcdefghijkl"}},
		{"custom model arn", "arn:aws:bedrock:us-east-1:111122223333:custom-model/amazon.titan-text-express-v1:0:8k/abcdefghijkl",
			ID{Kind: KindCustomModel, IsARN: true, Partition: "aws", Region: "us-east-1", Account: "111122223333", ResourceID: "amazon.titan-text-express-v1:0:8k/abcdefghijkl"}},
		{"custom model deployment arn", "arn:aws:bedrock:us-east-1:111122223333:custom-model-deployment/abcdefghijkl",
			ID{Kind: KindCustomModelDeployment, IsARN: true, Partition: "aws", Region: "us-east-1", Account: "111122223333", ResourceID: "abcdefghijkl"}},
		{"imported model arn", "arn:aws:bedrock:us-west-2:111122223333:imported-model/abcdefghijkl",
			ID{Kind: KindImportedModel, IsARN: true, Partition: "aws", Region: "us-west-2", Account: "111122223333", ResourceID: "abcdefghijkl"}},
		{"prompt router arn", "arn:aws:bedrock:us-east-1:111122223333:prompt-router/my-router",
			ID{Kind: KindPromptRouter, IsARN: true, Partition: "aws", Region: "us-east-1", Account: "111122223333", ResourceID: "my-router"}},
		{"default prompt router arn", "arn:aws:bedrock:us-east-1:111122223333:default-prompt-router/anthropic.claude:1",
			ID{Kind: KindDefaultPromptRouter, IsARN: true, Partition: "aws", Region: "us-east-1", Account: "111122223333", ResourceID: "anthropic.claude:1"}},
		{"prompt version arn", "arn:aws:bedrock:us-east-1:111122223333:prompt/PROMPT12345:3",
			ID{Kind: KindPrompt, IsARN: true, Partition: "aws", Region: "us-east-1", Account: "111122223333", ResourceID: "PROMPT12345:3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			tt.want.Raw = tt.in
			if got != tt.want {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	for _, in := range []string{
		"",
		"claude",                // no provider
		"Anthropic.Claude-3",    // upper case
		"anthropic.claude 3",    // space
		"us.",                   // profile with no model
		"us.claude",             // profile prefix, model has no provider
		"arn:aws:bedrock",       // short
		"arn:aws:s3:::bucket/x", // not bedrock
		"arn:aws-mars:bedrock:us-east-1::foundation-model/a.b",
		"arn:aws:bedrock:us-east-1:111122223333:foundation-model/a.b", // FM with account
		"arn:aws:bedrock:us-east-1::foundation-model/",
		"arn:aws:bedrock:us-east-1::foundation-model/claude",
		"arn:aws:bedrock:us-east-1::inference-profile/us.a.b",     // no account
		"arn:aws:bedrock::111122223333:inference-profile/us.a.b",  // no region
		"arn:aws:bedrock:us-east-1:1234:inference-profile/us.a.b", // short account
		"arn:aws:bedrock:useast1:111122223333:inference-profile/us.a.b",
		"arn:aws:bedrock:us-east-1:111122223333:guardrail/abc",    // not a model
		"arn:aws:bedrock:us-east-1:111122223333:custom-model/abc", // no base model
		"arn:aws:bedrock:us-east-1:111122223333:prompt/P:",        // empty version
		"arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/a/b",
	} {
		id, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%q) = %+v, want error", in, id)
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) error %v does not wrap ErrInvalid", in, err)
		}
	}
	long := make([]byte, maxLen+1)
	for i := range long {
		long[i] = 'a'
	}
	if _, err := Parse(string(long)); !errors.Is(err, ErrInvalid) {
		t.Errorf("Parse(long) = %v, want ErrInvalid", err)
	}
}

func TestARN(t *testing.T) {
	tests := []struct {
		in, partition, region, account, want string
	}{
		{"anthropic.claude-3-haiku-20240307-v1:0", "aws", "eu-west-1", "111122223333", "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"},
		{"eu.anthropic.claude-3-haiku-20240307-v1:0", "aws", "eu-west-1", "111122223333", "arn:aws:bedrock:eu-west-1:111122223333:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0"},
		{"amazon.nova-lite-v1:0", "aws-cn", "cn-north-1", "111122223333", "arn:aws-cn:bedrock:cn-north-1::foundation-model/amazon.nova-lite-v1:0"},
		{"arn:aws:bedrock:us-west-2:999999999999:application-inference-profile/abc123", "aws", "eu-west-1", "111122223333", "arn:aws:bedrock:us-west-2:999999999999:application-inference-profile/abc123"},
	}
	for _, tt := range tests {
		id, err := Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := id.ARN(tt.partition, tt.region, tt.account); got != tt.want {
			t.Errorf("Parse(%q).ARN = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got, want := FoundationModelARN("aws", "", "anthropic.claude-opus-4-6-v1"), "arn:aws:bedrock:::foundation-model/anthropic.claude-opus-4-6-v1"; got != want {
		t.Errorf("FoundationModelARN global = %q, want %q", got, want)
	}
}

func TestActionFor(t *testing.T) {
	tests := map[string]string{
		"InvokeModel":                   "bedrock:InvokeModel",
		"Converse":                      "bedrock:InvokeModel",
		"StartAsyncInvoke":              "bedrock:InvokeModel",
		"InvokeModelWithResponseStream": "bedrock:InvokeModelWithResponseStream",
		"ConverseStream":                "bedrock:InvokeModelWithResponseStream",
		"CountTokens":                   "bedrock:CountTokens",
		"ApplyGuardrail":                "bedrock:ApplyGuardrail",
		"Frobnicate":                    "",
	}
	for op, want := range tests {
		if got := ActionFor(op); got != want {
			t.Errorf("ActionFor(%q) = %q, want %q", op, got, want)
		}
	}
}

func TestPartitionForRegion(t *testing.T) {
	tests := map[string]string{
		"us-east-1": "aws", "eu-central-2": "aws", "cn-northwest-1": "aws-cn",
		"us-gov-west-1": "aws-us-gov", "us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b",
		"eusc-de-east-1": "aws-eusc", "": "aws",
	}
	for region, want := range tests {
		if got := PartitionForRegion(region); got != want {
			t.Errorf("PartitionForRegion(%q) = %q, want %q", region, got, want)
		}
	}
}

func TestKindString(t *testing.T) {
	if got := KindApplicationInferenceProfile.String(); got != "application-inference-profile" {
		t.Errorf("got %q", got)
	}
	if got := Kind(99).String(); got != "unknown" {
		t.Errorf("got %q", got)
	}
}

// FuzzParse checks that Parse never panics, that every accepted id is
// classified, and that the ARN a bare id maps to parses back to the same
// model.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"anthropic.claude-3-haiku-20240307-v1:0", "us.anthropic.claude-3-haiku-20240307-v1:0",
		"arn:aws:bedrock:us-east-1::foundation-model/a.b:0", "arn:aws:bedrock:::foundation-model/a.b",
		"arn:aws:bedrock:us-east-1:111122223333:inference-profile/global.a.b",
		"arn:aws:bedrock:us-east-1:111122223333:custom-model/a.b/c", "arn:aws:bedrock:us-east-1:111122223333:prompt/P:1",
		"", "arn:", "us.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if id.Kind == KindUnknown || id.Raw != s || id.ResourceID == "" {
			t.Fatalf("accepted %q as %+v", s, id)
		}
		if id.IsARN {
			return
		}
		arn := id.ARN("aws", "us-east-1", "111122223333")
		back, err := Parse(arn)
		if err != nil {
			t.Fatalf("ARN %q of %q does not parse: %v", arn, s, err)
		}
		if back.Kind != id.Kind || back.BaseModelID != id.BaseModelID || back.GeoPrefix != id.GeoPrefix {
			t.Fatalf("round trip %q -> %q: %+v vs %+v", s, arn, id, back)
		}
	})
}

func TestParseMarketplaceEndpoint(t *testing.T) {
	id, err := Parse("arn:aws:sagemaker:us-east-1:111122223333:endpoint/my-endpoint-1")
	if err != nil {
		t.Fatal(err)
	}
	want := ID{Kind: KindMarketplaceEndpoint, Raw: "arn:aws:sagemaker:us-east-1:111122223333:endpoint/my-endpoint-1", IsARN: true,
		Partition: "aws", Region: "us-east-1", Account: "111122223333", ResourceID: "my-endpoint-1"}
	if id != want {
		t.Errorf("Parse = %+v, want %+v", id, want)
	}
	if id.Kind.String() != "marketplace-model-endpoint" {
		t.Errorf("Kind = %s", id.Kind)
	}
	if got := MarketplaceEndpointARN("aws", "us-east-1", "111122223333"); got != "arn:aws:bedrock:us-east-1:111122223333:marketplace/model-endpoint/all-access" {
		t.Errorf("MarketplaceEndpointARN = %s", got)
	}
	for _, bad := range []string{
		"arn:aws:sagemaker:us-east-1:111122223333:model/my-model",
		"arn:aws:sagemaker:us-east-1::endpoint/e",
		"arn:aws:sagemaker::111122223333:endpoint/e",
		"arn:aws:sagemaker:us-east-1:111122223333:endpoint/",
		"arn:aws:sagemaker:us-east-1:111122223333:endpoint/bad_name",
	} {
		if _, err := Parse(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}
