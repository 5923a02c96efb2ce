package diagnose_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
	"github.com/bedrockdoctor/bedrockdoctor/internal/worldgen"
)

// Random worlds: each seed is a realistic multi-account world from
// internal/worldgen, played with the real SDK through the drop-in client and
// through Run. The expectation is the fake's ground truth for the app's own
// call (every layer that denies it on its own), never the code under test:
// the diagnosis must name one of those layers, or say unknown/assume-role
// with one of them among its candidates; never none for a denied call.

var (
	rwWorlds    = flag.Int("worlds", 200, "random worlds to play in TestRandomWorlds")
	rwSeed      = flag.Int64("seed", 1, "first seed of TestRandomWorlds")
	rwKindShare = flag.Float64("kinds", worldgen.KindShare, "share of TestRandomWorlds' worlds that use the model kinds, routed kinds and API keys (worldgen.KindShare)")
)

const (
	rwBudget = 1500 * time.Millisecond // the diagnosis' budget in each world
	// rwSlack is what a diagnosis may take beyond its budget: the app's
	// call itself and scheduling on a loaded machine under -race.
	rwSlack = 3 * time.Second
	// rwHang is how long a hanging diagnostic call hangs: beyond the
	// budget, so the diagnosis must give up on it.
	rwHang = 5 * time.Second
	// rwConcurrency is how many worlds play at once.
	rwConcurrency = 4
)

// textBlind are layers whose denial the app's error text need not reveal
// and the read-only checks cannot read (SCP/RCP contents, VPC endpoint
// policies): an undecided verdict over a truth made only of them is honest
// even when its candidates miss them.
var textBlind = map[string]bool{"org-policy": true, "endpoint-policy": true}

// rwOutcome classifies one verdict against the truth.
type rwOutcome string

const (
	rwOK     rwOutcome = "ok"     // nothing denied, nothing reported
	rwExact  rwOutcome = "exact"  // the named layer is in the truth
	rwHonest rwOutcome = "honest" // unknown/assume-role with a candidate in the truth (or a text-blind truth), or a fault left alone
	rwWrong  rwOutcome = "wrong"  // anything else
)

// rwTally counts outcomes per tier, for the call and for Run.
type rwTally struct {
	mu     sync.Mutex
	counts map[string]map[string]int // "tier/call" → outcome → n
	wrong  []string                  // one line per wrong or failed world
}

func (tl *rwTally) add(tier worldgen.Tier, what string, o rwOutcome, failed bool, line string) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	k := string(tier) + "/" + what
	if tl.counts[k] == nil {
		tl.counts[k] = map[string]int{}
	}
	tl.counts[k]["worlds"]++
	tl.counts[k][string(o)]++
	if failed {
		tl.counts[k]["failed"]++
	}
	if o == rwWrong || failed {
		tl.wrong = append(tl.wrong, line)
	}
}

func TestRandomWorlds(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	defer func(s float64) { worldgen.KindShare = s }(worldgen.KindShare)
	worldgen.KindShare = *rwKindShare
	tl := &rwTally{counts: map[string]map[string]int{}}
	ft := &rwFixTally{counts: map[string]map[string]int{}}
	sem := make(chan struct{}, rwConcurrency)
	var wg sync.WaitGroup
	for seed := *rwSeed; seed < *rwSeed+int64(*rwWorlds); seed++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { playWorld(t, seed, tl, ft) })
		}()
	}
	wg.Wait()
	for _, what := range []string{"call", "run"} {
		for _, tr := range worldgen.Tiers {
			c := tl.counts[string(tr)+"/"+what]
			t.Logf("%-4s tier %-4s: %3d worlds, %3d ok, %3d exact, %3d honest, %3d wrong, %3d failed",
				what, tr, c["worlds"], c["ok"], c["exact"], c["honest"], c["wrong"], c["failed"])
		}
	}
	sort.Strings(tl.wrong)
	for _, l := range tl.wrong {
		t.Log(l)
	}
	ft.report(t)
}

// rwWorld is one world being played.
type rwWorld struct {
	w    worldgen.World
	sc   *awsfake.Scenario
	srv  *awsfake.Server
	logs *syncBuffer
	errs []string // assertion failures other than the verdict
	// callReport and runReport are the reports' texts, for a failure.
	callReport, runReport string
	// callRep and runRep are the reports, for their fixes.
	callRep, runRep *diagnose.Report
	// token is the Bedrock API key the app holds (App.APIKey).
	token string
}

// apiKeyIn issues the app's Bedrock API key in a load of the world: a
// long-term key of its IAM user, a short-term key minted from a session of
// the role (as a job that may assume it would), or a token of another
// vendor.
func (rw *rwWorld) apiKeyIn(sc *awsfake.Scenario) string {
	k := rw.w.App.APIKey
	switch k.Kind {
	case "long-term":
		acct, name, _ := strings.Cut(k.User, "/")
		u := sc.World.UserByARN("arn:aws:iam::" + acct + ":user/" + name)
		if u == nil {
			rw.failf("no API key user %s in the world", k.User)
			return ""
		}
		var expires time.Time
		if k.Expired {
			expires = time.Now().Add(-time.Hour)
		}
		return u.APIKey(expires)
	case "short-term":
		c, ok := sc.World.AssumeByARN(k.Role, "api-key-minter", time.Hour)
		if !ok {
			rw.failf("cannot mint a short-term key from %s", k.Role)
			return ""
		}
		var signedAt time.Time
		var lifetime time.Duration
		if k.Expired {
			signedAt, lifetime = time.Now().Add(-2*time.Hour), time.Hour
		}
		return sc.World.ShortTermAPIKey(c, k.Region, signedAt, lifetime)
	}
	return fmt.Sprintf("sk-proj-%032d", rw.w.Seed)
}

func (rw *rwWorld) failf(format string, args ...any) {
	rw.errs = append(rw.errs, fmt.Sprintf(format, args...))
}

func playWorld(t *testing.T, seed int64, tl *rwTally, ft *rwFixTally) {
	w := worldgen.Generate(seed)
	rw := &rwWorld{w: w, logs: &syncBuffer{}}
	var callLine, runLine string
	var callOut, runOut = rwWrong, rwWrong
	defer func() {
		if v := recover(); v != nil {
			rw.failf("panic: %v\n%s", v, debug.Stack())
		}
		failed := len(rw.errs) > 0
		tl.add(w.App.Tier, "call", callOut, failed, fmt.Sprintf("seed %d call: %s %s; problems %q", seed, callOut, callLine, w.Problems))
		tl.add(w.App.Tier, "run", runOut, false, fmt.Sprintf("seed %d run: %s %s; problems %q", seed, runOut, runLine, w.Problems))
		if callOut == rwWrong || runOut == rwWrong || failed {
			t.Errorf("seed %d\ncall: %s %s\nrun:  %s %s\n%s\n\nthe call's report:\n%s\nRun's report:\n%s\nworld:\n%s\n\nreproduce: go test ./diagnose -run 'TestRandomWorlds' -seed %d -worlds 1 -kinds %g -v",
				seed, callOut, callLine, runOut, runLine, strings.Join(rw.errs, "\n"), rw.callReport, rw.runReport, w, seed, worldgen.KindShare)
		}
	}()
	sc, err := w.Load()
	if err != nil {
		rw.failf("the world does not load: %v", err)
		return
	}
	rw.sc = sc
	if w.App.APIKey != nil {
		rw.token = rw.apiKeyIn(sc)
	}
	if w.App.BearerToken || w.App.APIKey != nil {
		rw.srv = awsfake.NewTLSServer(sc.World)
	} else {
		rw.srv = awsfake.NewServer(sc.World)
	}
	defer rw.srv.Close()
	for _, f := range w.App.Faults {
		rw.srv.InjectFault(f.Service, f.Action, f.Awsfake(rwHang))
	}

	callOut, callLine = rw.playCall()
	rw.assertReadOnly("the app's call")
	rw.assertNoSecrets()
	rw.srv.ResetLog()
	runOut, runLine = rw.playRun()
	rw.playFix(ft, "call", rw.callRep)
	rw.playFix(ft, "run", rw.runRep)
}

// baseCredentials are the app's access key as the world's app holds it.
func (rw *rwWorld) baseCredentials() awsfake.Credentials { return rw.credentialsIn(rw.sc) }

// credentialsIn are the app's access key in a load of the world (each load
// issues its own keys).
func (rw *rwWorld) credentialsIn(sc *awsfake.Scenario) awsfake.Credentials {
	c, _ := sc.Credentials(rw.w.App.Principal)
	switch rw.w.App.Credentials {
	case "unissued":
		c = awsfake.Credentials{AccessKeyID: fmt.Sprintf("AKIA%016d", rw.w.Seed), SecretAccessKey: "not-a-secret-aws-issued"}
	case "wrong-secret":
		c.SecretAccessKey = "wrong" + c.SecretAccessKey[5:]
	}
	return c
}

func (rw *rwWorld) diagOptions(o *diagnose.Options) {
	o.Budget = rwBudget
	o.RateLimit = -1
	o.Logger = slog.New(slog.NewJSONHandler(rw.logs, nil))
	if a := rw.w.App.Auditor; a != "" {
		key, _ := rw.sc.Credentials(a)
		cfg := rw.srv.Config(rw.w.App.Region, key)
		o.DiagnosticConfig = &cfg
	}
}

func (rw *rwWorld) assumeOptions() []func(*stscreds.AssumeRoleOptions) {
	app := rw.w.App
	var opts []func(*stscreds.AssumeRoleOptions)
	if app.ExternalID != "" {
		opts = append(opts, func(o *stscreds.AssumeRoleOptions) { o.ExternalID = aws.String(app.ExternalID) })
	}
	if app.SessionPolicy != "" {
		opts = append(opts, func(o *stscreds.AssumeRoleOptions) { o.Policy = aws.String(app.SessionPolicy) })
	}
	if app.MFA {
		opts = append(opts, func(o *stscreds.AssumeRoleOptions) {
			o.SerialNumber = aws.String("arn:aws:iam::" + strings.SplitN(app.Principal, "/", 2)[0] + ":mfa/app")
			o.TokenProvider = func() (string, error) { return "123456", nil }
		})
	}
	return opts
}

// playCall makes the app's call through the drop-in client and judges it.
func (rw *rwWorld) playCall() (rwOutcome, string) {
	app := rw.w.App
	var cfg aws.Config
	if app.BearerToken || app.APIKey != nil {
		tok, _ := rw.sc.BearerToken(app.Principal)
		if app.APIKey != nil {
			tok = rw.token
		}
		cfg = rw.srv.BearerConfig(app.Region, tok)
		c := rw.baseCredentials()
		cfg.Credentials = aws.NewCredentialsCache(staticCreds(c))
	} else {
		cfg = rw.srv.Config(app.Region, rw.baseCredentials())
	}
	var c *bedrockruntime.Client
	if app.ApplyRole {
		c = client.NewFromConfig(cfg, client.WithRole(app.RoleARN, rw.assumeOptions()...), client.WithDiagnosis(rw.diagOptions))
	} else {
		client.AppendDiagnosis(&cfg.APIOptions, cfg, rw.diagOptions, func(o *diagnose.Options) { o.RoleARN = app.RoleARN })
		c = bedrockruntime.NewFromConfig(cfg)
	}
	start := time.Now()
	err := rwCall(context.Background(), c, app)
	if d := time.Since(start); d > rwBudget+rwSlack {
		rw.failf("the call with its diagnosis took %v, budget %v", d, rwBudget)
	}
	entry, ok := rw.srv.AppCall()
	if !ok {
		rw.failf("the fake logged no app call (error %v)", err)
		return rwWrong, fmt.Sprintf("no app call; error %v", err)
	}
	truth := entry.Truth
	var derr *diagnose.Error
	diagnosed := errors.As(err, &derr)
	if diagnosed {
		rw.scan("the error", err.Error())
		js, _ := json.Marshal(derr.Report)
		rw.callReport = derr.Report.String()
		rw.callRep = derr.Report
		rw.scan("the report", string(js)+rw.callReport)
	}
	switch {
	case err == nil:
		if len(truth) > 0 {
			rw.failf("the call succeeded but the fake's truth is %q", truth)
		}
		return rwOK, "succeeded"
	case entry.Decision == "fault":
		// The app's own role assumption failed for a reason that is not
		// access: left alone, or undecided at most.
		if diagnosed && derr.Layer() != diagnose.LayerUnknown {
			return rwWrong, fmt.Sprintf("named %s for a fault (%v)", derr.Layer(), err)
		}
		return rwHonest, "fault left alone"
	case len(truth) == 0:
		rw.failf("the call failed but the fake's truth is empty: %v", err)
		return rwWrong, fmt.Sprintf("no truth; error %v", err)
	case !diagnosed:
		rw.failf("a denied call (truth %q) was not diagnosed: %v", truth, err)
		return rwWrong, fmt.Sprintf("not diagnosed, truth %q", truth)
	}
	out := judge(derr.Report, truth)
	return out, fmt.Sprintf("named %s (candidates %v) when truth is %q; text: %s", derr.Layer(), derr.Report.Candidates, truth, firstLine(err.Error()))
}

// playRun runs diagnose.Run on the same world, then probes the app's
// intended path (the role applied as the app asks, no diagnosis) for the
// truth Run is judged by: the world as it is when Run looks at it, over
// every route of an inference profile.
func (rw *rwWorld) playRun() (rwOutcome, string) {
	app := rw.w.App
	cfg := rw.srv.Config(app.Region, rw.baseCredentials())
	var o diagnose.Options
	rw.diagOptions(&o)
	target := diagnose.Target{RoleARN: app.RoleARN, AssumeRoleOptions: rw.assumeOptions(), ModelID: app.ModelID, Region: app.Region, Operation: app.Operation,
		GuardrailID: app.GuardrailID, GuardrailVersion: app.GuardrailVersion, OutputS3URI: app.OutputS3URI}
	start := time.Now()
	report, err := diagnose.NewDiagnoser(cfg, o).Run(context.Background(), target)
	if d := time.Since(start); d > rwBudget+rwSlack {
		rw.failf("Run took %v, budget %v", d, rwBudget)
	}
	if err != nil || report == nil {
		rw.failf("Run failed: %v", err)
		return rwWrong, fmt.Sprintf("Run error %v", err)
	}
	js, _ := json.Marshal(report)
	rw.runReport = report.String()
	rw.runRep = report
	rw.scan("Run's report", string(js)+rw.runReport)
	rw.assertReadOnly("Run")
	rw.assertNoSecrets()

	// AWS routes each call of a regional profile to one of its
	// destinations, and Run cannot know which: a layer that denies any
	// route breaks some of the app's calls, so every route is probed.
	// The first route is probed twice: a Marketplace model's first call
	// succeeds and starts a subscription the role may not complete, and
	// Run judges the calls that follow too.
	routes := app.Destinations()
	if routes == nil {
		routes = []string{""}
	}
	routes = append(routes, routes[0])
	var perr error
	var truth []string
	for _, dest := range routes {
		if dest != "" {
			rw.srv.SetRouter(func(_, _ string, _ []string) string { return dest })
		}
		rw.srv.ResetLog()
		probe := client.NewFromConfig(cfg, client.WithRole(app.RoleARN, rw.assumeOptions()...), client.WithoutDiagnosis())
		if err := rwCall(context.Background(), probe, app); err != nil {
			perr = err
		}
		entry, _ := rw.srv.AppCall()
		for _, l := range entry.Truth {
			if !slices.Contains(truth, l) {
				truth = append(truth, l)
			}
		}
	}
	slices.Sort(truth)
	if perr == nil {
		switch report.Layer {
		case diagnose.LayerNone:
			return rwOK, "none, and the call succeeds"
		case diagnose.LayerUnknown, diagnose.LayerAssumeRole:
			return rwHonest, fmt.Sprintf("%s (candidates %v) though the call succeeds", report.Layer, report.Candidates)
		}
		return rwWrong, fmt.Sprintf("named %s (candidates %v) though the call succeeds", report.Layer, report.Candidates)
	}
	if len(truth) == 0 {
		return rwHonest, fmt.Sprintf("the probe failed without a truth (%v); Run said %s", firstLine(perr.Error()), report.Layer)
	}
	if report.Layer == diagnose.LayerNone && len(truth) == 1 && truth[0] == "endpoint-policy" {
		// Run makes no Bedrock Runtime call: a VPC endpoint policy on the
		// app's path is outside what it can see, and its report says so
		// (endpoint-policy.path, skipped). Not a claim about the path.
		return rwHonest, "none, blind to the VPC endpoint that denies the app's path (documented)"
	}
	return judge(report, truth), fmt.Sprintf("named %s (candidates %v) when truth is %q", report.Layer, report.Candidates, truth)
}

// judge classifies a report against the truth of a denied call.
func judge(r *diagnose.Report, truth []string) rwOutcome {
	l := string(r.Layer)
	switch {
	case slices.Contains(truth, l):
		return rwExact
	case r.Layer == diagnose.LayerUnknown || r.Layer == diagnose.LayerAssumeRole:
		for _, c := range r.Candidates {
			if slices.Contains(truth, string(c)) {
				return rwHonest
			}
		}
		blind := true
		for _, l := range truth {
			blind = blind && textBlind[l]
		}
		if blind {
			return rwHonest
		}
	}
	return rwWrong
}

// routedReads are the diagnosis' reads of prompt routers, prompts and
// Marketplace endpoints (Get calls, as the design's allow-list has them).
var routedReads = map[string]bool{"GetPromptRouter": true, "GetPrompt": true, "GetMarketplaceModelEndpoint": true}

// assertReadOnly: apart from the app's own calls (its Bedrock Runtime call
// and its role assumption), the log holds only the diagnosis' reads.
func (rw *rwWorld) assertReadOnly(who string) {
	runtimeCalls := 0
	for _, e := range rw.srv.Log() {
		if e.Service == "bedrock-runtime" {
			runtimeCalls++
			continue
		}
		if !readOnly[e.Action] && !ownedReads[e.Action] && !routedReads[e.Action] {
			rw.failf("%s: %s:%s is not on the read-only allow-list", who, e.Service, e.Action)
		}
	}
	if runtimeCalls > 1 {
		rw.failf("%s: Bedrock Runtime was called %d times, want at most once", who, runtimeCalls)
	}
}

// scan fails the world if a secret the fake issued (or the app's API
// key) appears in text.
func (rw *rwWorld) scan(where, text string) {
	secrets := rw.sc.World.IssuedSecrets()
	if rw.token != "" {
		secrets = append(secrets, rw.token)
	}
	for _, s := range secrets {
		if strings.Contains(text, s) {
			rw.failf("a secret the fake issued appears in %s", where)
			return
		}
	}
}

func (rw *rwWorld) assertNoSecrets() { rw.scan("the library's log", rw.logs.String()) }

func firstLine(s string) string {
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// staticCreds is a credentials provider of fixed keys.
type staticCreds awsfake.Credentials

func (c staticCreds) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Source: "awsfake"}, nil
}

// rwCall makes the app's call: Converse, InvokeModel (each with the app's
// guardrail, if any) or StartAsyncInvoke to the app's output location.
func rwCall(ctx context.Context, c *bedrockruntime.Client, app worldgen.App) error {
	model := aws.String(app.ModelID)
	var gid, gver *string
	if app.GuardrailID != "" {
		gid, gver = aws.String(app.GuardrailID), aws.String(app.GuardrailVersion)
	}
	switch app.Operation {
	case "StartAsyncInvoke":
		_, err := c.StartAsyncInvoke(ctx, &bedrockruntime.StartAsyncInvokeInput{ModelId: model,
			ModelInput:       document.NewLazyDocument(map[string]any{"taskType": "TEXT_VIDEO", "textToVideoParams": map[string]string{"text": "a lighthouse"}}),
			OutputDataConfig: &types.AsyncInvokeOutputDataConfigMemberS3OutputDataConfig{Value: types.AsyncInvokeS3OutputDataConfig{S3Uri: aws.String(app.OutputS3URI)}}})
		return err
	case "InvokeModel":
		_, err := c.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: model, ContentType: aws.String("application/json"), GuardrailIdentifier: gid, GuardrailVersion: gver,
			Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`)})
		return err
	}
	in := &bedrockruntime.ConverseInput{ModelId: model,
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}}}
	if gid != nil {
		in.GuardrailConfig = &types.GuardrailConfiguration{GuardrailIdentifier: gid, GuardrailVersion: gver}
	}
	_, err := c.Converse(ctx, in)
	return err
}
