package worldgen

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestGenerateLoads: every world is a valid scenario whose app principal
// holds a key, and a seed always gives the same world.
func TestGenerateLoads(t *testing.T) {
	for seed := int64(0); seed < 300; seed++ {
		w := Generate(seed)
		if again := Generate(seed); !bytes.Equal(w.Scenario, again.Scenario) || w.String() != again.String() {
			t.Fatalf("seed %d: two generations differ", seed)
		}
		sc, err := w.Load()
		if err != nil {
			t.Fatalf("seed %d: %v\n%s", seed, err, w)
		}
		if _, ok := sc.Credentials(w.App.Principal); !ok {
			t.Fatalf("seed %d: no key for the app's principal %s", seed, w.App.Principal)
		}
		if w.App.BearerToken {
			if _, ok := sc.BearerToken(w.App.Principal); !ok || w.App.ApplyRole {
				t.Fatalf("seed %d: a bearer-token app needs a token and no role", seed)
			}
		}
		if w.App.Tier == TierFull {
			if _, ok := sc.Credentials(w.App.Auditor); !ok {
				t.Fatalf("seed %d: no key for the auditor %s", seed, w.App.Auditor)
			}
		}
		for _, f := range w.App.Faults {
			if f.Service == "bedrock-runtime" || f.AppFault() && (f.Times != 1 || !w.App.ApplyRole) {
				t.Fatalf("seed %d: fault %+v may hit the app's own call", seed, f)
			}
		}
	}
}

// TestCatalog: every profile routes only to regions that offer its model,
// as in AWS; a world where it did not would blame the region for a call
// that succeeds.
func TestCatalog(t *testing.T) {
	for _, p := range profiles {
		m := modelByID(p.Model)
		dests := p.Destinations
		if len(dests) == 0 {
			dests = p.Sources
		}
		for _, d := range dests {
			if !slices.Contains(m.Regions, d) {
				t.Errorf("profile %s routes to %s, where %s is not offered", p.ID, d, p.Model)
			}
		}
	}
}

// TestGenerateMix: most worlds have at most two problems, some have none,
// some several; and every family of choices shows up.
func TestGenerateMix(t *testing.T) {
	const n = 2000
	counts := map[int]int{}
	seen := map[string]bool{}
	tiers := map[Tier]int{}
	for seed := int64(0); seed < n; seed++ {
		w := Generate(seed)
		counts[min(len(w.Problems), 3)]++
		tiers[w.App.Tier]++
		for _, f := range w.Features {
			seen[strings.SplitN(f, " ", 2)[0]] = true
		}
	}
	if low := counts[0] + counts[1] + counts[2]; low < n*8/10 || counts[0] < n/5 || counts[3] == 0 {
		t.Errorf("problem counts %v: want most worlds with 0-2, some with none, a few with more", counts)
	}
	for _, tr := range Tiers {
		if tiers[tr] < n/10 {
			t.Errorf("tier %s in %d worlds", tr, tiers[tr])
		}
	}
	for _, want := range []string{
		"source:allow", "source:missing", "source:explicit-deny", "scp:source",
		"trust:user", "trust:account-root", "trust:other-account", "trust:principal-org-id", "trust:external-id", "trust:principal-tag", "trust:mfa", "trust:another-user",
		"role:allow-all", "role:only-us-east-1", "role:no-bedrock", "role:explicit-deny", "role:source-vpce-gated", "role:principal-tag-gated", "role:requested-region-gated", "role:models-only-through-profiles",
		"boundary:allows", "boundary:lacks-bedrock-invoke", "session-policy:allows", "session-policy:lacks-bedrock-invoke",
		"scp:region-deny", "scp:deny-bedrock", "scp:deny-untagged", "rcp:assume-only-from-org",
		"endpoint:runtime", "endpoint:sts",
		"model-access:needs-subscription", "model-access:subscription-failed", "model-access:use-case-missing", "model-access:not-available", "model-access:agreement-pending",
		"model:on-demand", "model:needs-profile", "model:profile", "model:unknown-id", "model:not-offered-in-region", "model:profile-prefix-not-serving-region", "model:legacy",
		"app:bearer-token", "app:role-not-applied", "credentials:unissued-key", "credentials:wrong-secret",
		"fault:iam:*", "fault:bedrock:*", "fault:sts:GetCallerIdentity", "fault:app-assume-role",
		"messages:omit-reason", "same-account", "role-arn:no-such-role", "role-arn:path-missing",
	} {
		found := false
		for f := range seen {
			found = found || strings.HasPrefix(f, want)
		}
		if !found {
			t.Errorf("no world in %d has %q", n, want)
		}
	}
}

func TestDestinations(t *testing.T) {
	for _, tc := range []struct {
		app  App
		want []string
	}{
		{App{ModelID: "us." + sonnet4, Region: "us-east-2"}, []string{"us-east-1", "us-east-2", "us-west-2"}},
		{App{ModelID: "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu." + sonnet4, Region: "eu-west-1"}, []string{"eu-central-1", "eu-west-1"}},
		{App{ModelID: "eu." + sonnet4, Region: "us-east-1"}, nil},
		{App{ModelID: "global." + sonnet4, Region: "us-east-1"}, nil},
		{App{ModelID: haiku, Region: "us-east-1"}, nil},
	} {
		if got := tc.app.Destinations(); !slices.Equal(got, tc.want) {
			t.Errorf("%s in %s: %v, want %v", tc.app.ModelID, tc.app.Region, got, tc.want)
		}
	}
}

// TestGenerateKinds: at the share the random worlds play them, about 30 %
// of worlds use the kinds of kinds.go, every family shows up, each world
// loads, an API-key app applies no role, and worlds without kinds are the
// worlds of a zero share.
func TestGenerateKinds(t *testing.T) {
	defer func(s float64) { KindShare = s }(KindShare)
	const n = 2000
	KindShare = 0
	var plain []World
	for seed := int64(0); seed < n; seed++ {
		plain = append(plain, Generate(seed))
	}
	KindShare = 0.3
	seen := map[string]bool{}
	kinds, clean := 0, 0
	for seed := int64(0); seed < n; seed++ {
		w := Generate(seed)
		if len(w.Problems) == 0 {
			clean++
		}
		kind := false
		for _, f := range w.Features {
			seen[strings.SplitN(f, " ", 2)[0]] = true
			kind = kind || strings.HasPrefix(f, "kind:") || strings.HasPrefix(f, "apikey:")
		}
		if !kind {
			if w.String() != plain[seed].String() {
				t.Fatalf("seed %d: a world without kinds differs from the zero-share world", seed)
			}
			continue
		}
		kinds++
		if seed < 300 {
			if _, err := w.Load(); err != nil {
				t.Fatalf("seed %d: %v\n%s", seed, err, w)
			}
		}
		if w.App.APIKey != nil && (w.App.ApplyRole || w.App.BearerToken) {
			t.Fatalf("seed %d: an API-key app applies a role or holds another token", seed)
		}
	}
	if kinds < n/4 || kinds > n*35/100 {
		t.Errorf("%d of %d worlds use the kinds, want 25-35 %%", kinds, n)
	}
	if clean < n/5 {
		t.Errorf("%d problem-free worlds of %d", clean, n)
	}
	for _, want := range []string{
		"kind:provisioned", "kind:deployment", "kind:imported", "kind:guardrail", "kind:default", "kind:custom", "kind:prompt",
		"kind:marketplace", "kind:async", "kind:role", "key:aws-owned", "key:policy", "key:another",
		"apikey:long-term", "apikey:short-term", "apikey:not",
	} {
		found := false
		for f := range seen {
			found = found || strings.HasPrefix(f, want)
		}
		if !found {
			t.Errorf("no world in %d has %q", n, want)
		}
	}
}
