package iampolicy

import (
	"reflect"
	"slices"
	"testing"
)

// The case format of testdata/open/<area>.json: the shared case format
// (cases_test.go) evaluated as an open request, with what the open
// evaluation must add. These cases are not given to the outside oracle,
// which has no notion of an incomplete context; expect.decision and
// expect.blocked are the closed-style outcome and are also checked against
// the same request evaluated closed.
type openCaseFile struct {
	Area  string     `json:"area"`
	Cases []openCase `json:"cases"`
}

func (cf openCaseFile) area() string { return cf.Area }

type openCase struct {
	caseSpec
	Open struct {
		Undetermined bool     `json:"undetermined"`
		DependsOn    []string `json:"depends_on"`
		// Types lists the policy types whose own verdict is undetermined.
		Types []string `json:"types"`
	} `json:"open"`
}

// TestOpenCases runs the data-driven cases of three-valued evaluation for an
// incomplete context.
func TestOpenCases(t *testing.T) {
	total := 0
	for _, cf := range loadCaseFiles[openCaseFile](t, "open") {
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
				closed := Evaluate(req, set)
				req.Open = true
				got := Evaluate(req, set)
				var blocked, types []string
				for _, b := range got.Blocked {
					blocked = append(blocked, string(b))
				}
				for _, tr := range got.Types {
					if tr.Undetermined {
						types = append(types, string(tr.Type))
					}
				}
				if got.Decision != want || !slices.Equal(blocked, c.Expect.Blocked) {
					t.Errorf("got %s blocked %q, want %s blocked %q\ntypes: %+v",
						got.Decision.caseName(), blocked, c.Expect.Decision, c.Expect.Blocked, got.Types)
				}
				if got.Undetermined != c.Open.Undetermined || !slices.Equal(got.DependsOn, c.Open.DependsOn) {
					t.Errorf("undetermined %v depends on %q, want %v %q",
						got.Undetermined, got.DependsOn, c.Open.Undetermined, c.Open.DependsOn)
				}
				if !slices.Equal(types, c.Open.Types) {
					t.Errorf("undetermined types %q, want %q", types, c.Open.Types)
				}
				if !reflect.DeepEqual(withoutOpen(got), closed) {
					t.Errorf("open result differs from the closed one beyond the open fields\nopen:   %+v\nclosed: %+v", got, closed)
				}
			})
		}
	}
	t.Logf("%d open cases", total)
}

// withoutOpen returns r without what only an open evaluation sets.
func withoutOpen(r Result) Result {
	r.Undetermined, r.DependsOn = false, nil
	r.Types = slices.Clone(r.Types)
	for i := range r.Types {
		r.Types[i].Undetermined = false
	}
	return r
}

// TestOpenUserIDNeedsTheUniqueID: aws:userid is derived from the unique id;
// a principal whose unique id was not read leaves it unknown, so a
// condition on it does not decide.
func TestOpenUserIDNeedsTheUniqueID(t *testing.T) {
	pol := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*","Condition":{"StringLike":{"aws:userid":"AROAEXAMPLE:*"}}}]}`)
	set := PolicySet{Identity: []NamedPolicy{{Name: "p", Type: TypeIdentity, Policy: pol}}}
	p := Principal{ARN: "arn:aws:sts::222222222222:assumed-role/R/s", RoleARN: "arn:aws:iam::222222222222:role/R", Account: "222222222222"}
	res := Evaluate(Request{Principal: p, Action: "bedrock:InvokeModel", Resource: "*", Open: true, Context: map[string][]string{}}, set)
	if !res.Undetermined {
		t.Errorf("without the unique id: %+v, want undetermined", res)
	}
	p.UniqueID = "AROAEXAMPLE:s"
	res = Evaluate(Request{Principal: p, Action: "bedrock:InvokeModel", Resource: "*", Open: true, Context: map[string][]string{}}, set)
	if res.Undetermined || res.Decision != Allow {
		t.Errorf("with the unique id: %+v, want a determined allow", res)
	}
}
