// Package bedrocktest runs a local multi-account AWS for tests, in the way
// net/http/httptest runs a local HTTP server: an app's tests call
// Amazon Bedrock through the real AWS SDK and meet real IAM decisions
// (across accounts, roles, SCPs and model access) without an AWS account
// or a network.
//
// The package is pre-1.0: its API may change in a minor release (see
// CHANGELOG.md).
//
// # Worlds
//
// A [World] is the AWS an app lives in: accounts, organizations with their
// SCPs and RCPs at every level, IAM users and roles with trust, identity and
// boundary policies written as in IAM, the Bedrock model catalog with each
// account's model access, cross-Region inference profiles and VPC endpoint
// policies. Build it in Go:
//
//	w := bedrocktest.NewWorld()
//	w.Model(bedrocktest.Model{ID: haiku, Provider: "Anthropic", Regions: []string{"us-east-1"}, OnDemand: true})
//	w.Account("111111111111").User("app").Inline("assume", assumePolicy)
//	w.Account("222222222222").Role("BedrockInvoker", trustPolicy).Inline("invoke", invokePolicy)
//
// or load a scenario file ([LoadWorld], [StartFile]): the JSON format of
// bedrock-doctor's demo worlds (cmd/bedrock-doctor/scenarios in the
// repository), whose [App] says which principal the app is, the role it
// assumes, the call it makes and the layer a diagnosis must name.
//
// # Servers and configs
//
// [Start] (or [NewServer], [NewTLSServer]) serves a world on 127.0.0.1 as
// STS, IAM, the Bedrock control plane and Bedrock Runtime, over their real
// wire protocols, HTTP/1.1 and HTTP/2. [Server.Config] hands out an
// aws.Config for any principal of the world — its region, credentials and
// endpoints — the way httptest.Server.Client hands out a client; the code
// under test uses it as it would use config.LoadDefaultConfig's. Every
// request is authenticated (SigV4, or a Bedrock API key with
// [Server.BearerConfig]) and authorized by evaluating the world's policies,
// and a denial carries AWS's own error text.
//
// Other processes and SDKs reach the server through its URL: the
// AWS_ENDPOINT_URL_* variables, as bedrock-doctor serve prints them.
//
// # Assertions
//
// [Server.Log] is the world's record: every request served, with its
// caller, outcome and decision, and for each Bedrock invocation and role
// assumption the ground truth ([LogEntry].Truth): every layer that denies
// it on its own, by the layer names of package diagnose.
//
// # Faults and scripted answers
//
// [Server.Script] makes an operation answer a given error (or let the
// request through) whatever the policies say; [Server.InjectFault] adds
// latency, errors, unparseable bodies, dropped connections or in-stream
// exceptions, for tests of an app's retries and error handling.
//
// # Limits
//
// The server answers loopback clients only. It models what decides access
// to Bedrock, not all of AWS: the operations the diagnosis and an app's
// Bedrock calls use. Model replies are short canned texts. The SDK for Go
// sends AWS_BEARER_TOKEN_BEDROCK, when the environment sets it, in place of
// the config's credentials: unset it in tests (t.Setenv).
package bedrocktest
