// Package diagnose finds which layer of the AWS access chain denied a Bedrock
// call, with the evidence and the fix.
//
// # Reading an error
//
// [Explain] reads an error text alone (a Go SDK error string, a raw AWS
// message, a boto3 line, a JSON body, a CloudTrail errorMessage) and says what
// the text proves, with no AWS calls.
//
// # Checking
//
// [Run] assumes the role as the app does and runs read-only checks (who am I,
// may the source assume the role, does the trust policy trust it, does the
// role allow the action on every ARN the call touches, is the model available
// in the account and region) and names the first failing layer in chain order.
//
// # The error
//
// [Error] wraps the original error unchanged and adds the [Report]; its
// Error() is one line ending in "; diagnosis: <layer>: <summary>".
package diagnose
