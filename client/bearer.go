package client

import (
	"context"
	"os"

	"github.com/aws/smithy-go/auth/bearer"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// bearerSource is the Bedrock API key a client sends in place of a SigV4
// signature, and where it came from.
type bearerSource struct {
	provider bearer.TokenProvider // nil: AWS_BEARER_TOKEN_BEDROCK
	source   string
}

// bearerOf says whether a client with this token provider and auth scheme
// preference sends a bearer token. The SDK sets both from
// AWS_BEARER_TOKEN_BEDROCK when the variable is set (before the client's
// option functions run); env says to look at the variable first, for a
// middleware that only sees the aws.Config (AppendDiagnosis).
func bearerOf(p bearer.TokenProvider, pref []string, env bool) *bearerSource {
	if env && os.Getenv(bearerTokenEnv) != "" {
		return &bearerSource{source: bearerTokenEnv}
	}
	if p == nil || len(pref) == 0 || pref[0] != "httpBearerAuth" {
		return nil
	}
	if !env && os.Getenv(bearerTokenEnv) != "" {
		// The SDK's own provider for the variable, kept by the options.
		return &bearerSource{provider: p, source: bearerTokenEnv}
	}
	return &bearerSource{provider: p, source: "the aws.Config's BearerAuthTokenProvider"}
}

// bearerKey reads what the key the call was sent with says about itself;
// the token is not kept. It is called on the failure path only.
func (m *diagnosisMiddleware) bearerKey(ctx context.Context) (bool, *diagnose.BearerKey) {
	b := m.bearer
	if b == nil || m.role != nil {
		return false, nil
	}
	var tok string
	if b.provider == nil {
		tok = os.Getenv(bearerTokenEnv)
	} else if t, err := b.provider.RetrieveBearerToken(ctx); err == nil {
		tok = t.Value
	}
	if tok == "" {
		return true, nil
	}
	k := diagnose.ParseBearerKey(tok)
	k.Source = b.source
	return true, &k
}
