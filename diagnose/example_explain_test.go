package diagnose_test

import (
	"fmt"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// A denial a user pasted from a Go service whose role lacked the Bedrock
// permission (the form of
// https://github.com/aws-samples/semantic-search-with-amazon-opensearch/issues/43,
// as the Go SDK prints it).
func ExampleExplain() {
	r := diagnose.Explain("operation error Bedrock Runtime: InvokeModel, https response error StatusCode: 403, RequestID: 9b1c7e0a-1111-4a2b-9c3d-0123456789ab, AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/BedrockInvoke/app is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0 because no identity-based policy allows the bedrock:InvokeModel action")
	fmt.Println(r.Layer)
	fmt.Println(r.Summary)
	fmt.Println(r.RoleARN)
	// Output:
	// role-permissions
	// no identity-based policy of arn:aws:sts::222222222222:assumed-role/BedrockInvoke/app (account 222222222222) allows bedrock:InvokeModel on arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0
	// arn:aws:iam::222222222222:role/BedrockInvoke
}

// A cross-account role assumption denied without a reason: STS gives the
// same answer for every side, so Explain names the candidates.
func ExampleExplain_assumeRole() {
	r := diagnose.Explain("An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::111111111111:user/ci is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/BedrockInvoke")
	fmt.Println(r.Layer, r.Candidates)
	fmt.Println(r.SourceAccount, "->", r.TargetAccount)
	// Output:
	// assume-role [source-policy trust-policy org-policy]
	// 111111111111 -> 222222222222
}

// ParseMessage gives the fields without a verdict; Kind tells an access
// denial from throttling and other errors to leave alone.
func ExampleParseMessage() {
	m := diagnose.ParseMessage("botocore.errorfactory.ThrottlingException: An error occurred (ThrottlingException) when calling the Converse operation (reached max retries: 4): Too many tokens per day, please wait before trying again.")
	fmt.Println(m.Code, m.Operation, m.Kind, m.Kind.IsAccessDenial())
	// Output:
	// ThrottlingException Converse throttling false
}
