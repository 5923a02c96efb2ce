package diagnose

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestExplainTextClasses: the text classes of issue 11, each in the forms
// other SDKs and tools print it (Go SDK strings, boto3 lines, JS and Java
// renderings, JSON and XML bodies, CloudTrail records, log lines), written
// differently from the real texts in testdata/messages. The expected layers
// are written by hand from AWS's documented behaviour.
func TestExplainTextClasses(t *testing.T) {
	const pattern = "(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:(([0-9]{12}:custom-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}/[a-z0-9]{12})))|(([0-9a-zA-Z][_-]?)+)"
	tests := []struct {
		name       string
		text       string
		layer      Layer
		candidates []Layer
		kind       MessageKind
		region     string // Report.Region when set
		model      string // Report.ModelID when set
	}{
		// 2. Federated role assumptions: the role's side.
		{name: "web identity, go nested", text: "operation error Bedrock Runtime: Converse, get identity: get credentials: failed to refresh cached credentials, failed to retrieve credentials, operation error STS: AssumeRoleWithWebIdentity, https response error StatusCode: 403, RequestID: 5b0c7a2e-1111-4a2b-9c3d-0123456789ab, api error AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity", layer: LayerTrustPolicy, kind: KindIAMDenied},
		{name: "web identity, js v3", text: "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity\n    at de_AccessDeniedExceptionRes (/app/node_modules/@aws-sdk/client-sts/dist-cjs/index.js:464:21)", layer: LayerTrustPolicy, kind: KindIAMDenied},
		{name: "web identity, xml body", text: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>`, layer: LayerTrustPolicy, kind: KindIAMDenied},
		{name: "web identity, cloudtrail", text: `{"eventSource":"sts.amazonaws.com","eventName":"AssumeRoleWithWebIdentity","awsRegion":"us-east-1","errorCode":"AccessDenied","errorMessage":"Not authorized to perform sts:AssumeRoleWithWebIdentity","requestID":"0f1e2d3c-0000-4000-8000-000000000009"}`, layer: LayerTrustPolicy, kind: KindIAMDenied},
		{name: "saml, boto", text: "An error occurred (AccessDenied) when calling the AssumeRoleWithSAML operation: Not authorized to perform sts:AssumeRoleWithSAML", layer: LayerTrustPolicy, kind: KindIAMDenied},
		{name: "web identity, RCP named", text: "An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation: Not authorized to perform sts:AssumeRoleWithWebIdentity with an explicit deny in a resource control policy", layer: LayerOrgPolicy, kind: KindIAMDenied},
		{name: "web identity, unknown reason type", text: "Not authorized to perform sts:AssumeRoleWithWebIdentity because no mystery policy allows the sts:AssumeRoleWithWebIdentity action", layer: LayerAssumeRole, candidates: []Layer{LayerTrustPolicy, LayerOrgPolicy}, kind: KindIAMDenied},
		{name: "oidc provider missing, java", text: "software.amazon.awssdk.services.sts.model.InvalidIdentityTokenException: No OpenIDConnect provider found in your account for https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE0A1B2C3D4E5F6 (Service: Sts, Status Code: 400, Request ID: 2bd6c8a1-0000-4000-8000-000000000010)", layer: LayerTrustPolicy, kind: KindIdentityProviderMissing},
		{name: "token audience, go", text: "operation error STS: AssumeRoleWithWebIdentity, https response error StatusCode: 400, RequestID: r-aud, InvalidIdentityToken: Incorrect token audience", layer: LayerUnknown, candidates: []Layer{LayerCredentials, LayerTrustPolicy}, kind: KindTokenAudience},
		{name: "malformed web identity token stays credentials", text: "An error occurred (InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity operation: The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)", layer: LayerCredentials, kind: KindInvalidToken},

		// 3. A geographic profile outside its geography: decided when the
		// text shows the id and the region; undecided otherwise.
		{name: "us. profile from eu-west-3, litellm url", text: "litellm.BadRequestError: BedrockException - Client error '400 Bad Request' for url 'https://bedrock-runtime.eu-west-3.amazonaws.com/model/us.anthropic.claude-3-5-sonnet-20241022-v2:0/converse' {\"message\":\"The provided model identifier is invalid.\"}", layer: LayerRegion, kind: KindInvalidModelID, region: "eu-west-3", model: "us.anthropic.claude-3-5-sonnet-20241022-v2:0"},
		{name: "us. profile from eu-central-1, cloudtrail", text: `{"eventSource":"bedrock.amazonaws.com","eventName":"Converse","awsRegion":"eu-central-1","errorCode":"ValidationException","errorMessage":"The provided model identifier is invalid.","requestParameters":{"modelId":"us.anthropic.claude-opus-4-8"},"requestID":"9d8c7b6a-0000-4000-8000-000000000011"}`, layer: LayerRegion, kind: KindInvalidModelID, region: "eu-central-1"},
		{name: "eu. profile from ap-southeast-2, strands", text: "botocore.errorfactory.ValidationException: An error occurred (ValidationException) when calling the ConverseStream operation: The provided model identifier is invalid.\n└ Bedrock region: ap-southeast-2\n└ Model id: eu.anthropic.claude-sonnet-4-5-20250929-v1:0", layer: LayerRegion, kind: KindInvalidModelID, region: "ap-southeast-2"},
		{name: "apac. profile ARN in us-west-2, percent-encoded path", text: "ResourceNotFoundException: Could not resolve the foundation model from the provided model identifier. (POST https://bedrock-runtime.us-west-2.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A111122223333%3Ainference-profile%2Fapac.amazon.nova-pro-v1%3A0/invoke)", layer: LayerRegion, kind: KindModelUnresolved, region: "us-west-2"},
		{name: "us-gov. profile from us-east-1", text: "POST https://bedrock-runtime.us-east-1.amazonaws.com/model/us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0/converse 400 {\"message\":\"The provided model identifier is invalid.\"}", layer: LayerRegion, kind: KindInvalidModelID},
		{name: "global. profile from GovCloud", text: "POST https://bedrock-runtime.us-gov-west-1.amazonaws.com/model/global.anthropic.claude-sonnet-4-6/converse 400 The provided model identifier is invalid.", layer: LayerRegion, kind: KindInvalidModelID},
		{name: "jp. profile from Tokyo is served there: undecided", text: "POST https://bedrock-runtime.ap-northeast-1.amazonaws.com/model/jp.anthropic.claude-sonnet-4-6/converse 400 The provided model identifier is invalid.", layer: LayerUnknown, candidates: []Layer{LayerModelID, LayerRegion}, kind: KindInvalidModelID},
		{name: "us. profile from ca-central-1 is served there: undecided", text: "https://bedrock-runtime.ca-central-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-6/invoke: ValidationException: The provided model identifier is invalid.", layer: LayerUnknown, candidates: []Layer{LayerModelID, LayerRegion}, kind: KindInvalidModelID},
		{name: "global. profile from a commercial region: undecided", text: "https://bedrock-runtime.sa-east-1.amazonaws.com/model/global.anthropic.claude-sonnet-4-6/converse ValidationException: The provided model identifier is invalid.", layer: LayerUnknown, candidates: []Layer{LayerModelID, LayerRegion}, kind: KindInvalidModelID},
		{name: "eu. profile, no region in the text: undecided", text: "API Error (eu.anthropic.claude-sonnet-4-6): 400 The provided model identifier is invalid.", layer: LayerUnknown, candidates: []Layer{LayerModelID, LayerRegion}, kind: KindInvalidModelID, model: "eu.anthropic.claude-sonnet-4-6"},
		{name: "region but no model: undecided", text: `bad request: POST "https://bedrock-runtime.eu-central-1.amazonaws.com/v1/messages": 400 Bad Request {"message":"The provided model identifier is invalid."}`, layer: LayerUnknown, candidates: []Layer{LayerModelID, LayerRegion}, kind: KindInvalidModelID, region: "eu-central-1"},
		{name: "bare model id from any region: undecided", text: "https://bedrock-runtime.eu-west-2.amazonaws.com/model/anthropic.claude-3-7-sonnet-20250219-v1:0/converse-stream: The provided model identifier is invalid.", layer: LayerUnknown, candidates: []Layer{LayerModelID, LayerRegion}, kind: KindInvalidModelID},

		// 4. Model-id texts.
		{name: "modelId pattern, go", text: "operation error Bedrock Runtime: InvokeModel, https response error StatusCode: 400, RequestID: r-p1, ValidationException: 1 validation error detected: Value 'claude-3-haiku' at 'modelId' failed to satisfy constraint: Member must satisfy regular expression pattern: " + pattern, layer: LayerModelID, kind: KindModelIDMalformed, model: "claude-3-haiku"},
		{name: "modelId pattern, boto", text: "An error occurred (ValidationException) when calling the Converse operation: 1 validation error detected: Value 'anthropic.claude-v2:1:18k' at 'modelId' failed to satisfy constraint: Member must satisfy regular expression pattern: " + pattern, layer: LayerModelID, kind: KindModelIDMalformed},
		{name: "modelId missing", text: "ValidationException: 1 validation error detected: Value null at 'modelId' failed to satisfy constraint: Member must not be null", layer: LayerModelID, kind: KindModelIDMalformed},
		{name: "guardrailIdentifier pattern", text: "ValidationException: 1 validation error detected: Value 'my guardrail' at 'guardrailIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))", layer: LayerModelID, kind: KindGuardrailInvalid},
		{name: "could not resolve, go", text: "operation error Bedrock Runtime: InvokeModel, https response error StatusCode: 404, RequestID: r-p2, ResourceNotFoundException: Could not resolve the foundation model from the provided model identifier.", layer: LayerUnknown, candidates: []Layer{LayerModelID, LayerRegion}, kind: KindModelUnresolved},
		{name: "unsupported for streaming, json", text: `{"__type":"ValidationException","message":"The model is unsupported for streaming."}`, layer: LayerModelID, kind: KindModelUnsupported},
		{name: "action does not support the model, go", text: "operation error Bedrock Runtime: Converse, https response error StatusCode: 400, RequestID: r-p3, ValidationException: This action doesn’t support the model that you provided. Try again with a supported text or chat model.", layer: LayerModelID, kind: KindModelUnsupported},
		{name: "on-demand, typographic doesn't", text: "ValidationException: The provided model doesn’t support on-demand throughput.", layer: LayerModelID, kind: KindOnDemandUnsupported},
		{name: "on-demand, does not", text: "the model anthropic.claude-3-5-sonnet-20241022-v2:0 does not support on-demand throughput", layer: LayerModelID, kind: KindOnDemandUnsupported},
		{name: "on-demand, json escape", text: `{"__type":"ValidationException","message":"Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand throughput isn\u2019t supported. Retry your request with the ID or ARN of an inference profile that contains this model."}`, layer: LayerModelID, kind: KindOnDemandUnsupported, model: "anthropic.claude-3-5-sonnet-20241022-v2:0"},
		{name: "on-demand, python bytes", text: `BedrockException - b'{"message":"Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand throughput isn\xe2\x80\x99t supported. Retry your request with the ID or ARN of an inference profile that contains this model."}'`, layer: LayerModelID, kind: KindOnDemandUnsupported},
		{name: "on-demand, is not", text: "Invocation of model ID meta.llama3-3-70b-instruct-v1:0 with on-demand throughput is not supported.", layer: LayerModelID, kind: KindOnDemandUnsupported},
		{name: "cross region required, go", text: "operation error Bedrock Runtime: Converse, https response error StatusCode: 403, RequestID: r-p4, AccessDeniedException: Cross region inference is required for this model", layer: LayerModelID, kind: KindOnDemandUnsupported},
		{name: "guardrail invalid, boto", text: "An error occurred (ValidationException) when calling the Converse operation: The provided guardrail identifier is invalid.", layer: LayerModelID, kind: KindGuardrailInvalid},
		{name: "legacy, go", text: "operation error Bedrock Runtime: Converse, https response error StatusCode: 404, RequestID: r-p5, ResourceNotFoundException: Access denied. This Model is marked by provider as Legacy and you have not been actively using the model in the last 30 days. Please upgrade to an active model on Amazon Bedrock", layer: LayerModelID, kind: KindLegacyModel},
		{name: "end of life, js", text: "ResourceNotFoundException: This model version has reached the end of its life. Please refer to the AWS documentation for more details.\n    at de_ResourceNotFoundExceptionRes", layer: LayerModelID, kind: KindEndOfLife},

		// 5. Account-level gates.
		{name: "use-case form wrapped, go", text: "operation error Bedrock Runtime: Converse, https response error StatusCode: 404, RequestID: r-m1, ResourceNotFoundException: The model returned the following errors: You have not filled out the required use-case form for this model. Complete the form at https://us-east-1.console.aws.amazon.com/bedrock/ before requesting access.", layer: LayerModelAccess, kind: KindUseCaseForm},
		{name: "use-case details, unwrapped", text: "Model use case details have not been submitted for this account. Fill out the Anthropic use case details form before using the model.", layer: LayerModelAccess, kind: KindUseCaseForm},
		{name: "data retention, double quotes", text: `ValidationException: The model returned the following errors: data retention mode "none" is not available for this model`, layer: LayerModelAccess, kind: KindDataRetention},
		{name: "prompt caching, go", text: "operation error Bedrock Runtime: Converse, https response error StatusCode: 400, RequestID: r-m2, ValidationException: You do not have access to explicit prompt caching", layer: LayerModelAccess, kind: KindPromptCachingAccess},
		{name: "not available for your account", text: "AccessDeniedException: This model is not available for your account.", layer: LayerModelAccess, kind: KindModelNotAvailable},

		// 6. Credentials texts of other SDKs and tools.
		{name: "aws cli unable to locate", text: "Unable to locate credentials. You can configure credentials by running \"aws configure\".", layer: LayerCredentials, kind: KindNoCredentials},
		{name: "botocore container-role", text: "botocore.exceptions.CredentialRetrievalError: Error when retrieving credentials from container-role: Error retrieving metadata: Received error when attempting to retrieve container metadata: Connect timeout on endpoint URL: \"http://169.254.170.2/v2/credentials/0f1e\"", layer: LayerCredentials, kind: KindNoCredentials},
		{name: "credential refresh failed alone", text: "Credential refresh failed, response did not contain: access_key, secret_key, token, expiry_time", layer: LayerCredentials, kind: KindNoCredentials},
		{name: "invalid bearer token, json", text: `403 Forbidden {"Message":"Invalid bearer token"}`, layer: LayerCredentials, kind: KindBearerKeyInvalid},
		{name: "missing authentication token code", text: "operation error Bedrock Runtime: Converse, https response error StatusCode: 403, RequestID: r-c1, api error MissingAuthenticationTokenException: Missing Authentication Token", layer: LayerCredentials, kind: KindMissingAuthentication},
		{name: "mfa, go v2 stscreds", text: "operation error Bedrock Runtime: Converse, get identity: get credentials: failed to refresh cached credentials, assume role with MFA enabled, but TokenProvider is not set", layer: LayerAssumeRole, kind: KindAssumeRoleInvalid},
		{name: "mfa, js temporary credential", text: "CredentialsProviderError: Temporary credential requires multi-factor authentication, but no MFA code callback was provided.", layer: LayerAssumeRole, kind: KindAssumeRoleInvalid},
		{name: "mfa, go v1 rain", text: "DEBUG: Couldn't load default config: token provider required for AssumeRole with MFA", layer: LayerAssumeRole, kind: KindAssumeRoleInvalid},
		{name: "sts refused the mfa code is still mfa-failed", text: "An error occurred (AccessDenied) when calling the AssumeRole operation: MultiFactorAuthentication failed with invalid MFA one time pass code.", layer: LayerAssumeRole, candidates: []Layer{LayerTrustPolicy, LayerSourcePolicy}, kind: KindMFAFailed},

		// Requests that are wrong but not about access stay not-access.
		{name: "tool use in streaming mode", text: "ValidationException: This model doesn't support tool use in streaming mode.", layer: LayerUnknown, kind: KindValidation},
		{name: "the model's own 400", text: "ValidationException: The model returned the following errors: messages: text content blocks must be non-empty", layer: LayerUnknown, kind: KindValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ParseMessage(tt.text)
			if m.Kind != tt.kind {
				t.Errorf("Kind = %q, want %q", m.Kind, tt.kind)
			}
			r := Explain(tt.text)
			checkReportInvariants(t, tt.text, r)
			if r.Layer != tt.layer || !slices.Equal(r.Candidates, tt.candidates) {
				t.Errorf("Explain = %s %v, want %s %v\nsummary: %s", r.Layer, r.Candidates, tt.layer, tt.candidates, r.Summary)
			}
			if tt.region != "" && r.Region != tt.region {
				t.Errorf("Region = %q, want %q", r.Region, tt.region)
			}
			if tt.model != "" && r.ModelID != tt.model {
				t.Errorf("ModelID = %q, want %q", r.ModelID, tt.model)
			}
			if r.NotAccess != !m.Kind.IsAccessDenial() && m.Kind != KindUnrecognized {
				t.Errorf("NotAccess = %v for kind %s", r.NotAccess, m.Kind)
			}
		})
	}
}

// TestExplainCall: in-call, the client's region and the model id it passed
// complete an SDK error string that shows neither, so a geographic profile
// outside its geography is decided without an AWS call; within its
// geography it stays undecided.
func TestExplainCall(t *testing.T) {
	const goErr = "operation error Bedrock Runtime: Converse, https response error StatusCode: 400, RequestID: 3f2e1d0c-0000-4000-8000-000000000012, ValidationException: The provided model identifier is invalid."
	for _, tt := range []struct {
		region, model string
		layer         Layer
		candidates    []Layer
	}{
		{"us-east-1", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", LayerRegion, nil},
		{"eu-west-1", "apac.anthropic.claude-sonnet-4-5-20250929-v1:0", LayerRegion, nil},
		{"ap-southeast-2", "jp.anthropic.claude-sonnet-4-6", LayerRegion, nil},
		{"eu-west-1", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", LayerUnknown, []Layer{LayerModelID, LayerRegion}},
		{"ap-southeast-2", "au.anthropic.claude-sonnet-4-6", LayerUnknown, []Layer{LayerModelID, LayerRegion}},
		{"us-east-1", "anthropic.claude-sonnet-4-6", LayerUnknown, []Layer{LayerModelID, LayerRegion}},
		{"", "eu.anthropic.claude-sonnet-4-6", LayerUnknown, []Layer{LayerModelID, LayerRegion}},
		// ca. is not confirmed on the wire (bedrockid.GeoPrefixes): if it
		// does not exist, the id is what is wrong, so no claim.
		{"us-east-1", "ca.anthropic.claude-sonnet-4-6", LayerUnknown, []Layer{LayerModelID, LayerRegion}},
	} {
		r := explainCall(ParseMessage(goErr), tt.region, tt.model, "")
		checkReportInvariants(t, goErr, r)
		if r.Layer != tt.layer || !slices.Equal(r.Candidates, tt.candidates) {
			t.Errorf("explainCall(%s, %s) = %s %v, want %s %v: %s", tt.region, tt.model, r.Layer, r.Candidates, tt.layer, tt.candidates, r.Summary)
		}
		if r.Layer == LayerRegion && (!strings.Contains(r.Summary, tt.region) || !strings.Contains(r.Fix, "geography")) {
			t.Errorf("summary/fix do not name the region and the geography: %s / %s", r.Summary, r.Fix)
		}
	}
	// The text's own region wins over the client's (a CloudTrail record).
	ct := `{"eventSource":"bedrock.amazonaws.com","eventName":"Converse","awsRegion":"eu-west-1","errorCode":"ValidationException","errorMessage":"The provided model identifier is invalid."}`
	if r := explainCall(ParseMessage(ct), "us-east-1", "eu.anthropic.claude-sonnet-4-6", ""); r.Layer != LayerUnknown {
		t.Errorf("the text's region eu-west-1 serves eu.: %s", r.Layer)
	}
}

// TestNotAccess: a program tells "not an access error" from "could not
// decide" by Report.NotAccess, not by the Summary's words.
func TestNotAccess(t *testing.T) {
	for text, want := range map[string]bool{
		"ThrottlingException: Too many requests, please wait before trying again.":                                        true,
		"ServiceQuotaExceededException: Your request exceeds the service quota for your account.":                         true,
		"ModelNotReadyException: Model is not ready for inference. Wait and try your request again.":                      true,
		"ValidationException: A conversation must start with a user message.":                                             true,
		"dial tcp: lookup bedrock-runtime.us-east-1.amazonaws.com: no such host":                                          true,
		"segmentation fault (core dumped)":                                                                                false,
		"AccessDeniedException: ":                                                                                         false,
		"ValidationException: The provided model identifier is invalid.":                                                  false,
		"User: arn:aws:iam::111111111111:user/u is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:b": false,
	} {
		r := Explain(text)
		if r.NotAccess != want {
			t.Errorf("Explain(%q).NotAccess = %v, want %v", text, r.NotAccess, want)
		}
		if r.NotAccess && (r.Layer != LayerUnknown || len(r.Candidates) != 0) {
			t.Errorf("Explain(%q): not an access error, yet layer %s %v", text, r.Layer, r.Candidates)
		}
	}
}

// TestCalledModelHostile: texts made of the markers calledModel looks for
// stay fast (the parser's budget is milliseconds for 64 KiB).
func TestCalledModelHostile(t *testing.T) {
	for _, unit := range []string{"' at 'modelId' ", "/model/", "Value 'x' at 'a' ", "API Error (", "\"modelId\": 1, "} {
		text := strings.Repeat(unit, maxMessageText/len(unit)) + " The provided model identifier is invalid."
		start := time.Now()
		Explain(text)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%q ×%d took %v", unit, maxMessageText/len(unit), d)
		}
	}
}

// TestCalledModel checks where ParseMessage reads the model id the call
// passed and the client's region, and where it must not.
func TestCalledModel(t *testing.T) {
	for _, tt := range []struct{ text, model, region string }{
		{"Value 'anthropic.claude-v2:1:200k' at 'modelId' failed to satisfy constraint", "anthropic.claude-v2:1:200k", ""},
		{"Value 'arn:aws:bedrock:us-west-2::foundation-model/x.y:0:28k' at 'retrieveAndGenerateConfiguration.knowledgeBaseConfiguration.modelArn' failed", "arn:aws:bedrock:us-west-2::foundation-model/x.y:0:28k", ""},
		{"Value 'x' at 'messages.1.member.content' failed to satisfy constraint", "", ""},
		{"POST https://bedrock-runtime.us-west-2.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A111122223333%3Aapplication-inference-profile%2Fabc123/converse-stream", "arn:aws:bedrock:us-west-2:111122223333:application-inference-profile/abc123", "us-west-2"},
		{"https://bedrock-runtime-fips.us-gov-west-1.amazonaws.com/model/us-gov.anthropic.claude-3-haiku-20240307-v1:0/count-tokens", "us-gov.anthropic.claude-3-haiku-20240307-v1:0", "us-gov-west-1"},
		{"see https://docs.example.com/model/overview/index.html", "", ""},
		{`{"requestParameters":{"modelId":"us.amazon.nova-pro-v1:0"},"awsRegion":"eu-west-1"}`, "us.amazon.nova-pro-v1:0", "eu-west-1"},
		{`{"model": "bedrock_converse:us.x.y", "region_name": "us-east-1"}`, "", "us-east-1"},
		{"API Error (eu.anthropic.claude-sonnet-4-6): 400", "eu.anthropic.claude-sonnet-4-6", ""},
		{"API Error (429 Too many tokens, please wait before trying again.)", "", ""},
		{"└ Bedrock region: ap-northeast-1\n└ Model id: apac.anthropic.claude-sonnet-4-20250514-v1:0", "apac.anthropic.claude-sonnet-4-20250514-v1:0", "ap-northeast-1"},
		{"└ Bedrock region: not-a-region", "", ""},
	} {
		m := ParseMessage(tt.text)
		if m.ModelID != tt.model || m.Region != tt.region {
			t.Errorf("ParseMessage(%q): model %q region %q, want %q %q", tt.text, m.ModelID, m.Region, tt.model, tt.region)
		}
	}
}
