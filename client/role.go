package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/smithy-go"
)

// chainLimit is AWS's cap on a role session assumed by another role session.
// Source: IAM User Guide, "Role chaining" (id_roles_terms-and-concepts).
const chainLimit = time.Hour

// roleProvider assumes the role with stscreds, and falls back to a one-hour
// session when STS says the base credentials are a role session (role
// chaining), so a too-long Duration does not fail every refresh.
type roleProvider struct {
	full      *stscreds.AssumeRoleProvider
	clamped   *stscreds.AssumeRoleProvider // nil when the duration is within the limit
	requested time.Duration
	logger    *slog.Logger
	useClamp  atomic.Bool
	// options are the AssumeRole options as sent: the default session
	// name, then the app's. The diagnosis reads them back (the session's
	// name is part of the principal AWS evaluates).
	options []func(*stscreds.AssumeRoleOptions)

	// A failing AssumeRole is not retried on every call: the SDK's
	// credentials cache merges concurrent refreshes but keeps no failure,
	// so a service at full traffic would send STS one AssumeRole per
	// call. After a failure, calls within the backoff window get the same
	// error; the window doubles up to maxFailureBackoff and resets on
	// success.
	mu      sync.Mutex
	lastErr error
	retryAt time.Time
	backoff time.Duration
	now     func() time.Time
}

// Failure backoff bounds: a denied role is retried at most once a second at
// first, and at least every 30 s (a fixed policy propagates within that).
const (
	minFailureBackoff = time.Second
	maxFailureBackoff = 30 * time.Second
)

var (
	_ aws.CredentialsProvider      = (*roleProvider)(nil)
	_ aws.CredentialProviderSource = (*roleProvider)(nil)
)

func newRoleProvider(client stscreds.AssumeRoleAPIClient, roleARN string, optFns []func(*stscreds.AssumeRoleOptions), logger *slog.Logger) *roleProvider {
	// The default session name names the library, so CloudTrail in the
	// target account shows who assumed the role.
	sessionName := fmt.Sprintf("bedrockdoctor-%d", time.Now().UnixNano())
	base := append([]func(*stscreds.AssumeRoleOptions){func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = sessionName
	}}, optFns...)

	var probe stscreds.AssumeRoleOptions
	for _, fn := range base {
		fn(&probe)
	}
	p := &roleProvider{
		options:   base,
		full:      stscreds.NewAssumeRoleProvider(client, roleARN, base...),
		requested: probe.Duration,
		logger:    logger,
		now:       time.Now,
	}
	if probe.Duration > chainLimit {
		clamped := append(base[:len(base):len(base)], func(o *stscreds.AssumeRoleOptions) { o.Duration = chainLimit })
		p.clamped = stscreds.NewAssumeRoleProvider(client, roleARN, clamped...)
	}
	return p
}

// Retrieve implements aws.CredentialsProvider.
func (p *roleProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	p.mu.Lock()
	if p.lastErr != nil && p.now().Before(p.retryAt) {
		err := p.lastErr
		p.mu.Unlock()
		return aws.Credentials{Source: stscreds.ProviderName}, err
	}
	p.mu.Unlock()
	creds, err := p.retrieve(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err == nil:
		p.lastErr, p.backoff = nil, 0
	case ctx.Err() != nil:
		// The caller gave up: not a verdict on the role.
	default:
		p.backoff = min(max(2*p.backoff, minFailureBackoff), maxFailureBackoff)
		p.lastErr, p.retryAt = err, p.now().Add(p.backoff)
	}
	return creds, err
}

func (p *roleProvider) retrieve(ctx context.Context) (aws.Credentials, error) {
	if p.useClamp.Load() {
		return p.clamped.Retrieve(ctx)
	}
	creds, err := p.full.Retrieve(ctx)
	if err != nil && p.clamped != nil && isChainingLimit(err) {
		if p.useClamp.CompareAndSwap(false, true) {
			p.logger.Warn("bedrockdoctor: role session duration clamped to 1h: the base credentials are a role session (role chaining)",
				slog.Duration("requested", p.requested))
		}
		return p.clamped.Retrieve(ctx)
	}
	return creds, err
}

// ProviderSources implements aws.CredentialProviderSource, so the SDK's
// credential-source tracking still sees an assumed role.
func (p *roleProvider) ProviderSources() []aws.CredentialSource {
	return p.full.ProviderSources()
}

// notes are facts for reports; nil when there is nothing to say.
func (p *roleProvider) notes() []string {
	if !p.useClamp.Load() {
		return nil
	}
	return []string{fmt.Sprintf("requested role session duration %s clamped to 1h: the base credentials are a role session, and AWS caps chained sessions at one hour", p.requested)}
}

// isChainingLimit recognises STS's answer to a chained session over one hour:
// ValidationError "The requested DurationSeconds exceeds the 1 hour session
// limit for roles assumed by role chaining."
// (https://repost.aws/knowledge-center/iam-role-chaining-limit).
func isChainingLimit(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" &&
		strings.Contains(apiErr.ErrorMessage(), "role chaining")
}
