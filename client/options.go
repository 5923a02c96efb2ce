package client

import (
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// Options configure a client built by [NewFromConfig]. Set them with the
// With… functions; the zero value is the plain SDK client plus diagnosis.
type Options struct {
	// RoleARN is the role to assume; empty keeps the base credentials.
	RoleARN string
	// AssumeRoleOptions are passed to stscreds.NewAssumeRoleProvider.
	AssumeRoleOptions []func(*stscreds.AssumeRoleOptions)
	// ClientOptions are passed to bedrockruntime.NewFromConfig after ours.
	ClientOptions []func(*bedrockruntime.Options)
	// DiagnosisOptions configure the diagnosis.
	DiagnosisOptions []func(*diagnose.Options)
	// DisableDiagnosis leaves errors exactly as the SDK returns them.
	DisableDiagnosis bool
}

// WithRole makes the client assume roleARN with the base credentials of the
// aws.Config, through stscreds and aws.NewCredentialsCache: lazily, refreshed
// before expiry, one refresh at a time. Every stscreds option passes through
// (ExternalID, RoleSessionName, Duration, Policy, PolicyARNs, Tags,
// TransitiveTagKeys, SourceIdentity, SerialNumber with TokenProvider).
//
// The default session name is "bedrockdoctor-<unix nanoseconds>". A Duration
// over one hour is clamped to one hour, and the clamp noted in reports, when
// STS answers that the base credentials are themselves a role session (role
// chaining), instead of failing every refresh.
//
// With a role, the client signs with SigV4 even when AWS_BEARER_TOKEN_BEDROCK
// is set: code beats environment. The ignored token is logged through the
// diagnosis logger and noted in reports.
func WithRole(roleARN string, optFns ...func(*stscreds.AssumeRoleOptions)) func(*Options) {
	return func(o *Options) {
		o.RoleARN = roleARN
		o.AssumeRoleOptions = append(o.AssumeRoleOptions, optFns...)
	}
}

// WithClientOptions passes optFns to bedrockruntime.NewFromConfig, after the
// options this package sets.
func WithClientOptions(optFns ...func(*bedrockruntime.Options)) func(*Options) {
	return func(o *Options) {
		o.ClientOptions = append(o.ClientOptions, optFns...)
	}
}

// WithDiagnosis configures the diagnosis (budget, cache, logger, redaction,
// asynchronous delivery, other credentials for the checks).
func WithDiagnosis(optFns ...func(*diagnose.Options)) func(*Options) {
	return func(o *Options) {
		o.DiagnosisOptions = append(o.DiagnosisOptions, optFns...)
	}
}

// WithoutDiagnosis turns the diagnosis off: errors are returned exactly as
// the SDK returns them, and no middleware is added.
func WithoutDiagnosis() func(*Options) {
	return func(o *Options) { o.DisableDiagnosis = true }
}
