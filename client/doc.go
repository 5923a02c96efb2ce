// Package client builds a Bedrock Runtime client that assumes a role in the
// account that owns Bedrock access and, when a call is denied, says which
// layer denied it.
//
// It is a drop-in for bedrockruntime.NewFromConfig: [NewFromConfig] returns
// the SDK's own *bedrockruntime.Client, so every operation, paginator and
// waiter works unchanged.
//
//	// before
//	br := bedrockruntime.NewFromConfig(cfg)
//	// after
//	br := client.NewFromConfig(cfg, client.WithRole("arn:aws:iam::222222222222:role/BedrockAccess"))
//
// # The diagnosis middleware
//
// The client carries one Initialize-step middleware (ID [MiddlewareID]),
// outside the retry loop, so it sees each operation's final error once. On
// success it does nothing and allocates nothing. On an access denial it
// returns a *diagnose.Error wrapping the original error unchanged:
// errors.As still finds *types.AccessDeniedException, smithy.APIError,
// *awshttp.ResponseError and *smithy.OperationError, and also
// *diagnose.Error with the report. Errors that are not about access
// (throttling, quotas, service faults, bad requests) are returned untouched,
// and so is every error of a call whose context is done.
//
// A denial arrives in one of two ways: Bedrock's AccessDeniedException, or
// a failed role assumption (STS AccessDenied, InvalidClientTokenId,
// ExpiredToken) nested inside credential retrieval, where errors.As for
// *types.AccessDeniedException is false. Both are diagnosed.
//
// # Streams
//
// ConverseStream and InvokeModelWithResponseStream are diagnosed when the
// denial comes with the initial response, which is where AWS sends access
// errors. Errors in the middle of a stream (stream.Err()) are not access
// decisions and are left alone. InvokeModelWithBidirectionalStream returns
// before the middleware stack sees the response, so it cannot be diagnosed
// in-call; use diagnose.Run or the bedrock-doctor CLI for it.
//
// # Code that keeps bedrockruntime.NewFromConfig
//
// [AppendDiagnosis] adds the same middleware to an aws.Config's APIOptions.
package client
