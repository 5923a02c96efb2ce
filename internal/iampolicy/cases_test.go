package iampolicy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The shared case format of testdata/cases/<area>.json, also read by the
// outside-oracle check in ./oracle.
type caseFile struct {
	Area  string     `json:"area"`
	Cases []caseSpec `json:"cases"`
}

type caseSpec struct {
	Name    string `json:"name"`
	Source  string `json:"source"`
	Request struct {
		Principal struct {
			ARN      string            `json:"arn"`
			RoleARN  string            `json:"role_arn"`
			UniqueID string            `json:"unique_id"`
			Account  string            `json:"account"`
			OrgID    string            `json:"org_id"`
			Tags     map[string]string `json:"tags"`
		} `json:"principal"`
		Action          string              `json:"action"`
		Resource        string              `json:"resource"`
		ResourceAccount string              `json:"resource_account"`
		Context         map[string][]string `json:"context"`
	} `json:"request"`
	Policies struct {
		Identity []namedDoc   `json:"identity"`
		Boundary *namedDoc    `json:"boundary"`
		Session  []namedDoc   `json:"session"`
		SCPs     [][]namedDoc `json:"scps"`
		RCPs     [][]namedDoc `json:"rcps"`
		Resource []namedDoc   `json:"resource"`
		Endpoint *namedDoc    `json:"endpoint"`
	} `json:"policies"`
	Expect struct {
		Decision string   `json:"decision"`
		Blocked  []string `json:"blocked"`
		// Missing, when given, lists the condition keys the explanation
		// must report absent.
		Missing []string `json:"missing"`
	} `json:"expect"`
	Oracle string `json:"oracle"`
}

type namedDoc struct {
	Name     string          `json:"name"`
	Type     string          `json:"type"`
	Document json.RawMessage `json:"document"`
}

func (d *namedDoc) parse(t *testing.T, typ PolicyType) NamedPolicy {
	t.Helper()
	text := string(d.Document)
	if strings.HasPrefix(strings.TrimSpace(text), `"`) {
		if err := json.Unmarshal(d.Document, &text); err != nil {
			t.Fatalf("policy %s: %v", d.Name, err)
		}
	}
	p, err := Parse(text)
	if err != nil {
		t.Fatalf("policy %s: %v", d.Name, err)
	}
	if d.Type != "" {
		typ = PolicyType(d.Type)
	}
	return NamedPolicy{Name: d.Name, Type: typ, Policy: p}
}

func (c *caseSpec) build(t *testing.T) (Request, PolicySet) {
	t.Helper()
	rp := c.Request.Principal
	req := Request{
		Principal: Principal{ARN: rp.ARN, RoleARN: rp.RoleARN, UniqueID: rp.UniqueID,
			Account: rp.Account, OrgID: rp.OrgID, Tags: rp.Tags},
		Action:          c.Request.Action,
		Resource:        c.Request.Resource,
		ResourceAccount: c.Request.ResourceAccount,
		Context:         c.Request.Context,
	}
	list := func(docs []namedDoc, typ PolicyType) []NamedPolicy {
		if docs == nil {
			return nil
		}
		out := make([]NamedPolicy, len(docs))
		for i := range docs {
			out[i] = docs[i].parse(t, typ)
		}
		return out
	}
	levels := func(lv [][]namedDoc, typ PolicyType) [][]NamedPolicy {
		if lv == nil {
			return nil
		}
		out := make([][]NamedPolicy, len(lv))
		for i := range lv {
			out[i] = list(lv[i], typ)
			if out[i] == nil {
				out[i] = []NamedPolicy{}
			}
		}
		return out
	}
	ps := c.Policies
	set := PolicySet{
		Identity: list(ps.Identity, TypeIdentity),
		Session:  list(ps.Session, TypeSession),
		SCPs:     levels(ps.SCPs, TypeSCP),
		RCPs:     levels(ps.RCPs, TypeRCP),
		Resource: list(ps.Resource, TypeResource),
	}
	if ps.Boundary != nil {
		b := ps.Boundary.parse(t, TypeBoundary)
		set.Boundary = &b
	}
	if ps.Endpoint != nil {
		ep := ps.Endpoint.parse(t, TypeVPCEndpoint)
		set.Endpoint = &ep
	}
	return req, set
}

var decisionNames = map[string]Decision{
	"allow":         Allow,
	"explicit-deny": ExplicitDeny,
	"implicit-deny": ImplicitDeny,
}

func (d Decision) caseName() string {
	for k, v := range decisionNames {
		if v == d {
			return k
		}
	}
	return "?"
}

func loadCases(t *testing.T) []caseFile { return loadCaseFiles[caseFile](t, "cases") }

// loadCaseFiles decodes, strictly, every JSON file of testdata/dir; each
// file names its own area.
func loadCaseFiles[T interface{ area() string }](t *testing.T, dir string) []T {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no case files in testdata/%s: %v", dir, err)
	}
	var out []T
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cf T
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if want := strings.TrimSuffix(filepath.Base(f), ".json"); cf.area() != want {
			t.Fatalf("%s: area %q, want %q", f, cf.area(), want)
		}
		out = append(out, cf)
	}
	return out
}

func (cf caseFile) area() string { return cf.Area }

// TestCases runs every data-driven case. The expected decisions and blocked
// types were written by hand from the AWS documentation each case cites.
func TestCases(t *testing.T) {
	total := 0
	for _, cf := range loadCases(t) {
		names := map[string]bool{}
		for _, c := range cf.Cases {
			total++
			t.Run(cf.Area+"/"+c.Name, func(t *testing.T) {
				if names[c.Name] {
					t.Fatalf("duplicate case name")
				}
				names[c.Name] = true
				if c.Source == "" {
					t.Errorf("case has no source")
				}
				want, ok := decisionNames[c.Expect.Decision]
				if !ok {
					t.Fatalf("bad expected decision %q", c.Expect.Decision)
				}
				req, set := c.build(t)
				got := Evaluate(req, set)
				var blocked []string
				for _, b := range got.Blocked {
					blocked = append(blocked, string(b))
				}
				if got.Decision != want || !slices.Equal(blocked, c.Expect.Blocked) {
					t.Errorf("got %s blocked %q, want %s blocked %q\ntypes: %+v\nmissing: %q",
						got.Decision.caseName(), blocked, c.Expect.Decision, c.Expect.Blocked, got.Types, got.Missing)
				}
				if c.Expect.Missing != nil && !slices.Equal(got.Missing, c.Expect.Missing) {
					t.Errorf("missing keys %q, want %q", got.Missing, c.Expect.Missing)
				}
			})
		}
	}
	t.Logf("%d cases", total)
}
