package diagnose_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
	"github.com/bedrockdoctor/bedrockdoctor/internal/worldgen"
)

// Fixes that work: every fix a random world's diagnosis prints is applied
// where its own words say (the place it names), in a fresh copy of the same
// world, as the policy's owner would, and the app's call is made again on
// every route. It must pass, or move on to another gate (the fake's truth
// for the new call no longer holds the layer the fix was for). Before it is
// applied, the fix policy is checked for widening: an action or resource
// beyond what the denied call needs, a principal beyond the source, or a
// condition of the statement that almost matched left out (the call would
// then pass because the restriction is gone).
//
// The applier below is the test's own reading of the places a report names;
// it never asks the code under test where a fix goes.

// rwFixKind is what happened to one report's fix.
type rwFixKind string

const (
	fixPassed   rwFixKind = "passed"   // applied; every route of the call succeeds
	fixMovedOn  rwFixKind = "moved on" // applied; the call fails at another gate
	fixFailed   rwFixKind = "failed"   // applied; the fixed layer still denies
	fixDeclined rwFixKind = "declined" // the fix's own caveat says not to paste it here
	fixWords    rwFixKind = "words"    // no change the applier can make (advice, a Deny it cannot find, an admin's action)
)

// rwFixTally counts fixes per tier and report ("call" or "run").
type rwFixTally struct {
	mu      sync.Mutex
	counts  map[string]map[string]int
	widened []string
	lines   []string // failed and declined fixes, for the summary
	words   []string // fixes in words only
}

func (ft *rwFixTally) add(tier worldgen.Tier, what string, k rwFixKind, widened bool, line string) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	key := string(tier) + "/" + what
	if ft.counts[key] == nil {
		ft.counts[key] = map[string]int{}
	}
	ft.counts[key][string(k)]++
	switch k {
	case fixPassed, fixMovedOn, fixFailed:
		ft.counts[key]["applied"]++
	}
	if widened {
		ft.counts[key]["widened"]++
		ft.widened = append(ft.widened, line)
	}
	if k == fixFailed || k == fixDeclined {
		ft.lines = append(ft.lines, line)
	}
}

// The places a report's FixPlace (or, without one, its Fix) names. ARNs
// end at a space or a sentence's punctuation.
const rwARN = `(arn:[^\s,;()]+[^\s,;().])`

var (
	placeIdentity = regexp.MustCompile(`identity policy of (?:role |user )?` + rwARN + `|` + rwARN + `'s identity policy`)
	placeBoundary = regexp.MustCompile(`permissions boundary (?:` + rwARN + ` )?of (?:role |user )?` + rwARN)
	placeSession  = regexp.MustCompile(`session policy the app passes`)
	placeTrust    = regexp.MustCompile(`trust policy of (?:role )?` + rwARN)
	// A Deny statement the fix says to remove, as the local evaluation
	// names it: statement "SID" of role/NAME/inline/POLICY.
	fixRemoveDeny = regexp.MustCompile(`remove or narrow the Deny statement \(statement "([^"]+)" of role/[^/]+/inline/([^\s,;)]+)`)
	fixTagRole    = regexp.MustCompile(`tag role ` + rwARN + ` with ([^\s=]+)=([^\s,;.)]+)`)
	fixUseCase    = regexp.MustCompile(`(?i)submit the Anthropic (?:use-case|first-time-use) form`)
	// rwCaveat marks a fix written without reading the policies it goes
	// into: it says what to do instead when one of their statements
	// already allows the call under a condition.
	rwCaveat = "the diagnosis could not read"
	// A system-defined inference profile id in a text.
	// A system-defined inference profile id in a text (a placeholder such
	// as us.provider.model has no version digits).
	profileIDText = regexp.MustCompile(`\b(?:us|eu|apac|global|us-gov|jp|au|ca)\.[a-z0-9-]+\.[A-Za-z0-9.:_-]*[0-9][A-Za-z0-9.:_-]*`)
)

// rwPlace is one place a fix goes.
type rwPlace struct {
	kind      string // "identity", "boundary", "session", "trust"
	principal string // the role or user ARN
}

func (p rwPlace) String() string {
	if p.principal == "" {
		return p.kind
	}
	return p.kind + " of " + p.principal
}

// fixPlaces reads the places a report names for its fix policy.
func fixPlaces(r *diagnose.Report) []rwPlace {
	text := r.FixPlace
	if text == "" {
		text = r.Fix
	}
	var out []rwPlace
	for _, m := range placeBoundary.FindAllStringSubmatch(text, -1) {
		out = append(out, rwPlace{"boundary", m[2]})
	}
	for _, m := range placeIdentity.FindAllStringSubmatch(text, -1) {
		out = append(out, rwPlace{"identity", m[1] + m[2]})
	}
	if placeSession.MatchString(text) {
		out = append(out, rwPlace{kind: "session"})
	}
	for _, m := range placeTrust.FindAllStringSubmatch(text, -1) {
		out = append(out, rwPlace{"trust", m[1]})
	}
	return out
}

// rwOriginal is a policy as the world holds it before the fix, with where
// it is.
type rwOriginal struct {
	name string
	pol  *iampolicy.Policy
}

// fixWorld is a fresh copy of a world with the app's session policy, to
// apply one fix to.
type fixWorld struct {
	rw      *rwWorld
	sc      *awsfake.Scenario
	session string // the session policy the app passes
}

// originals are the policies at a place, as the world holds them.
func (fw *fixWorld) originals(p rwPlace) ([]rwOriginal, error) {
	w := fw.sc.World
	parse := func(name, doc string) (rwOriginal, error) {
		pol, err := iampolicy.Parse(doc)
		return rwOriginal{name, pol}, err
	}
	var out []rwOriginal
	switch p.kind {
	case "session":
		if fw.session == "" {
			return nil, fmt.Errorf("the fix goes into the session policy, but the app passes none")
		}
		o, err := parse("session policy", fw.session)
		return append(out, o), err
	case "trust":
		role := w.RoleByARN(p.principal)
		if role == nil {
			return nil, fmt.Errorf("no role %s in the world", p.principal)
		}
		o, err := parse("trust policy", role.TrustPolicy())
		return append(out, o), err
	}
	var names []string
	var doc func(string) string
	var boundary string
	if role := w.RoleByARN(p.principal); role != nil {
		names, doc, boundary = role.InlinePolicyNames(), role.InlinePolicy, role.BoundaryARN()
	} else if user := w.UserByARN(p.principal); user != nil {
		names, doc, boundary = user.InlinePolicyNames(), user.InlinePolicy, user.BoundaryARN()
	} else {
		return nil, fmt.Errorf("no role or user %s in the world", p.principal)
	}
	if p.kind == "boundary" {
		if boundary == "" {
			return nil, fmt.Errorf("the fix goes into the permissions boundary of %s, which has none", p.principal)
		}
		o, err := parse(boundary, w.PolicyDocument(boundary))
		return append(out, o), err
	}
	for _, n := range names {
		o, err := parse(n, doc(n))
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// apply adds the fix policy's statements at a place.
func (fw *fixWorld) apply(p rwPlace, fix string) error {
	w := fw.sc.World
	switch p.kind {
	case "session":
		fw.session = mergePolicy(fw.session, fix)
		return nil
	case "trust":
		role := w.RoleByARN(p.principal)
		role.SetTrust(mergePolicy(role.TrustPolicy(), fix))
		return nil
	case "boundary":
		b := ""
		if role := w.RoleByARN(p.principal); role != nil {
			b = role.BoundaryARN()
		} else if user := w.UserByARN(p.principal); user != nil {
			b = user.BoundaryARN()
		}
		if b == "" || !w.SetPolicyDocument(b, mergePolicy(w.PolicyDocument(b), fix)) {
			return fmt.Errorf("no permissions boundary of %s to change", p.principal)
		}
		return nil
	}
	if role := w.RoleByARN(p.principal); role != nil {
		role.Inline("bedrockdoctor-fix", fix)
		return nil
	}
	if user := w.UserByARN(p.principal); user != nil {
		user.Inline("bedrockdoctor-fix", fix)
		return nil
	}
	return fmt.Errorf("no role or user %s in the world", p.principal)
}

// mergePolicy adds the statements of fix to doc.
func mergePolicy(doc, fix string) string {
	var a, b struct {
		Version   string
		Statement json.RawMessage
	}
	_ = json.Unmarshal([]byte(doc), &a)
	_ = json.Unmarshal([]byte(fix), &b)
	list := func(raw json.RawMessage) []json.RawMessage {
		var l []json.RawMessage
		if json.Unmarshal(raw, &l) != nil && len(raw) > 0 {
			l = []json.RawMessage{raw}
		}
		return l
	}
	out, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": append(list(a.Statement), list(b.Statement)...)})
	return string(out)
}

// removeStatement drops the statement with a Sid from a policy document.
func removeStatement(doc, sid string) (string, bool) {
	var d struct {
		Version   string
		Statement []map[string]any
	}
	if json.Unmarshal([]byte(doc), &d) != nil {
		return doc, false
	}
	n := len(d.Statement)
	d.Statement = slices.DeleteFunc(d.Statement, func(s map[string]any) bool { return s["Sid"] == sid })
	out, _ := json.Marshal(d)
	return string(out), len(d.Statement) < n
}

// rwCatalog is the scenario's model catalog: profile id → model and
// destination regions.
type rwCatalog struct {
	Profiles []struct {
		ID           string   `json:"id"`
		Model        string   `json:"model"`
		Sources      []string `json:"sources"`
		Destinations []string `json:"destinations"`
	} `json:"profiles"`
}

// callARNs are the ARNs the app's call needs, computed from the world's
// catalog: the model, or the profile and each destination's foundation
// model (the region-less one for a global profile); and the profile ARN,
// which the documented every-region pattern must be conditioned on.
func (rw *rwWorld) callARNs(account string) (arns []string, profileARN, baseModel string) {
	return rw.identARNs(rw.w.App.ModelID, account)
}

// identARNs are the ARNs a call to a model identifier needs in the app's
// region (see callARNs).
func (rw *rwWorld) identARNs(ident, account string) (arns []string, profileARN, baseModel string) {
	app := rw.w.App
	id, err := bedrockid.Parse(ident)
	if err != nil {
		return nil, "", ""
	}
	arn := id.ARN("aws", app.Region, account)
	arns = append(arns, arn)
	if id.Kind != bedrockid.KindInferenceProfile {
		return arns, "", id.BaseModelID
	}
	var cat rwCatalog
	_ = json.Unmarshal(rw.w.Scenario, &cat)
	for _, p := range cat.Profiles {
		if p.ID != id.ResourceID {
			continue
		}
		dests := p.Destinations
		if len(dests) == 0 {
			dests = p.Sources
		}
		if strings.HasPrefix(p.ID, "global.") {
			arns = append(arns, bedrockid.FoundationModelARN("aws", "", p.Model))
		}
		for _, d := range dests {
			arns = append(arns, bedrockid.FoundationModelARN("aws", d, p.Model))
		}
	}
	return arns, arn, id.BaseModelID
}

// rwKinds are the kinds of internal/worldgen's kinds.go in a scenario:
// the routers and prompts whose models a call reaches.
type rwKinds struct {
	DefaultPromptRouters []rwRouter `json:"defaultPromptRouters"`
	Accounts             []struct {
		ID      string `json:"id"`
		Bedrock []struct {
			Region        string     `json:"region"`
			PromptRouters []rwRouter `json:"promptRouters"`
			Prompts       []struct {
				ID      string `json:"id"`
				ModelID string `json:"modelId"`
			} `json:"prompts"`
		} `json:"bedrock"`
	} `json:"accounts"`
}

type rwRouter struct {
	ID     string   `json:"id"`
	Models []string `json:"models"`
}

// callNeeds is what the app's call needs, action (lower case) → ARNs,
// computed from the world: the operation's action on callARNs, and each
// further leg of the call's kind: the models a prompt router routes to or
// a prompt runs on (and bedrock:RenderPrompt on the prompt), a Marketplace
// endpoint's all-access ARN and sagemaker:InvokeEndpoint on the endpoint,
// the guardrail's bedrock:ApplyGuardrail, StartAsyncInvoke's s3:PutObject
// under the output prefix, and an API key's bedrock:CallWithBearerToken.
func (rw *rwWorld) callNeeds(account string) map[string][]string {
	app := rw.w.App
	action := strings.ToLower(bedrockid.ActionFor(app.Operation))
	arns, _, _ := rw.callARNs(account)
	needs := map[string][]string{action: arns}
	add := func(a string, res ...string) { needs[strings.ToLower(a)] = append(needs[strings.ToLower(a)], res...) }
	models := func(idents []string) {
		for _, m := range idents {
			more, _, _ := rw.identARNs(m, account)
			add(action, more...)
		}
	}
	if id, err := bedrockid.Parse(app.ModelID); err == nil {
		var k rwKinds
		_ = json.Unmarshal(rw.w.Scenario, &k)
		switch id.Kind {
		case bedrockid.KindDefaultPromptRouter:
			for _, r := range k.DefaultPromptRouters {
				if r.ID == id.ResourceID {
					models(r.Models)
				}
			}
		case bedrockid.KindPromptRouter, bedrockid.KindPrompt:
			pid, _, _ := strings.Cut(id.ResourceID, ":")
			for _, a := range k.Accounts {
				for _, b := range a.Bedrock {
					if a.ID != id.Account || b.Region != id.Region {
						continue
					}
					for _, r := range b.PromptRouters {
						if id.Kind == bedrockid.KindPromptRouter && r.ID == id.ResourceID {
							models(r.Models)
						}
					}
					for _, p := range b.Prompts {
						if id.Kind == bedrockid.KindPrompt && p.ID == pid {
							models([]string{p.ModelID})
						}
					}
				}
			}
			if id.Kind == bedrockid.KindPrompt {
				add("bedrock:RenderPrompt", app.ModelID)
			}
		case bedrockid.KindMarketplaceEndpoint:
			add(action, bedrockid.MarketplaceEndpointARN("aws", app.Region, account))
			add("sagemaker:InvokeEndpoint", app.ModelID)
			add("sagemaker:InvokeEndpointWithResponseStream", app.ModelID)
		}
	}
	if g := app.GuardrailID; g != "" {
		if i := strings.LastIndex(g, "/"); i >= 0 {
			g = g[i+1:]
		}
		add("bedrock:ApplyGuardrail", "arn:aws:bedrock:"+app.Region+":"+account+":guardrail/"+g)
	}
	if app.OutputS3URI != "" {
		add("s3:PutObject", "arn:aws:s3:::"+strings.TrimSuffix(strings.TrimPrefix(app.OutputS3URI, "s3://"), "/")+"/*")
	}
	if app.APIKey != nil {
		add("bedrock:CallWithBearerToken", "*")
	}
	return needs
}

// profileIDs are the system-defined inference profile ids of the catalog.
func (rw *rwWorld) profileIDs() []string {
	var cat rwCatalog
	_ = json.Unmarshal(rw.w.Scenario, &cat)
	var ids []string
	for _, p := range cat.Profiles {
		ids = append(ids, p.ID)
	}
	return ids
}

// checkNamesExist fails the world when a report's text suggests an
// inference profile id the catalog does not have.
func (rw *rwWorld) checkNamesExist(who string, r *diagnose.Report) {
	ids := rw.profileIDs()
	for _, text := range []string{r.Summary, r.Fix} {
		for _, id := range profileIDText.FindAllString(text, -1) {
			id = strings.TrimRight(id, ".:")
			if !slices.Contains(ids, id) && id != rw.w.App.ModelID && !strings.HasSuffix(rw.w.App.ModelID, "/"+id) {
				rw.failf("%s's report names inference profile %s, which the catalog does not have: %s", who, id, text)
			}
		}
	}
}

// widening lists what a fix policy grants beyond the denied call: actions
// other than the denial's, resources beyond the call's ARNs (or the
// documented every-region foundation-model pattern, conditioned on the
// profile), a trust principal other than the source, and every condition of
// a statement at the place that already grants the same action on the same
// ARN (ignoring conditions) that the fix leaves out or loosens.
func (fw *fixWorld) widening(r *diagnose.Report, places []rwPlace, fix *iampolicy.Policy, account string) []string {
	rw := fw.rw
	app := rw.w.App
	userARN := rw.userARN()
	_, profileARN, base := rw.callARNs(account)
	var needs map[string][]string
	switch r.Layer {
	case diagnose.LayerSourcePolicy, diagnose.LayerTrustPolicy:
		needs = map[string][]string{"sts:assumerole": {app.RoleARN}}
	case diagnose.LayerModelAccess:
		// The actions AWS's Marketplace message names; they take no
		// resource ARN.
		needs = map[string][]string{"aws-marketplace:subscribe": {"*"}, "aws-marketplace:viewsubscriptions": {"*"}}
	default:
		needs = rw.callNeeds(account)
	}
	var actions, arns []string
	for a, res := range needs {
		actions = append(actions, a)
		for _, x := range res {
			if !slices.Contains(arns, x) {
				arns = append(arns, x)
			}
		}
	}
	slices.Sort(actions)
	var why []string
	for i, st := range fix.Statements {
		if st.Effect != "Allow" {
			continue
		}
		if st.NotAction != nil || st.NotResource != nil || st.NotPrincipal != nil {
			why = append(why, fmt.Sprintf("statement %d uses NotAction, NotResource or NotPrincipal", i))
			continue
		}
		for _, a := range st.Action {
			if !slices.ContainsFunc(actions, func(x string) bool { return strings.EqualFold(x, a) }) {
				why = append(why, fmt.Sprintf("statement %d grants %s, beyond %v", i, a, actions))
			}
		}
		if r.Layer == diagnose.LayerTrustPolicy {
			if st.Principal == nil || st.Principal.All || !slices.Equal(st.Principal.AWS, []string{userARN}) {
				why = append(why, fmt.Sprintf("statement %d trusts %+v, not only %s", i, st.Principal, userARN))
			}
		} else if len(st.Resource) == 0 {
			why = append(why, fmt.Sprintf("statement %d has no Resource (every resource)", i))
		}
		for _, res := range st.Resource {
			if slices.ContainsFunc(st.Action, func(a string) bool { return slices.Contains(needs[strings.ToLower(a)], res) }) {
				continue
			}
			if base != "" && res == "arn:aws:bedrock:*::foundation-model/"+base && profileARN != "" && conditionOnly(st, "bedrock:InferenceProfileArn", profileARN) {
				continue
			}
			why = append(why, fmt.Sprintf("statement %d grants %s, beyond the call's ARNs %v", i, res, arns))
		}
	}
	// Conditions: every statement at a place that already grants what a
	// fix statement grants, under a condition, must keep that condition
	// in the fix statement.
	for _, p := range places {
		origs, err := fw.originals(p)
		if err != nil {
			continue // reported by the applier
		}
		for _, o := range origs {
			for oi, os := range o.pol.Statements {
				if os.Effect != "Allow" || len(os.Condition) == 0 {
					continue
				}
				for fi, fs := range fix.Statements {
					if fs.Effect != "Allow" || !grantsSame(os, fs, p, userARN, arns) {
						continue
					}
					for _, c := range os.Condition {
						if !keeps(fs, c) {
							why = append(why, fmt.Sprintf("statement %d leaves out the condition %s %s %v of statement %s of %s (%s), which grants the same", fi, c.Operator, c.Key, c.Values, sidOr(os.Sid, oi), o.name, p))
						}
					}
				}
			}
		}
	}
	return why
}

func sidOr(sid string, i int) string {
	if sid != "" {
		return `"` + sid + `"`
	}
	return fmt.Sprint(i)
}

// conditionOnly reports a statement conditioned on key with exactly value.
func conditionOnly(st iampolicy.Statement, key, value string) bool {
	for _, c := range st.Condition {
		if strings.EqualFold(c.Key, key) && (c.Operator == "StringEquals" || c.Operator == "ArnEquals") && slices.Equal(c.Values, []string{value}) {
			return true
		}
	}
	return false
}

// grantsSame reports that an original statement, ignoring its conditions,
// grants an action the fix statement grants on a resource (among the
// call's ARNs) the fix statement grants too; for a trust policy, to the
// source principal.
func grantsSame(orig, fix iampolicy.Statement, p rwPlace, userARN string, arns []string) bool {
	actionHit := false
	for _, a := range fix.Action {
		if matchesAny(orig.Action, a, iampolicy.MatchAction) != (orig.NotAction != nil) {
			actionHit = true
		}
	}
	if !actionHit {
		return false
	}
	if p.kind == "trust" {
		if orig.Principal == nil {
			return false
		}
		acct := strings.SplitN(userARN, ":", 6)[4]
		return orig.Principal.All || slices.ContainsFunc(orig.Principal.AWS, func(v string) bool {
			return v == "*" || v == userARN || v == acct || v == "arn:aws:iam::"+acct+":root"
		})
	}
	for _, res := range arns {
		inFix := matchesAny(fix.Resource, res, iampolicy.MatchResource)
		inOrig := orig.Resource == nil && orig.NotResource == nil ||
			orig.Resource != nil && matchesAny(orig.Resource, res, iampolicy.MatchResource) ||
			orig.NotResource != nil && !matchesAny(orig.NotResource, res, iampolicy.MatchResource)
		if inFix && inOrig {
			return true
		}
	}
	return false
}

func matchesAny(patterns []string, v string, match func(string, string) bool) bool {
	for _, p := range patterns {
		if match(p, v) {
			return true
		}
	}
	return false
}

// keeps reports that a fix statement carries an original condition: the
// same operator on the same key, with no value the original lacks.
func keeps(fix iampolicy.Statement, c iampolicy.Condition) bool {
	for _, fc := range fix.Condition {
		if fc.Operator != c.Operator || !strings.EqualFold(fc.Key, c.Key) {
			continue
		}
		sub := true
		for _, v := range fc.Values {
			sub = sub && slices.Contains(c.Values, v)
		}
		if sub {
			return true
		}
	}
	return false
}

// declinedByCaveat reports that the fix says it was written without
// reading the policies at its place, and that one of them already grants
// what it grants under a condition: the fix's own words say to meet that
// condition instead of pasting the policy.
func (fw *fixWorld) declinedByCaveat(r *diagnose.Report, places []rwPlace, fix *iampolicy.Policy, account string) bool {
	if !strings.Contains(r.Fix, rwCaveat) {
		return false
	}
	var arns []string
	for _, res := range fw.rw.callNeeds(account) {
		arns = append(arns, res...)
	}
	if r.Layer == diagnose.LayerSourcePolicy || r.Layer == diagnose.LayerTrustPolicy {
		arns = []string{fw.rw.w.App.RoleARN}
	}
	for _, p := range places {
		origs, _ := fw.originals(p)
		for _, o := range origs {
			for _, os := range o.pol.Statements {
				if os.Effect != "Allow" || len(os.Condition) == 0 {
					continue
				}
				for _, fs := range fix.Statements {
					if grantsSame(os, fs, p, fw.rw.userARN(), arns) {
						return true
					}
				}
			}
		}
	}
	return false
}

func (rw *rwWorld) userARN() string {
	var sc struct {
		Accounts []struct {
			ID    string `json:"id"`
			Users []struct {
				Name string `json:"name"`
				Path string `json:"path"`
			} `json:"users"`
		} `json:"accounts"`
	}
	_ = json.Unmarshal(rw.w.Scenario, &sc)
	acct, name, _ := strings.Cut(rw.w.App.Principal, "/")
	for _, a := range sc.Accounts {
		for _, u := range a.Users {
			if a.ID == acct && u.Name == name {
				return "arn:aws:iam::" + acct + ":user" + u.Path + name
			}
		}
	}
	return "arn:aws:iam::" + acct + ":user/" + name
}

// playFix applies one report's fix in a fresh copy of the world and makes
// the app's call again: "call" the way the app makes it, "run" the way Run
// probes (the role applied).
func (rw *rwWorld) playFix(ft *rwFixTally, what string, r *diagnose.Report) {
	if r == nil {
		return
	}
	rw.checkNamesExist(what, r)
	app := rw.w.App
	line := func(k rwFixKind, format string, args ...any) string {
		return fmt.Sprintf("seed %d %s fix %s (%s, tier %s): %s\n  fix: %s\n  place: %s\n  fix policy: %s",
			rw.w.Seed, what, k, r.Layer, app.Tier, fmt.Sprintf(format, args...), r.Fix, r.FixPlace, strings.Join(strings.Fields(r.FixPolicy), " "))
	}
	switch r.Layer {
	case diagnose.LayerSourcePolicy, diagnose.LayerTrustPolicy, diagnose.LayerRolePermissions, diagnose.LayerModelAccess:
	default:
		return
	}
	sc, err := rw.w.Load()
	if err != nil {
		rw.failf("the world does not load again: %v", err)
		return
	}
	fw := &fixWorld{rw: rw, sc: sc, session: app.SessionPolicy}
	roleApplied := what == "run" || app.ApplyRole
	account, _, _ := strings.Cut(app.Principal, "/")
	if roleApplied {
		account = strings.SplitN(app.RoleARN, ":", 6)[4]
	}

	places := fixPlaces(r)
	changed := false
	widened := false
	if r.FixPolicy != "" {
		fix, err := iampolicy.Parse(r.FixPolicy)
		if err != nil {
			rw.failf("%s's fix policy does not parse: %v\n%s", what, err, r.FixPolicy)
			return
		}
		if len(places) == 0 {
			rw.failf("%s's fix policy does not say where it goes:\nfix: %s\nplace: %s", what, r.Fix, r.FixPlace)
			return
		}
		if r.FixPlace != "" && !strings.Contains(r.Fix, r.FixPlace) {
			rw.failf("%s's fix text does not name the place its fix policy goes (%s):\n%s", what, r.FixPlace, r.Fix)
		}
		for _, a := range fixActions(fix) {
			if !strings.Contains(r.Fix, a) {
				rw.failf("%s's fix text does not name %s, which its fix policy grants:\n%s", what, a, r.Fix)
			}
		}
		if fw.declinedByCaveat(r, places, fix, account) {
			ft.add(app.Tier, what, fixDeclined, false, line(fixDeclined, "a statement at the place already grants it under a condition, and the fix says to meet that condition instead"))
			return
		}
		if why := fw.widening(r, places, fix, account); len(why) > 0 {
			widened = true
			rw.failf("%s's fix policy widens access:\n  %s\nfix: %s\nfix policy:\n%s", what, strings.Join(why, "\n  "), r.Fix, r.FixPolicy)
		}
		for _, p := range places {
			if err := fw.apply(p, r.FixPolicy); err != nil {
				ft.add(app.Tier, what, fixFailed, widened, line(fixFailed, "the place it names is not in the world: %v", err))
				return
			}
		}
		changed = true
		if r.Layer == diagnose.LayerModelAccess {
			// AWS retries a failed Marketplace subscription on the next
			// call once the permissions are fixed ("If you recently
			// fixed this issue, try again after 5 minutes").
			fw.resubscribe(account)
		}
	}
	if m := fixRemoveDeny.FindStringSubmatch(r.Fix); m != nil && r.Layer == diagnose.LayerRolePermissions {
		if role := sc.World.RoleByARN(app.RoleARN); role != nil {
			if doc, ok := removeStatement(role.InlinePolicy(m[2]), m[1]); ok {
				role.Inline(m[2], doc)
				changed = true
			}
		}
	}
	if m := fixTagRole.FindStringSubmatch(r.Fix); m != nil {
		if role := sc.World.RoleByARN(m[1]); role != nil {
			role.Tag(m[2], m[3])
			changed = true
		}
	}
	if fixUseCase.MatchString(r.Fix) && r.Layer == diagnose.LayerModelAccess {
		sc.World.Account(account).SubmitUseCaseForm(`{"companyName":"Example Corp","intendedUsers":"internal"}`)
		changed = true
	}
	if !changed {
		ft.add(app.Tier, what, fixWords, false, "")
		ft.mu.Lock()
		ft.words = append(ft.words, fmt.Sprintf("%s %s: %.160s", r.Layer, app.Tier, r.Fix))
		ft.mu.Unlock()
		return
	}

	ok, truth := fw.replay(roleApplied)
	switch {
	case ok:
		ft.add(app.Tier, what, fixPassed, widened, "")
	case !slices.Contains(truth, string(r.Layer)):
		ft.add(app.Tier, what, fixMovedOn, widened, "")
	default:
		why := fmt.Sprintf("the call still fails with truth %q", truth)
		if strings.Contains(r.Fix, "only under its Condition") {
			why += "; the fix also names a condition on the call's own path (a region, an endpoint, a profile), which no policy change meets"
		}
		ft.add(app.Tier, what, fixFailed, widened, line(fixFailed, "%s", why))
	}
}

// fixActions lists the actions a fix policy grants.
func fixActions(p *iampolicy.Policy) []string {
	var out []string
	for _, st := range p.Statements {
		for _, a := range st.Action {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// resubscribe turns a failed Marketplace subscription of the app's model
// back into one the next call starts again.
func (fw *fixWorld) resubscribe(account string) {
	app := fw.rw.w.App
	id, err := bedrockid.Parse(app.ModelID)
	if err != nil {
		return
	}
	a := fw.sc.World.Account(account)
	if a.AccessState(app.Region, id.BaseModelID) == awsfake.AccessSubscriptionFailed {
		a.Bedrock(app.Region).Access(id.BaseModelID, awsfake.AccessNeedsSubscription)
	}
}

// replay makes the app's call in the fixed world on every route of its
// profile, the first one twice (a Marketplace model's first call starts
// the subscription the next one depends on): ok when every call succeeds,
// else the union of the fake's truths of those that failed.
func (fw *fixWorld) replay(roleApplied bool) (bool, []string) {
	rw := fw.rw
	app := rw.w.App
	var srv *awsfake.Server
	if app.BearerToken || app.APIKey != nil {
		srv = awsfake.NewTLSServer(fw.sc.World)
	} else {
		srv = awsfake.NewServer(fw.sc.World)
	}
	defer srv.Close()
	var c *bedrockruntime.Client
	switch {
	case roleApplied:
		opts := rw.assumeOptions()
		if fw.session != "" {
			opts = append(opts, withSessionPolicy(fw.session))
		}
		c = client.NewFromConfig(srv.Config(app.Region, rw.credentialsIn(fw.sc)), client.WithRole(app.RoleARN, opts...), client.WithoutDiagnosis())
	case app.BearerToken || app.APIKey != nil:
		tok, _ := fw.sc.BearerToken(app.Principal)
		if app.APIKey != nil {
			tok = rw.apiKeyIn(fw.sc)
		}
		cfg := srv.BearerConfig(app.Region, tok)
		cfg.Credentials = aws.NewCredentialsCache(staticCreds(rw.credentialsIn(fw.sc)))
		c = bedrockruntime.NewFromConfig(cfg)
	default:
		c = bedrockruntime.NewFromConfig(srv.Config(app.Region, rw.credentialsIn(fw.sc)))
	}
	routes := app.Destinations()
	if routes == nil {
		routes = []string{""}
	}
	routes = append(routes, routes[0])
	ok := true
	var truth []string
	for _, dest := range routes {
		if dest != "" {
			srv.SetRouter(func(_, _ string, _ []string) string { return dest })
		}
		srv.ResetLog()
		if err := rwCall(context.Background(), c, app); err != nil {
			ok = false
			entry, _ := srv.AppCall()
			for _, l := range entry.Truth {
				if !slices.Contains(truth, l) {
					truth = append(truth, l)
				}
			}
		}
	}
	slices.Sort(truth)
	return ok, truth
}

// withSessionPolicy passes a session policy to AssumeRole, replacing the
// app's.
func withSessionPolicy(doc string) func(o *stscreds.AssumeRoleOptions) {
	return func(o *stscreds.AssumeRoleOptions) { o.Policy = aws.String(doc) }
}

// rwFixShare is the share of applied fixes that must pass or move the call
// on to another gate.
const rwFixShare = 0.90

// report logs the fixes' figures per tier and asserts the share that work
// and that none widens access.
func (ft *rwFixTally) report(t *testing.T) {
	total := map[string]int{}
	for _, what := range []string{"call", "run"} {
		for _, tr := range worldgen.Tiers {
			c := ft.counts[string(tr)+"/"+what]
			t.Logf("%-4s tier %-4s fixes: %3d applied, %3d passed, %3d moved on, %3d failed, %3d widened; %3d declined by their caveat, %3d words only",
				what, tr, c["applied"], c[string(fixPassed)], c[string(fixMovedOn)], c[string(fixFailed)], c["widened"], c[string(fixDeclined)], c[string(fixWords)])
			for k, v := range c {
				total[k] += v
			}
		}
	}
	slices.Sort(ft.lines)
	for _, l := range ft.lines {
		t.Log(l)
	}
	if testing.Verbose() {
		slices.Sort(ft.words)
		for _, l := range ft.words {
			t.Log("words only: " + l)
		}
	}
	if n := total["widened"]; n > 0 {
		t.Errorf("%d fixes widen access (see the worlds above)", n)
	}
	if applied := total["applied"]; applied > 0 {
		share := float64(total[string(fixPassed)]+total[string(fixMovedOn)]) / float64(applied)
		t.Logf("fixes that pass or move on: %.1f%% of %d applied", 100*share, applied)
		if share < rwFixShare {
			t.Errorf("only %.1f%% of the applied fixes make the call pass or move on, want at least %.0f%%", 100*share, 100*rwFixShare)
		}
	}
}
