// Package awsfake is a local, multi-account AWS that the real AWS SDK for Go
// v2 clients cannot tell from the real one, for tests and the CLI demo.
//
// It serves STS and IAM (awsQuery), the Bedrock control plane and Bedrock
// Runtime (restJson1 and event streams) over real HTTP on loopback, verifies
// SigV4 signatures with the secrets it issued, and answers with AWS's own
// wire shapes and error texts, as the SDK's own deserializers read them and
// AWS documents them (https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html,
// https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html).
// Every authorization decision comes from internal/iampolicy over the
// world's real policy documents; the fake never decides access itself.
//
// # The world
//
// A [World] holds accounts, organizations with OUs, SCPs and RCPs, IAM users
// and roles with their policies, the Bedrock model catalog, cross-Region
// inference profiles, per-account model-access state, guardrails and VPC
// endpoints. Build it in Go, reading like the policies a user really has,
// or load a JSON scenario with [LoadScenario].
//
// # Scenario files
//
// A scenario (testdata/scenarios/*.json) lists "models", "profiles",
// "organizations" (with "scps", "rcps", nested "ous" and their "accounts"),
// "accounts" (with "users", "roles" whose "trust" and "inline" policies are
// JSON objects written as in IAM, "managedPolicies", and per-region
// "bedrock" state: "access" by model id — authorized, needs-subscription,
// subscription-failed, agreement-pending, use-case-missing, not-available —
// "guardrails", "applicationProfiles"), VPC "endpoints" and the users whose
// traffic crosses them, fixed cross-Region "routes", the access-denied
// wording ("messages": omitReason, omitPolicyArn), the app's "target",
// how the app builds its client ("app": forgetsRole, deletedKey,
// externalId, diagnosticUser) and the author's "expect". The CLI demo's
// files wrap a scenario under "world" with a "title", "fixedBy" and the
// "app"; [ParseScenario] reads both forms. Access keys are generated at load time and
// returned by [Scenario.Credentials] (and Bedrock API keys, for users with
// "bearerToken": true, by [Scenario.BearerToken]); none is stored in a file.
//
// # The server
//
// [NewServer] (or [NewTLSServer] for bearer tokens) serves a world over
// HTTP/1.1 and HTTP/2 (h2c with prior knowledge on plain HTTP, h2 through
// ALPN over TLS), verifying SigV4 in both forms AWS accepts: "host" signed,
// as the Go SDK does, or the ":authority" pseudo-header, as HTTP/2 clients
// such as the AWS SDK for JavaScript v3 do. [Server.Config] returns an
// aws.Config pointing every client at it with retries off. A request
// without a signing scope (a Bedrock API key) is in the region of the
// endpoint it reaches: [Server.RegionURL] gives each region its own. [Server.Script] makes an API answer a given error or a canned
// Allow regardless of policies, [Server.InjectFault] adds latency, errors,
// malformed bodies or dropped connections, [Server.SetRouter] picks the
// destination region of cross-Region inference, and [Server.Log] lists every
// request with its caller and outcome.
//
// # Ground truth
//
// Each authentication failure, sts:AssumeRole and Bedrock Runtime
// invocation is logged with its [LogEntry] Truth: every layer that would
// deny it on its own (each policy type iampolicy finds blocking, on every
// leg of an inference profile, plus model access and model/region
// validity), by the diagnosis' layer names. [Server.AppCall] finds the
// app's own call; [World.SetAppRole] makes a call signed by anyone but the
// intended role a wrong principal. Tests judge a diagnosis by it.
package awsfake
