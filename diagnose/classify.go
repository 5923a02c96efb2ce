package diagnose

import (
	"errors"
	"net"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// denial is what the error's structure (not its text) says about a failure.
type denial struct {
	code      string // the API error code, "" when there is none
	service   string // service of the innermost operation error
	requestID string
	// inCredentials: the failure happened while retrieving credentials (a
	// nested STS call, or a provider with no API call at all).
	inCredentials bool
}

// accessCodes are the API error codes that are access decisions or
// credential failures: always diagnosed.
var accessCodes = map[string]bool{
	"AccessDeniedException":       true,
	"AccessDenied":                true,
	"InvalidClientTokenId":        true,
	"UnrecognizedClientException": true,
	"ExpiredToken":                true,
	"ExpiredTokenException":       true,
	"InvalidSignatureException":   true,
	"SignatureDoesNotMatch":       true,
	"IncompleteSignature":         true,
	"MissingAuthenticationToken":  true,
	"RegionDisabledException":     true,
	"AuthFailure":                 true,
	"RequestExpired":              true,
	// A web identity token STS would not take: an OpenID Connect provider
	// missing in the role's account, a wrong audience, a malformed token.
	"InvalidIdentityToken": true,
}

// maybeCodes are diagnosed only when the text is one users mistake for an
// access problem (an invalid model id, the missing use-case form, a
// role-chaining duration); otherwise they are left alone.
var maybeCodes = map[string]bool{
	"ValidationException":       true,
	"ResourceNotFoundException": true,
	"ValidationError":           true, // STS AssumeRole duration limits
}

// classify reads the error's structure. ok is false for errors the
// diagnosis leaves alone (throttling, quotas, service faults, bad requests);
// maybe is true when only a recognised text makes it diagnosable.
func classify(err error, text string) (d denial, ok, maybe bool) {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		d.code = apiErr.ErrorCode()
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		d.requestID = respErr.ServiceRequestID()
	}
	// The innermost operation error names the call that failed: STS
	// AssumeRole when the role could not be assumed inside the Bedrock call.
	var op *smithy.OperationError
	for e := err; errors.As(e, &op); e = op.Err {
		d.service = op.ServiceID
	}
	d.inCredentials = d.service == "STS" || d.service == "SSO" || d.service == "SSO OIDC" ||
		strings.Contains(text, "get credentials:")
	switch {
	case accessCodes[d.code]:
		return d, true, false
	case maybeCodes[d.code]:
		return d, true, true
	case (d.code == "" || d.code == "UnknownError") && authStatus(err):
		// A 401/403 without an error type: Bedrock's answer to an API key
		// it cannot use ({"Message": "Authentication failed: ..."},
		// bearer.go). Diagnosed when the text is recognised.
		return d, true, true
	case d.code == "" && d.inCredentials && !isNetworkError(err) && !unreadableAnswer(err):
		// No API answer at all: the credential chain found nothing usable.
		return d, true, false
	}
	return d, false, false
}

// authStatus reports an HTTP answer of 401 or 403.
func authStatus(err error) bool {
	var respErr *smithyhttp.ResponseError
	if !errors.As(err, &respErr) {
		return false
	}
	code := respErr.HTTPStatusCode()
	return code == 401 || code == 403
}

// unreadableAnswer reports an HTTP answer without an API error that the SDK
// could not use: a 2xx it could not parse, or a 5xx without an error body.
// Either is a fault of the answer, never a finding about credentials.
func unreadableAnswer(err error) bool {
	var respErr *smithyhttp.ResponseError
	if !errors.As(err, &respErr) {
		return false
	}
	code := respErr.HTTPStatusCode()
	return code < 300 || code >= 500
}

// isNetworkError reports a failure to reach a service at all: not an access
// decision, so not ours to explain.
func isNetworkError(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr)
}
