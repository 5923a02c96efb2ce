// Package fleet measures what a denial storm costs a fleet of processes
// that each wrap Bedrock with the library: N Diagnosers, each with its own
// cache and rate limit as N processes would have, see the same denial at
// once against one local multi-account AWS (internal/awsfake) that
// throttles each account's API families with AWS's quotas. It counts the
// diagnostic calls, how many were throttled, how many verdicts were decided
// and how long each process waited for its verdict.
//
// It is a test harness (the diagnose and cache/redis benchmarks share it),
// not part of the library.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// The world: an app user in one account assumes a role in another whose
// policy lost bedrock:InvokeModel (it may still read Bedrock's catalog and
// simulate its own policies, as the diagnosis needs). The verdict a human
// names is role-permissions.
const (
	SourceAccount = "111111111111"
	TargetAccount = "222222222222"
	Region        = "us-east-1"
	Model         = "anthropic.claude-3-haiku-20240307-v1:0"
	RoleARN       = "arn:aws:iam::" + TargetAccount + ":role/BedrockAccess"
	appARN        = "arn:aws:iam::" + SourceAccount + ":user/app"
	// Want is the layer every process must be told.
	Want = diagnose.LayerRolePermissions
)

func policy(stmts ...string) string {
	s := `{"Version":"2012-10-17","Statement":[`
	for i, st := range stmts {
		if i > 0 {
			s += ","
		}
		s += st
	}
	return s + "]}"
}

// World returns the world of the storm.
func World() (*awsfake.World, awsfake.Credentials) {
	w := awsfake.NewWorld()
	w.Model(awsfake.FoundationModel{ID: Model, Name: "Claude 3 Haiku", Provider: "Anthropic", Regions: []string{"us-east-1", "us-east-2", "us-west-2"}, OnDemand: true, Marketplace: true})
	src := w.Account(SourceAccount)
	tgt := w.Account(TargetAccount)
	app := src.User("app").Inline("app", policy(
		`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+RoleARN+`"}`,
		`{"Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"`+appARN+`"}`))
	tgt.Role("BedrockAccess", policy(`{"Effect":"Allow","Principal":{"AWS":"`+appARN+`"},"Action":"sts:AssumeRole"}`)).
		Inline("bedrock", policy(
			`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`,
			`{"Effect":"Allow","Action":["bedrock:GetFoundationModel","bedrock:ListFoundationModels","bedrock:GetInferenceProfile","bedrock:ListInferenceProfiles","bedrock:GetFoundationModelAvailability","bedrock:GetUseCaseForModelAccess"],"Resource":"*"}`,
			`{"Effect":"Allow","Action":["iam:SimulatePrincipalPolicy","iam:GetRole"],"Resource":"`+RoleARN+`"}`))
	tgt.Bedrock(Region).Access(Model, awsfake.AccessAuthorized)
	return w, app.AccessKey()
}

// Config is one storm.
type Config struct {
	// N is the number of processes.
	N int
	// Options sets process i's diagnose options (Cache, Jitter, Budget);
	// the harness then gives each process a rate limiter of its own.
	Options func(i int, o *diagnose.Options)
	// Quotas throttle the world's accounts; nil: awsfake.DefaultQuotas().
	Quotas map[string]awsfake.Quota
	// Server, when set, is called with the server before the storm (to
	// inject faults).
	Server func(*awsfake.Server)
}

// Result is what one storm cost and gave.
type Result struct {
	N         int
	Calls     int            // diagnostic requests AWS received (retries included)
	ByFamily  map[string]int // of Calls, per API family
	Throttled int            // of Calls, answered with a throttling error
	Decided   int            // processes told Want on evidence (see Decided)
	Unknown   int            // processes told anything else: the text's reading alone, unknown, another layer
	P50, Max  time.Duration  // time from the denial to each process's verdict
	Layers    map[diagnose.Layer]int
}

func (r Result) String() string {
	return fmt.Sprintf("N=%d calls=%d throttled=%d decided=%d unknown=%d p50=%s max=%s", r.N, r.Calls, r.Throttled, r.Decided, r.Unknown,
		r.P50.Round(time.Millisecond), r.Max.Round(time.Millisecond))
}

// process is one instance of the app: its base config, its cached role
// credentials and its Diagnoser.
type process struct {
	cfg    aws.Config
	role   aws.CredentialsProvider
	d      *diagnose.Diagnoser
	denial error // the app's denied Bedrock call
}

// Run has every process diagnose its denied Bedrock call at once, as the
// client's middleware would. The processes' role credentials are assumed
// (and cached) and their calls denied before the storm, as a running
// fleet's are when a policy change reaches it.
func Run(ctx context.Context, c Config) (Result, error) {
	w, appKey := World()
	srv := awsfake.NewServer(w)
	defer srv.Close()
	procs := make([]*process, c.N)
	for i := range procs {
		cfg := srv.Config(Region, appKey)
		// The SDK's default retryer, as an app has it: throttled calls
		// are retried with backoff.
		cfg.Retryer = func() aws.Retryer { return retry.NewStandard() }
		role := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), RoleARN))
		if _, err := role.Retrieve(ctx); err != nil {
			return Result{}, fmt.Errorf("process %d: assume the role: %w", i, err)
		}
		appCfg := cfg.Copy()
		appCfg.Credentials = role
		var o diagnose.Options
		if c.Options != nil {
			c.Options(i, &o)
		}
		// Each process has its own limiter (they are process-wide, one per
		// rate): a rate a hair apart from every other process's.
		if o.RateLimit == 0 {
			o.RateLimit = diagnose.DefaultRateLimit
		}
		if o.RateLimit > 0 {
			o.RateLimit += float64(i+1) * 1e-9
		}
		p := &process{cfg: cfg, role: role, d: diagnose.NewDiagnoser(cfg, o)}
		// The app's own call, denied: its error is what the process
		// diagnoses when the storm starts (made here, so that the storm
		// measures the diagnoses, not N signed Bedrock calls at once).
		_, p.denial = bedrockruntime.NewFromConfig(appCfg).InvokeModel(ctx, &bedrockruntime.InvokeModelInput{
			ModelId: aws.String(Model), ContentType: aws.String("application/json"),
			Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`),
		})
		if p.denial == nil {
			return Result{}, fmt.Errorf("process %d: the call was not denied", i)
		}
		procs[i] = p
	}
	quotas := c.Quotas
	if quotas == nil {
		quotas = awsfake.DefaultQuotas()
	}
	srv.SetThrottling(quotas)
	if c.Server != nil {
		c.Server(srv)
	}
	srv.ResetLog()

	res := Result{N: c.N, ByFamily: map[string]int{}, Layers: map[diagnose.Layer]int{}}
	lat := make([]time.Duration, c.N)
	reports := make([]*diagnose.Report, c.N)
	errs := make([]error, c.N)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, p := range procs {
		wg.Go(func() {
			<-start
			t0 := time.Now()
			derr := p.d.Diagnose(ctx, p.denial, diagnose.Call{Operation: "InvokeModel", ModelID: Model, Region: Region, RoleARN: RoleARN, RoleCredentials: p.role})
			lat[i] = time.Since(t0)
			if derr == nil {
				errs[i] = fmt.Errorf("no diagnosis for %v", p.denial)
				return
			}
			reports[i] = derr.Report
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	for _, e := range srv.Log() {
		if e.Service == awsfake.FamilyBedrockRuntime {
			continue
		}
		res.Calls++
		res.ByFamily[e.Service]++
		if e.Decision == "throttled" {
			res.Throttled++
		}
	}
	for _, r := range reports {
		res.Layers[r.Layer]++
		if Decided(r) {
			res.Decided++
		} else {
			res.Unknown++
		}
	}
	slices.Sort(lat)
	res.P50, res.Max = lat[len(lat)/2], lat[len(lat)-1]
	return res, nil
}

// Decided reports whether r names Want on evidence from AWS: a check of
// that layer other than the text's own reading (message.parse) failed. The
// text of this denial already says role-permissions; a diagnosis whose
// checks were throttled repeats it without evidence (and without telling a
// session policy or a destination Region from the role's policy).
func Decided(r *diagnose.Report) bool {
	if r == nil || r.Layer != Want {
		return false
	}
	for _, c := range r.Checks {
		if c.Layer == Want && c.Status == diagnose.StatusFail && !strings.HasPrefix(c.Name, "message.") {
			return true
		}
	}
	return false
}

// Report reports res as a benchmark's metrics (b is a *testing.B).
func Report(b interface{ ReportMetric(float64, string) }, res Result) {
	b.ReportMetric(float64(res.Calls), "calls")
	b.ReportMetric(float64(res.Throttled), "throttled")
	b.ReportMetric(float64(res.Decided), "decided")
	b.ReportMetric(float64(res.Unknown), "undecided")
	b.ReportMetric(float64(res.P50)/float64(time.Millisecond), "p50-ms")
	b.ReportMetric(float64(res.Max)/float64(time.Millisecond), "max-ms")
}
