package client

import (
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// bearerTokenEnv is the variable the SDK reads for a Bedrock API key.
const bearerTokenEnv = "AWS_BEARER_TOKEN_BEDROCK"

// NewFromConfig returns a Bedrock Runtime client built from cfg, like
// bedrockruntime.NewFromConfig, that assumes the role given with [WithRole]
// and diagnoses denied calls. Like the SDK's constructor it does no I/O and
// cannot fail: the role is assumed on the first call.
func NewFromConfig(cfg aws.Config, optFns ...func(*Options)) *bedrockruntime.Client {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	// The role the app means to use is the one it assumes, unless the
	// diagnosis options say otherwise.
	dopts := diagnose.Options{RoleARN: o.RoleARN}
	for _, fn := range o.DiagnosisOptions {
		fn(&dopts)
	}
	dopts = dopts.WithDefaults()

	var (
		role      *roleProvider
		roleCache *aws.CredentialsCache
	)
	if o.RoleARN != "" {
		role = newRoleProvider(sts.NewFromConfig(cfg), o.RoleARN, o.AssumeRoleOptions, dopts.Logger)
		roleCache = aws.NewCredentialsCache(role)
	}
	bearerIgnored := role != nil && os.Getenv(bearerTokenEnv) != ""
	if bearerIgnored {
		dopts.Logger.Info("bedrockdoctor: " + bearerTokenEnv + " is set but ignored: WithRole signs with the role's credentials")
	}

	var mw *diagnosisMiddleware
	if !o.DisableDiagnosis {
		mw = &diagnosisMiddleware{
			diagnoser:     diagnose.NewDiagnoser(cfg, dopts),
			roleARN:       dopts.RoleARN,
			bearerIgnored: bearerIgnored,
			role:          role,
			roleCreds:     roleCache,
		}
		if role != nil {
			mw.assumeOpts = role.options
		}
	}

	clientOpts := make([]func(*bedrockruntime.Options), 0, 1+len(o.ClientOptions))
	clientOpts = append(clientOpts, func(bo *bedrockruntime.Options) {
		if role != nil {
			bo.Credentials = roleCache
			// Code beats environment: the SDK prefers a bearer token from
			// the environment over any SigV4 credentials; the role was
			// asked for in code, so it wins.
			bo.BearerAuthTokenProvider = nil
			bo.AuthSchemePreference = []string{"sigv4"}
		}
		if mw != nil {
			bo.APIOptions = append(bo.APIOptions[:len(bo.APIOptions):len(bo.APIOptions)], mw.install)
		}
	})
	clientOpts = append(clientOpts, o.ClientOptions...)
	if mw != nil {
		// Last: what the client finally sends, API key or SigV4.
		clientOpts = append(clientOpts, func(bo *bedrockruntime.Options) {
			mw.bearer = bearerOf(bo.BearerAuthTokenProvider, bo.AuthSchemePreference, false)
		})
	}
	return bedrockruntime.NewFromConfig(cfg, clientOpts...)
}

// AppendDiagnosis adds the diagnosis middleware to apiOptions, for code that
// keeps bedrockruntime.NewFromConfig (the same shape as otelaws'
// AppendMiddlewares). Clients of other services built from the same options
// are left alone. Set diagnose.Options.RoleARN to the role the app means to
// use, so a call signed by someone else is named.
func AppendDiagnosis(apiOptions *[]func(*middleware.Stack) error, cfg aws.Config, optFns ...func(*diagnose.Options)) {
	var dopts diagnose.Options
	for _, fn := range optFns {
		fn(&dopts)
	}
	dopts = dopts.WithDefaults()
	mw := &diagnosisMiddleware{
		diagnoser: diagnose.NewDiagnoser(cfg, dopts),
		roleARN:   dopts.RoleARN,
		// The SDK's own resolution: AWS_BEARER_TOKEN_BEDROCK, else the
		// config's bearer token when its auth scheme preference puts
		// httpBearerAuth first.
		bearer: bearerOf(cfg.BearerAuthTokenProvider, cfg.AuthSchemePreference, true),
	}
	*apiOptions = append(*apiOptions, mw.install)
}
