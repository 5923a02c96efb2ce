package diagnose

import (
	"strings"
	"testing"
)

// TestParseMessage checks every field the parser reads, on each envelope
// the SDKs and tools print. The inputs follow the formats AWS.md §1.4, §2.3
// and §3.8 record; expected values are written out by hand.
func TestParseMessage(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Message
	}{
		{
			name: "go sdk modeled error",
			text: "operation error Bedrock Runtime: InvokeModel, https response error StatusCode: 403, RequestID: 2b4f6d8e-0000-4000-8000-000000000001, AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/R/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0 because no identity-based policy allows the bedrock:InvokeModel action",
			want: Message{
				Service: "Bedrock Runtime", Operation: "InvokeModel", StatusCode: 403, RequestID: "2b4f6d8e-0000-4000-8000-000000000001",
				Code: "AccessDeniedException", Text: "User: arn:aws:sts::222222222222:assumed-role/R/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0 because no identity-based policy allows the bedrock:InvokeModel action",
				Principal: "arn:aws:sts::222222222222:assumed-role/R/s", Action: "bedrock:InvokeModel",
				Resource: "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0", PolicyType: PolicyIdentity,
				ModelID: "amazon.nova-lite-v1:0", Kind: KindIAMDenied,
			},
		},
		{
			name: "go sdk nested credential retrieval",
			text: "operation error Bedrock Runtime: Converse, get identity: get credentials: failed to refresh cached credentials, operation error STS: AssumeRole, https response error StatusCode: 403, RequestID: 7e3a0000-0000-4000-8000-000000000002, api error AccessDenied: User: arn:aws:iam::111111111111:user/app is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/Target",
			want: Message{
				Service: "Bedrock Runtime", Operation: "Converse", AssumeRole: true, StatusCode: 403, RequestID: "7e3a0000-0000-4000-8000-000000000002",
				Code: "AccessDenied", Text: "User: arn:aws:iam::111111111111:user/app is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/Target",
				Principal: "arn:aws:iam::111111111111:user/app", Action: "sts:AssumeRole", Resource: "arn:aws:iam::222222222222:role/Target",
				Kind: KindIAMDenied,
			},
		},
		{
			name: "explicit deny with policy arn and trailing period",
			text: "User: arn:aws:sts::222222222222:assumed-role/R/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:::foundation-model/anthropic.claude-opus-4-6-v1 with an explicit deny in a service control policy: arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd.",
			want: Message{
				Text:      "User: arn:aws:sts::222222222222:assumed-role/R/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:::foundation-model/anthropic.claude-opus-4-6-v1 with an explicit deny in a service control policy: arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd.",
				Principal: "arn:aws:sts::222222222222:assumed-role/R/s", Action: "bedrock:InvokeModel",
				Resource: "arn:aws:bedrock:::foundation-model/anthropic.claude-opus-4-6-v1", PolicyType: PolicySCP, Explicit: true,
				PolicyARN: "arn:aws:organizations::987654321098:policy/o-qv5af4abcd/service_control_policy/p-2kgnabcd",
				ModelID:   "anthropic.claude-opus-4-6-v1", Kind: KindIAMDenied,
			},
		},
		{
			name: "transitive suffix",
			text: "User: arn:aws:iam::777788889999:user/JohnDoe is not authorized to perform: codecommit:ListRepositories with an explicit deny in a VPC endpoint policy transitively through a service control policy",
			want: Message{
				Text:      "User: arn:aws:iam::777788889999:user/JohnDoe is not authorized to perform: codecommit:ListRepositories with an explicit deny in a VPC endpoint policy transitively through a service control policy",
				Principal: "arn:aws:iam::777788889999:user/JohnDoe", Action: "codecommit:ListRepositories",
				PolicyType: PolicyVPCEndpoint, Explicit: true, Via: PolicySCP, Kind: KindIAMDenied,
			},
		},
		{
			name: "prose before the grammar",
			text: "UnauthorizedOperation: You are not authorized to perform this operation. User: arn:aws:iam::111111111111:user/u is not authorized to perform: ec2:CreateRole because no permissions boundary allows the ec2:CreateRole action.",
			want: Message{
				Code: "UnauthorizedOperation", Text: "You are not authorized to perform this operation. User: arn:aws:iam::111111111111:user/u is not authorized to perform: ec2:CreateRole because no permissions boundary allows the ec2:CreateRole action.",
				Principal: "arn:aws:iam::111111111111:user/u", Action: "ec2:CreateRole", PolicyType: PolicyPermissionBoundary, Kind: KindIAMDenied,
			},
		},
		{
			name: "boto3 with retries note",
			text: "botocore.errorfactory.ThrottlingException: An error occurred (ThrottlingException) when calling the Converse operation (reached max retries: 4): Too many tokens per day, please wait before trying again.",
			want: Message{
				Operation: "Converse", Code: "ThrottlingException",
				Text: "Too many tokens per day, please wait before trying again.", Kind: KindThrottling,
			},
		},
		{
			name: "xml sts body",
			text: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>f1e2d3c4-0000-4000-8000-000000000003</RequestId></ErrorResponse>`,
			want: Message{
				RequestID: "f1e2d3c4-0000-4000-8000-000000000003", Code: "InvalidClientTokenId",
				Text: "The security token included in the request is invalid.", Kind: KindInvalidToken,
			},
		},
		{
			name: "json body with coral type",
			text: `{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."}`,
			want: Message{Code: "UnrecognizedClientException", Text: "The security token included in the request is invalid.", Kind: KindInvalidToken},
		},
		{
			name: "json body capital Message without code",
			text: `{"Message":"User: arn:aws:iam::111111111111:user/u is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-8b-instruct-v1:0"}`,
			want: Message{
				Text:      "User: arn:aws:iam::111111111111:user/u is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-8b-instruct-v1:0",
				Principal: "arn:aws:iam::111111111111:user/u", Action: "bedrock:InvokeModel",
				Resource: "arn:aws:bedrock:us-west-2::foundation-model/meta.llama3-8b-instruct-v1:0", ModelID: "meta.llama3-8b-instruct-v1:0",
				Kind: KindIAMDenied,
			},
		},
		{
			name: "java v2 suffix",
			text: "software.amazon.awssdk.services.bedrockruntime.model.AccessDeniedException: You don't have access to the model with the specified model ID. (Service: BedrockRuntime, Status Code: 403, Request ID: 0a1b2c3d-0000-4000-8000-000000000004)",
			want: Message{
				Service: "BedrockRuntime", StatusCode: 403, RequestID: "0a1b2c3d-0000-4000-8000-000000000004", Code: "AccessDeniedException",
				Text: "software.amazon.awssdk.services.bedrockruntime.model.AccessDeniedException: You don't have access to the model with the specified model ID.",
				Kind: KindModelAccessDenied,
			},
		},
		{
			name: "cloudtrail record",
			text: `{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"eu-west-1","errorCode":"AccessDenied","errorMessage":"User: arn:aws:sts::111111111111:assumed-role/ci/s is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/T","requestID":"5e6f0000-0000-4000-8000-000000000005"}`,
			want: Message{
				Service: "sts", Operation: "AssumeRole", AssumeRole: true, RequestID: "5e6f0000-0000-4000-8000-000000000005", Code: "AccessDenied",
				Text:      "User: arn:aws:sts::111111111111:assumed-role/ci/s is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/T",
				Principal: "arn:aws:sts::111111111111:assumed-role/ci/s", Action: "sts:AssumeRole", Resource: "arn:aws:iam::222222222222:role/T",
				Region: "eu-west-1", Kind: KindIAMDenied,
			},
		},
		{
			name: "on-demand names the model",
			text: "ValidationException: Invocation of model ID meta.llama3-3-70b-instruct-v1:0 with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
			want: Message{
				Code:    "ValidationException",
				Text:    "Invocation of model ID meta.llama3-3-70b-instruct-v1:0 with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
				ModelID: "meta.llama3-3-70b-instruct-v1:0", Kind: KindOnDemandUnsupported,
			},
		},
		{
			name: "redacted application profile arn is read leniently",
			text: "User: arn:aws:sts::<account>:assumed-role/R/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1:<account>:application-inference-profile/abc123 because no identity-based policy allows the bedrock:InvokeModel action",
			want: Message{
				Text:      "User: arn:aws:sts::<account>:assumed-role/R/s is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1:<account>:application-inference-profile/abc123 because no identity-based policy allows the bedrock:InvokeModel action",
				Principal: "arn:aws:sts::<account>:assumed-role/R/s", Action: "bedrock:InvokeModel",
				Resource:   "arn:aws:bedrock:us-east-1:<account>:application-inference-profile/abc123",
				PolicyType: PolicyIdentity, ModelID: "arn:aws:bedrock:us-east-1:<account>:application-inference-profile/abc123", Kind: KindIAMDenied,
			},
		},
		{
			name: "control characters are removed from fields",
			text: "User: arn:aws:iam::111111111111:user/a\x1b[31m is not authorized to perform: bedrock:InvokeModel\x00",
			want: Message{
				Text:      "User: arn:aws:iam::111111111111:user/a [31m is not authorized to perform: bedrock:InvokeModel",
				Principal: "arn:aws:iam::111111111111:user/a", Action: "bedrock:InvokeModel", Kind: KindIAMDenied,
			},
		},
		{
			name: "nothing",
			text: "",
			want: Message{Kind: KindUnrecognized},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseMessage(tt.text); got != tt.want {
				t.Errorf("ParseMessage() =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

// TestParseMessageKinds checks the classification of each phrase and code on
// its own, in the exact wording AWS uses (AWS.md §2.3, §6.3, §6.8).
func TestParseMessageKinds(t *testing.T) {
	tests := []struct {
		text string
		want MessageKind
	}{
		{"An error occurred (AccessDenied) when calling the AssumeRole operation: Roles may not be assumed by root accounts.", KindRootAssumeRole},
		{"ValidationError: The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.", KindRoleChainingDuration},
		{"ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", KindMaxSessionDuration},
		{"RegionDisabledException: STS is not activated in this region for account:123456789012. Your account administrator can activate STS in this region using the IAM Console.", KindRegionDisabled},
		{"ResourceNotFoundException: Model use case details have not been submitted for this account. Fill out the Anthropic use case details form before using the model.", KindUseCaseForm},
		{"AccessDeniedException: Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to enable access to this model.", KindMarketplace},
		{"AccessDeniedException: You don't have access to the model with the specified model ID.", KindModelAccessDenied},
		{"AccessDeniedException: Your account is not authorized to invoke this API operation.", KindAccountNotAuthorized},
		{"AccessDeniedException: This model is not available for this account.", KindModelNotAvailable},
		{"ResourceNotFoundException: Access denied. This Model is marked by provider as Legacy and you have not been actively using the model in the last 15 days.", KindLegacyModel},
		{"ValidationException: This model version has reached the end of its life. Please refer to the AWS documentation for more details.", KindEndOfLife},
		{"ValidationException: Invocation of model ID x.y with on-demand throughput isn't supported.", KindOnDemandUnsupported},
		{"ValidationException: The provided model doesn't support on-demand throughput.", KindOnDemandUnsupported},
		{"ValidationException: This action doesn't support the model that you provided. Try again with a supported text or chat model.", KindModelUnsupported},
		{"ValidationException: The provided model identifier is invalid.", KindInvalidModelID},
		{"ResourceNotFoundException: Model not found.", KindModelNotFound},
		{"api error ExpiredToken: The security token included in the request is expired", KindExpiredToken},
		{"ExpiredTokenException: Token expired: current date/time 1626271164 must be before the expiration date/time1626191469", KindExpiredToken},
		{"api error InvalidClientTokenId: The security token included in the request is invalid.", KindInvalidToken},
		{"UnrecognizedClientException: The security token included in the request is invalid.", KindInvalidToken},
		{"api error SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.", KindSignature},
		{"InvalidSignatureException: Signature not yet current: 20131120T113529Z is still later than 20131120T104538Z (20131120T104038Z + 5 min.)", KindClockSkew},
		{"RequestTimeTooSkewed: The difference between the request time and the current time is too large.", KindClockSkew},
		{"get identity: get credentials: failed to refresh cached credentials, no EC2 IMDS role found, operation error ec2imds: GetMetadata, request canceled", KindNoCredentials},
		{"failed to retrieve credentials: failed to refresh cached credentials, static credentials are empty", KindNoCredentials},
		{"Error when retrieving token from sso: Token has expired and refresh failed", KindSSOExpired},
		{`{"Message":"Authentication failed: Please make sure your API Key is valid."}`, KindBearerKeyInvalid},
		{"ServiceQuotaExceededException: Your request exceeds the service quota for your account.", KindQuota},
		{"operation error Bedrock Runtime: InvokeModel, https response error StatusCode: 500, RequestID: r, InternalServerException: Internal error", KindServerError},
		{"ModelNotReadyException: Model is not ready for inference. Wait and try your request again.", KindServerError},
		{"ValidationException: messages: text content blocks must be non-empty", KindValidation},
		{"AccessDeniedException: ", KindAccessDenied},
		{"hello world", KindUnrecognized},
	}
	for _, tt := range tests {
		if got := ParseMessage(tt.text).Kind; got != tt.want {
			t.Errorf("ParseMessage(%q).Kind = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestIsAccessDenial(t *testing.T) {
	for _, k := range []MessageKind{KindThrottling, KindQuota, KindServerError, KindValidation, KindUnrecognized} {
		if k.IsAccessDenial() {
			t.Errorf("%q.IsAccessDenial() = true", k)
		}
	}
	for _, k := range []MessageKind{KindIAMDenied, KindAccessDenied, KindMarketplace, KindExpiredToken, KindInvalidModelID, KindRegionDisabled} {
		if !k.IsAccessDenial() {
			t.Errorf("%q.IsAccessDenial() = false", k)
		}
	}
}

// TestParseMessageLongInput checks the cap: of a huge text, the first and
// the last maxMessageText/2 bytes are read (tracebacks end with the AWS
// message; bodies start with it) and the middle is not.
func TestParseMessageLongInput(t *testing.T) {
	const denial = " User: arn:aws:iam::111111111111:user/u is not authorized to perform: bedrock:InvokeModel "
	pad := strings.Repeat("x", maxMessageText)
	if m := ParseMessage(pad + denial); m.Kind != KindIAMDenied || m.Principal != "arn:aws:iam::111111111111:user/u" {
		t.Errorf("a denial at the end of a long text was not read: kind %q", m.Kind)
	}
	if m := ParseMessage(denial + pad); m.Kind != KindIAMDenied {
		t.Errorf("a denial at the start of a long text was not read: kind %q", m.Kind)
	}
	if m := ParseMessage(pad + denial + pad); m.Kind != KindUnrecognized || m.Principal != "" {
		t.Errorf("the middle of a long text was read: kind %q", m.Kind)
	}
}

// TestParseMessageOverlaps checks texts where the markers overlap (found by
// FuzzParseMessage: "User: " whose token runs into "not authorized").
func TestParseMessageOverlaps(t *testing.T) {
	for _, text := range []string{"User: not authorized to perform: a:b", "User:not authorized to perform: a:b", "User: User: is not authorized to perform: x:y"} {
		m := ParseMessage(text)
		if m.Kind != KindIAMDenied || m.Action == "" {
			t.Errorf("ParseMessage(%q) = kind %q action %q", text, m.Kind, m.Action)
		}
	}
}
