package diagnose

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"golang.org/x/sync/singleflight"

	"github.com/bedrockdoctor/bedrockdoctor/internal/callctx"
)

// Call describes a failed Bedrock Runtime call as the client saw it.
type Call struct {
	// Operation is the SDK operation name, e.g. "Converse".
	Operation string
	// ModelID is the modelId the app passed, if the operation has one.
	ModelID string
	// Region is the client's region for this call.
	Region string
	// RoleARN is the role the app means to use; empty if none.
	RoleARN string
	// GuardrailID and GuardrailVersion name the guardrail of the call.
	GuardrailID, GuardrailVersion string
	// OutputS3URI is StartAsyncInvoke's output location.
	OutputS3URI string
	// BearerTokenIgnored records that AWS_BEARER_TOKEN_BEDROCK was set but
	// the client signs with the role's credentials instead.
	BearerTokenIgnored bool
	// BearerToken records that the call was signed with a Bedrock API key
	// (bearer token) rather than SigV4 credentials.
	BearerToken bool
	// BearerKey is what the client read from that token (ParseBearerKey),
	// nil when it could not read it. It holds nothing secret.
	BearerKey *BearerKey
	// Notes are facts about the client's setup worth showing in the report
	// (e.g. a role session duration clamped by the role-chaining limit).
	Notes []string
	// RoleCredentials are the client's cached role credentials when the
	// client assumes RoleARN itself (client.WithRole); nil otherwise, and
	// then the checks act with the base credentials that signed the call.
	RoleCredentials aws.CredentialsProvider
	// AssumeRoleOptions are the app's stscreds options for RoleARN.
	AssumeRoleOptions []func(*stscreds.AssumeRoleOptions)
}

// Diagnoser turns failed calls into diagnosed errors. It is safe for
// concurrent use; one is built per client.
type Diagnoser struct {
	cfg    aws.Config
	opts   Options
	cache  *reportCache
	flight singleflight.Group
}

// NewDiagnoser returns a Diagnoser whose checks use cfg's credentials (or
// opts.DiagnosticConfig). It does no I/O.
func NewDiagnoser(cfg aws.Config, opts Options) *Diagnoser {
	opts = opts.WithDefaults()
	return &Diagnoser{cfg: cfg, opts: opts, cache: newReportCache(opts.CacheSize, opts.CacheTTL)}
}

// Diagnose returns err enriched with a diagnosis, or nil when err is not an
// access problem (throttling, quotas, service faults and bad requests are
// left alone) or ctx is already done.
func (d *Diagnoser) Diagnose(ctx context.Context, err error, call Call) (derr *Error) {
	if err == nil || ctx.Err() != nil {
		return nil
	}
	defer func() {
		// Never a crash of the host app: the original error goes back
		// untouched.
		if recover() != nil {
			derr = nil
		}
	}()
	text := err.Error()
	den, ok, maybe := classify(err, text)
	if !ok {
		return nil
	}
	msg := ParseMessage(text)
	report := explainCall(msg, call.Region, call.ModelID, call.RoleARN)
	if maybe && (report.Layer == LayerNone || report.Layer == LayerUnknown && len(report.Candidates) == 0) {
		// A validation error whose text we do not recognise is the app's
		// request, not an access problem.
		return nil
	}
	refine(report, den, call)
	if bearerRefined(report, msg, call) {
		return NewError(err, report, d.opts.Redact) // bearer.go: the key's principal, not the checks'
	}
	return NewError(err, d.inquire(ctx, report, msg, call), d.opts.Redact)
}

// inquire completes the text's reading with the read-only checks: one
// inquiry at a time per key, shared by every concurrent caller, cached for
// CacheTTL. A caller whose context ends gets what is known at once; the
// shared inquiry runs on, detached, and ends within Budget.
func (d *Diagnoser) inquire(ctx context.Context, seed *Report, msg Message, call Call) *Report {
	switch seed.Layer {
	case LayerWrongPrincipal, LayerCredentials:
		// The text and the client's own facts decide; checks made with
		// the same broken credentials would add nothing.
		return seed
	}
	// The denied resource is part of the key: a profile's calls are denied
	// on the destination region they were routed to, and each region may
	// be denied by a different layer.
	key := strings.Join([]string{seed.Principal, call.RoleARN, seed.Action, seed.Resource, call.Operation, call.ModelID, call.Region, string(seed.Layer)}, "\x00")
	if r, ok := d.cache.get(key); ok {
		r = withRequest(r, seed)
		if d.opts.OnReport != nil {
			// The report is ready; OnReport still gets it, as its doc
			// promises, off the caller's path like any other report.
			go d.opts.OnReport(r)
		}
		return r
	}
	ch := d.flight.DoChan(key, func() (any, error) { return d.shared(key, seed, msg, call), nil })
	if d.opts.OnReport != nil {
		// Asynchronous: the caller goes on with the text's reading; the
		// shared inquiry (one per key, like the synchronous one) reports
		// for this call when done, within Budget.
		go func() {
			res := <-ch
			d.opts.OnReport(withRequest(res.Val.(*Report), seed))
		}()
		return seed
	}
	select {
	case res := <-ch:
		return withRequest(res.Val.(*Report), seed)
	case <-ctx.Done():
		return seed
	}
}

// shared runs one inquiry detached from any caller, within Budget, and
// caches its report.
func (d *Diagnoser) shared(key string, seed *Report, msg Message, call Call) (report *Report) {
	if r, ok := d.cache.get(key); ok {
		return r
	}
	defer func() {
		// singleflight re-panics a DoChan panic on a goroutine of its own,
		// where nobody can recover it: answer with the text's reading.
		if v := recover(); v != nil {
			report = seed
		}
	}()
	t := Target{ModelID: call.ModelID, Region: call.Region, Operation: call.Operation,
		GuardrailID: call.GuardrailID, GuardrailVersion: call.GuardrailVersion}
	if call.RoleCredentials != nil {
		t.RoleARN, t.AssumeRoleOptions = call.RoleARN, call.AssumeRoleOptions
	}
	in, err := d.newInquiry(t, seed, call)
	if err != nil {
		return seed
	}
	in.roleCreds = call.RoleCredentials
	in.msg = msg
	in.ev.rolePolicyKind = kindFromMessage(msg)
	ctx, cancel := context.WithTimeout(callctx.WithDiagnosis(context.Background()), d.opts.Budget)
	defer cancel()
	// The fleet (Options.Cache, Options.Jitter, fleet.go) may already know,
	// or have another process diagnosing.
	turn := d.joinFleet(ctx, key, seed)
	if turn.report != nil {
		if turn.fromFleet {
			d.cache.put(key, turn.report)
		}
		return turn.report
	}
	ictx, icancel := turn.inquiryContext(ctx)
	defer icancel()
	in.collect(ictx)
	r := in.decideSafely()
	d.cache.put(key, r)
	turn.publish(ctx, r)
	return r
}

// withRequest returns the shared report r with the facts of this caller's
// own denial (its request id).
func withRequest(r, seed *Report) *Report {
	if r.RequestID == seed.RequestID {
		return r
	}
	cp := *r
	cp.RequestID = seed.RequestID
	return &cp
}

// refine completes the text's reading with what the client knows: the
// operation, the model, the region and the role the app means to use.
func refine(r *Report, den denial, call Call) {
	// The app's own call names the operation and the model as the app
	// wrote them; the text may name an inner call (AssumeRole) or the
	// destination model of a profile.
	if call.Operation != "" {
		r.Operation = call.Operation
	}
	if call.ModelID != "" {
		r.ModelID = call.ModelID
	}
	if call.Region != "" {
		r.Region = call.Region
	}
	if r.RequestID == "" {
		r.RequestID = den.requestID
	}
	if call.RoleARN != "" {
		r.RoleARN = call.RoleARN
		// The target account is the role's, whatever account the text's
		// principal or resource is in (see Report).
		if a, err := arn.Parse(call.RoleARN); err == nil {
			r.TargetAccount = a.AccountID
		}
		if hop := chainHop(r, call.RoleARN); hop != "" {
			r.Summary += " (a hop of the base credentials' own role chain, before the app's role " + call.RoleARN + ")"
			r.Fix = hopFix(hop)
		}
	}
	if r.Checks == nil {
		r.Checks = []Check{}
	}
	for _, n := range call.Notes {
		r.Checks = append(r.Checks, Check{Name: "client.setup", Layer: LayerNone, Status: StatusPass, Detail: n})
	}
	if call.BearerTokenIgnored {
		r.Checks = append(r.Checks, Check{
			Name: "client.bearer-token", Layer: LayerWrongPrincipal, Status: StatusPass,
			Detail: "AWS_BEARER_TOKEN_BEDROCK is set but ignored: the client signs with the role's credentials (WithRole)",
		})
	}
	checkPrincipal(r, den, call)
	if r.Action == "" && r.Resource == "" && call.RoleARN != "" && call.RoleCredentials != nil && den.inCredentials && den.service == "STS" {
		// The app's AssumeRole failed before Bedrock was called: that is
		// the denied request, even when its text names no principal.
		r.Action, r.Resource = "sts:AssumeRole", call.RoleARN
	}
	r.ResourceRegion = resourceRegion(r.Resource)
}

// checkPrincipal names the wrong principal: a Bedrock call denied to someone
// other than a session of the role the app means to use.
func checkPrincipal(r *Report, den denial, call Call) {
	if call.RoleARN == "" || r.Principal == "" || den.inCredentials || strings.HasPrefix(r.Action, "sts:") {
		return
	}
	if SessionOfRole(r.Principal, call.RoleARN) {
		r.Checks = append(r.Checks, Check{
			Name: "principal.match", Layer: LayerWrongPrincipal, Status: StatusPass,
			Detail: "the denied call was signed by a session of " + call.RoleARN,
		})
		return
	}
	detail := "the denied call was signed by " + r.Principal + ", not by a session of " + call.RoleARN
	fix := "make the client sign with the role: pass client.WithRole(\"" + call.RoleARN + "\") and check that no other credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, a container or instance role) take precedence"
	if call.BearerToken {
		var note string
		note, fix = bearerPrincipalNote(call) // bearer.go
		detail += note
	}
	r.Checks = append(r.Checks, Check{Name: "principal.match", Layer: LayerWrongPrincipal, Status: StatusFail, Detail: detail})
	if r.Layer != LayerWrongPrincipal {
		if r.Layer != LayerUnknown && r.Layer.Valid() {
			r.Candidates = appendLayer(r.Candidates, r.Layer)
		}
		r.Layer = LayerWrongPrincipal
	}
	r.Summary = "wrong principal: " + detail
	r.Fix = fix
	r.FixPolicy = ""
}

// chainHop returns the role of a refused AssumeRole that is not the app's
// role: the base credentials are themselves a role chain (a shared-config
// profile with role_arn and source_profile, or credential_source), and one
// of its hops was refused before the app's AssumeRole could run.
func chainHop(r *Report, appRole string) string {
	if !strings.HasPrefix(r.Action, "sts:AssumeRole") || r.Resource == "" {
		return ""
	}
	a, err := arn.Parse(r.Resource)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return ""
	}
	if b, err := arn.Parse(appRole); err == nil && a.AccountID == b.AccountID && roleName(r.Resource) == roleName(appRole) {
		return ""
	}
	return r.Resource
}

// hopFix says where a refused hop of the base credentials' chain is fixed.
func hopFix(hop string) string {
	return "The refused AssumeRole is of " + hop + ", which the app's AWS profile assumes to get its base credentials (role_arn with source_profile or credential_source in ~/.aws/config, or an SSO chain): check that the profile's source principal may sts:AssumeRole on " + hop + " and that its trust policy trusts that principal, or point the app at base credentials that do not need the hop."
}

func appendLayer(ls []Layer, l Layer) []Layer {
	for _, x := range ls {
		if x == l {
			return ls
		}
	}
	return append(ls, l)
}

// SessionOfRole reports whether principal (an ARN as AWS prints it in an
// access-denied message) is a session of roleARN. Session ARNs carry no role
// path, so the role's account and name decide.
func SessionOfRole(principal, roleARN string) bool {
	p, err := arn.Parse(principal)
	if err != nil {
		return false
	}
	r, err := arn.Parse(roleARN)
	if err != nil || r.AccountID != p.AccountID || r.Partition != p.Partition {
		return false
	}
	if role := roleOfSession(p); role != "" {
		return roleName(role) == roleName(roleARN)
	}
	return p.Service == "iam" && strings.HasPrefix(p.Resource, "role/") && roleName(principal) == roleName(roleARN)
}

// kindFromMessage reads which of the role's policies the denial names.
func kindFromMessage(m Message) rolePolicyKind {
	switch {
	case m.PolicyType == PolicySession:
		return policySessionGap
	case m.PolicyType == PolicyPermissionBoundary && !m.Explicit:
		return policyBoundary
	case m.Explicit && (m.PolicyType == PolicyIdentity || m.PolicyType == PolicyPermissionBoundary):
		return policyExplicitDeny
	}
	return policyIdentityGap
}
