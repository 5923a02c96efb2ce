package diagnose_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// An SCP's explicit deny names the policy, so the text alone proves the
// layer: the fix belongs to the organization's administrators. (The form of
// https://github.com/aws-samples/sample-badgers/issues/33, AWS.md §3.8.)
func ExampleExplain_serviceControlPolicy() {
	r := diagnose.Explain("User: arn:aws:sts::222222222222:assumed-role/BedrockInvoker/app is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0 with an explicit deny in a service control policy: arn:aws:organizations::999999999999:policy/o-example1/service_control_policy/p-approvedregions")
	fmt.Println(r.Layer)
	fmt.Println(r.Resource)
	// Output:
	// org-policy
	// arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0
}

// Error() is one line: the original text, then the diagnosis. The original
// error stays in the chain for errors.Is and errors.As.
func ExampleError() {
	original := errors.New("operation error STS: AssumeRole, https response error StatusCode: 403, api error AccessDenied: User: arn:aws:iam::111111111111:user/app is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/BedrockInvoker")
	var err error = diagnose.NewError(original, &diagnose.Report{
		SchemaVersion: diagnose.SchemaVersion,
		Layer:         diagnose.LayerTrustPolicy,
		Summary:       "the trust policy of BedrockInvoker does not trust account 111111111111",
	}, false)

	fmt.Println(err)
	fmt.Println(errors.Is(err, original))
	var denied *diagnose.Error
	if errors.As(err, &denied) {
		fmt.Println(denied.Layer())
	}
	// Output:
	// operation error STS: AssumeRole, https response error StatusCode: 403, api error AccessDenied: User: arn:aws:iam::111111111111:user/app is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/BedrockInvoker; diagnosis: trust-policy: the trust policy of BedrockInvoker does not trust account 111111111111
	// true
	// trust-policy
}

// *Error is a slog.LogValuer: logged as one attribute, it becomes a group of
// the report's fields, and Redact masks account ids and ARNs in it.
func ExampleError_LogValue() {
	original := errors.New("AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/BedrockInvoker/app is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0 because no identity-based policy allows the bedrock:InvokeModel action")
	report := &diagnose.Report{
		SchemaVersion: diagnose.SchemaVersion,
		Layer:         diagnose.LayerRolePermissions,
		Summary:       "the role may not invoke the model in us-east-2, a destination of the us. profile",
		Fix:           "allow bedrock:InvokeModel on arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
		RoleARN:       "arn:aws:iam::222222222222:role/BedrockInvoker",
		Operation:     "Converse",
	}
	err := diagnose.NewError(original, report, false)

	// Drop the time so the output is stable.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	logger.Error("bedrock call failed", "err", err)

	redacted := diagnose.NewError(original, report, true)
	logger.Error("bedrock call failed", "err", redacted)
	// Output:
	// level=ERROR msg="bedrock call failed" err.error="AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/BedrockInvoker/app is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0 because no identity-based policy allows the bedrock:InvokeModel action" err.layer=role-permissions err.summary="the role may not invoke the model in us-east-2, a destination of the us. profile" err.fix="allow bedrock:InvokeModel on arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0" err.role_arn=arn:aws:iam::222222222222:role/BedrockInvoker err.operation=Converse
	// level=ERROR msg="bedrock call failed" err.error="AccessDeniedException: User: arn:aws:sts::************:assumed-role/*** is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0 because no identity-based policy allows the bedrock:InvokeModel action" err.layer=role-permissions err.summary="the role may not invoke the model in us-east-2, a destination of the us. profile" err.fix="allow bedrock:InvokeModel on arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0" err.role_arn=arn:aws:iam::************:role/*** err.operation=Converse
}
