package diagnose

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	bedrocktypes "github.com/aws/aws-sdk-go-v2/service/bedrock/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
	"github.com/bedrockdoctor/bedrockdoctor/internal/callctx"
	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// ErrInvalidTarget is wrapped by Run's error for a Target it cannot diagnose.
var ErrInvalidTarget = errors.New("invalid target")

// Run diagnoses t on demand: it assumes the role as the app would with cfg's
// credentials, runs the read-only checks, and names the first failing layer.
// Its error is only for an invalid Target or a done ctx; every AWS failure is
// in the Report.
func Run(ctx context.Context, cfg aws.Config, t Target) (*Report, error) {
	return NewDiagnoser(cfg, Options{}).Run(ctx, t)
}

// Run is [Run] with the Diagnoser's options (budget, diagnostic config).
func (d *Diagnoser) Run(ctx context.Context, t Target) (*Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	in, err := d.newInquiry(t, nil, Call{})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(callctx.WithDiagnosis(ctx), d.opts.Budget)
	defer cancel()
	in.collect(ctx)
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return nil, err
	}
	return in.decideSafely(), nil
}

// decideSafely is decide that cannot panic its caller: an unforeseen
// combination of evidence gives an undecided report, not a crash.
func (in *inquiry) decideSafely() (r *Report) {
	defer func() {
		if v := recover(); v != nil {
			r = &Report{SchemaVersion: SchemaVersion, Layer: LayerUnknown, Checks: []Check{},
				Summary: sanitize(fmt.Sprintf("the diagnosis failed internally (panic: %v)", v), 512)}
		}
	}()
	return in.decide()
}

// inquiry is one diagnosis in progress: the target, the evidence gathered so
// far, and the checks run.
type inquiry struct {
	cfg       aws.Config // the app's base credentials
	diag      aws.Config // the checks' credentials in the target account, when given
	hasDiag   bool
	t         Target
	region    string
	partition string
	action    string
	model     bedrockid.ID
	modelErr  error
	seed      *Report // the error text's reading, nil for Run
	msg       Message // the error text parsed, zero for Run
	call      Call

	// roleCreds are the role's credentials: the app's cache in the
	// middleware, a provider of our own in Run.
	roleCreds aws.CredentialsProvider

	mu     sync.Mutex
	checks []Check
	ev     evidence

	// The role's policies, read ahead (see prefetchPolicies).
	policiesFor  string
	policiesDone chan struct{}
	policies     iampolicy.PolicySet
	policiesErr  error
	policyTags   map[string]string // the role's tags, read with its policies

	diagOnce sync.Once
	diagAcct string // the diagnostic credentials' account, see diagAccount
	diagErr  error

	catalogOnce sync.Once
	catalog     []bedrocktypes.InferenceProfileSummary // see catalogProfiles

	sourceTagsOnce sync.Once
	sourceTagsRead map[string]string // see sourceTags

	routed routedEvidence // routers, prompts, Marketplace endpoints (routed.go)

	sourceRoleOnce  sync.Once
	sourceRoleARN   string // the source session's role, see sourceRole
	sourceRoleExact bool
}

// evidence holds what the checks found, for decide.
type evidence struct {
	source       identity
	sourceErr    error
	assumed      bool
	assumeErr    error
	orgDenied    bool   // an SCP/RCP denial seen by a simulation
	roleAllowed  Status // role-permissions.*
	modelAccess  Status
	regionOK     Status
	modelIDOK    Status
	destinations []string // destination foundation-model ARNs of a profile
	// deniedResources are the ARNs the role's simulation denied.
	deniedResources []string
	// rolePolicyKind says which of the role's policies is short: the
	// identity policies (zero value), a Deny statement, the boundary, or
	// the session policy. It decides where the fix goes.
	rolePolicyKind rolePolicyKind
	// hopRole is a role of the base credentials' own chain whose
	// AssumeRole was refused (see hopRefused).
	hopRole string
	// byElimination: the trust policy was named because the source side is
	// proven to allow, not because it was read.
	byElimination bool
	// unmetConditions are the trust policy's conditions that the app's
	// AssumeRole does not meet, when the principal itself is trusted.
	unmetConditions []string
	// denyStatements name the Deny statements the local evaluation matched.
	denyStatements []string
	profileARN     string
	// roleSet is the role's policies as read (identity, boundary, and the
	// session policy the app passes), nil when they could not be read;
	// rolePrincipal is the role's session as they see it. The fix is
	// planned on them.
	roleSet       *iampolicy.PolicySet
	rolePrincipal iampolicy.Principal
	// sourceMissing are the condition keys the source simulation lacked
	// for a denial: a statement allows the AssumeRole only under them.
	// sourceExplicit: a Deny statement of the source matched.
	sourceMissing  []string
	sourceExplicit bool
	// profileSuggestions are inference profile ids the catalog has for
	// the model in the client's region (catalogProfiles).
	profileSuggestions []string
	// accessProblem is what model access lacks: accessMarketplace,
	// accessUseCase or accessEnable; "" when not known.
	accessProblem string
	// mkinds is what the checks of provisioned, custom, deployed and
	// imported models and of their KMS keys found (modelkinds.go, keys.go).
	mkinds kindEvidence
}

type identity struct{ arn, account, userID string }

type rolePolicyKind int

const (
	policyIdentityGap  rolePolicyKind = iota // no identity policy allows
	policyExplicitDeny                       // a Deny statement matches
	policyBoundary                           // the permissions boundary does not allow
	policySessionGap                         // the session policy does not allow
)

func (d *Diagnoser) newInquiry(t Target, seed *Report, call Call) (*inquiry, error) {
	lim := sharedLimiter(d.opts.RateLimit)
	in := &inquiry{cfg: limited(d.cfg, lim), t: t, seed: seed, call: call}
	if d.opts.DiagnosticConfig != nil {
		in.diag, in.hasDiag = limited(*d.opts.DiagnosticConfig, lim), true
	}
	in.region = t.Region
	if in.region == "" {
		in.region = d.cfg.Region
	}
	if in.region == "" {
		return nil, fmt.Errorf("diagnose: %w: no region (set Target.Region or the config's region)", ErrInvalidTarget)
	}
	in.partition = bedrockid.PartitionForRegion(in.region)
	if t.RoleARN != "" {
		a, err := arn.Parse(t.RoleARN)
		if err != nil || a.Service != "iam" || len(a.AccountID) != 12 {
			return nil, fmt.Errorf("diagnose: %w: role ARN %q is not an IAM role ARN", ErrInvalidTarget, t.RoleARN)
		}
		in.partition = a.Partition
	}
	op := t.Operation
	if op == "" {
		op = "InvokeModel"
	}
	in.t.Operation = op
	in.action = bedrockid.ActionFor(op)
	if in.action == "" {
		return nil, fmt.Errorf("diagnose: %w: unknown Bedrock Runtime operation %q", ErrInvalidTarget, op)
	}
	if t.ModelID == "" && op != "ApplyGuardrail" {
		return nil, fmt.Errorf("diagnose: %w: no model id", ErrInvalidTarget)
	}
	if t.ModelID != "" {
		// An identifier of a form Bedrock rejects is itself the finding
		// (model-id), not an invalid target.
		in.model, in.modelErr = bedrockid.Parse(t.ModelID)
	}
	return in, nil
}

func (in *inquiry) add(c Check) {
	in.mu.Lock()
	in.checks = append(in.checks, c)
	in.mu.Unlock()
}

// collect runs the checks as two concurrent chains, each call bounded by ctx
// (the budget). The source chain asks who the base credentials are, then
// (only when the role could not be assumed) which side refuses. The target
// chain assumes the role (free when the client's credentials are cached),
// resolves the model and its availability, then simulates the role's
// permissions on every ARN of the expansion. With cached role credentials
// the verdict takes two round trips of wall time.
func (in *inquiry) collect(ctx context.Context) {
	assumed := make(chan struct{})
	source := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(source)
		in.guard("credentials.source", LayerCredentials, func() { in.checkSourceIdentity(ctx) })
	})
	wg.Go(func() {
		<-source
		<-assumed
		var side sync.WaitGroup
		side.Go(func() { in.guard("source-policy.simulate", LayerSourcePolicy, func() { in.checkSourcePolicy(ctx) }) })
		side.Go(func() { in.guard("trust-policy.evaluate", LayerTrustPolicy, func() { in.checkTrustPolicy(ctx) }) })
		side.Wait()
	})
	wg.Go(func() {
		if in.t.RoleARN != "" {
			in.guard("assume-role.call", LayerAssumeRole, func() { in.checkAssumeRole(ctx) })
		}
		close(assumed)
		if in.targetCreds() == nil {
			return
		}
		if in.t.RoleARN != "" {
			// The role's policies do not depend on the model: read them
			// while the model resolves.
			in.guard("role-permissions.evaluate", LayerRolePermissions, func() { in.prefetchPolicies(ctx, in.t.RoleARN) })
		}
		var model sync.WaitGroup
		model.Go(func() { in.guard("model.resolve", LayerModelID, func() { in.checkModel(ctx) }) })
		model.Go(func() { in.guard("model-access.availability", LayerModelAccess, func() { in.checkAvailability(ctx) }) })
		model.Wait()
		if in.t.RoleARN == "" {
			<-source // the policy source is the base principal itself
		}
		var keys sync.WaitGroup
		keys.Go(func() { in.checkKeys(ctx) }) // keys.go: the model's and the guardrail's KMS keys
		in.guard("role-permissions.simulate", LayerRolePermissions, func() { in.checkRolePermissions(ctx) })
		keys.Wait()
	})
	wg.Wait()
}

// guard runs one check and turns a panic into an unknown check: one odd
// answer from AWS (a 200 without the fields its model promises) must not
// crash the host app, and nobody could recover a panic in the diagnosis'
// own goroutines. The check's evidence is then simply missing.
func (in *inquiry) guard(name string, layer Layer, f func()) {
	defer func() {
		if v := recover(); v != nil {
			in.add(Check{Name: name, Layer: layer, Status: StatusUnknown,
				Detail: sanitize(fmt.Sprintf("the check failed internally (panic: %v); its evidence is missing", v), 512)})
		}
	}()
	f()
}

// targetCreds are the credentials that act in the target account: the
// assumed role's, or the base credentials when there is no role.
func (in *inquiry) targetCreds() aws.CredentialsProvider {
	if in.t.RoleARN == "" {
		return in.cfg.Credentials
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.ev.assumed {
		return in.roleCreds
	}
	return nil
}

// withCreds returns a copy of cfg signing with creds, in the target region.
func (in *inquiry) withCreds(creds aws.CredentialsProvider) aws.Config {
	c := in.cfg.Copy()
	c.Credentials = creds
	c.Region = in.region
	return c
}

func (in *inquiry) checkSourceIdentity(ctx context.Context) {
	out, err := sts.NewFromConfig(in.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	c := Check{Name: "credentials.source", Layer: LayerCredentials}
	in.mu.Lock()
	defer in.mu.Unlock()
	if err != nil {
		in.ev.sourceErr = err
		c.Status, c.Detail = statusOf(err), "sts:GetCallerIdentity with the base credentials failed: "+errText(err)
		if c.Status == StatusUnknown {
			c.Needs = "network access to STS"
		}
		if hop := hopRefused(err); hop != "" && c.Status == StatusFail {
			// The base credentials are a role chain whose hop was
			// refused: an AssumeRole problem of that hop, not missing
			// credentials.
			c.Layer = LayerAssumeRole
			c.Detail = "the base credentials come from assuming " + hop + " (a role chain of the app's AWS profile), and that AssumeRole was refused: " + errText(err)
			in.ev.hopRole = hop
		}
	} else if a, perr := arn.Parse(aws.ToString(out.Arn)); perr != nil || len(a.AccountID) != 12 {
		// A 200 without a usable caller proves neither way.
		c.Status, c.Detail = StatusUnknown, "sts:GetCallerIdentity answered without a usable caller ARN ("+quoteCapped(aws.ToString(out.Arn), 80)+")"
	} else {
		in.ev.source = identity{aws.ToString(out.Arn), a.AccountID, aws.ToString(out.UserId)}
		c.Status = StatusPass
		c.Detail = "base credentials are " + in.ev.source.arn
		if src := credentialSource(ctx, in.cfg); src != "" {
			c.Detail += " (from " + src + ")"
		}
	}
	in.checks = append(in.checks, c)
}

// hopRefused returns the role of a refused AssumeRole inside the retrieval
// of the base credentials (an AccessDenied of an STS AssumeRole nested in
// the credential chain), "" for any other error.
func hopRefused(err error) string {
	var op *smithy.OperationError
	inner := ""
	for e := err; errors.As(e, &op); e = op.Err {
		inner = op.ServiceID + ":" + op.OperationName
	}
	var apiErr smithy.APIError
	if inner != "STS:AssumeRole" || !errors.As(err, &apiErr) || !strings.HasPrefix(apiErr.ErrorCode(), "AccessDenied") {
		return ""
	}
	m := ParseMessage(apiErr.ErrorMessage())
	if a, perr := arn.Parse(m.Resource); perr == nil && a.Service == "iam" && strings.HasPrefix(a.Resource, "role/") {
		return m.Resource
	}
	return ""
}

func (in *inquiry) checkAssumeRole(ctx context.Context) {
	c := Check{Name: "assume-role.call", Layer: LayerAssumeRole}
	var creds aws.CredentialsProvider
	if in.roleCreds != nil {
		creds = in.roleCreds
	} else {
		opts := append([]func(*stscreds.AssumeRoleOptions){func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = fmt.Sprintf("bedrockdoctor-check-%d", time.Now().UnixNano())
		}}, in.t.AssumeRoleOptions...)
		creds = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(in.cfg), in.t.RoleARN, opts...))
	}
	got, err := creds.Retrieve(ctx)
	in.mu.Lock()
	defer in.mu.Unlock()
	switch {
	case err != nil:
		in.ev.assumeErr = err
		c.Status = statusOf(err)
		var apiErr smithy.APIError
		if c.Status == StatusFail && !errors.As(err, &apiErr) {
			// STS answered, but not with an answer: the SDK could not use
			// it (no credentials in a 200). That refuses nothing.
			c.Status = StatusUnknown
		}
		c.Detail = "sts:AssumeRole on " + in.t.RoleARN + " failed: " + errText(err)
	case got.AccessKeyID == "" || got.SecretAccessKey == "" || got.Expired():
		c.Status = StatusUnknown
		c.Detail = "sts:AssumeRole on " + in.t.RoleARN + " answered with credentials that cannot sign (empty or already expired)"
	default:
		in.roleCreds = creds
		in.ev.assumed = true
		c.Status = StatusPass
		c.Detail = "assumed " + in.t.RoleARN
	}
	in.checks = append(in.checks, c)
}
