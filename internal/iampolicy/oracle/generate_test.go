package oracle

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerateDeterministic(t *testing.T) {
	a, err := json.Marshal(Generate(7, 300))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(Generate(7, 300))
	if !bytes.Equal(a, b) {
		t.Fatal("Generate(7, 300) differs between two calls")
	}
	c, _ := json.Marshal(Generate(8, 300))
	if bytes.Equal(a, c) {
		t.Fatal("seeds 7 and 8 generate the same cases")
	}
	// A prefix of a longer run is the shorter run: case i depends only on
	// the seed and the cases before it.
	long := Generate(7, 301)
	d, _ := json.Marshal(long[:300])
	if !bytes.Equal(a, d) {
		t.Fatal("Generate(7, 300) is not a prefix of Generate(7, 301)")
	}
}

// TestGenerateCoverage checks that the generated cases exercise what the
// issue asks for: every operator of the alphabet, every policy type, every
// request kind, NotAction/NotResource, and that every document parses.
func TestGenerateCoverage(t *testing.T) {
	cases := Generate(generatedSeed, generatedCases)
	counts := map[string]int{}
	for i := range cases {
		c := &cases[i]
		if _, _, err := build(c); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		p := c.Policies
		counts["action "+c.Request.Action]++
		if strings.Contains(c.Request.Resource, ":::foundation-model/") {
			counts["global model"]++
		}
		if strings.Contains(c.Request.Resource, ":inference-profile/") {
			counts["inference profile"]++
		}
		if c.Request.ResourceAccount != "" && c.Request.ResourceAccount != c.Request.Principal.Account {
			counts["cross-account"]++
		}
		for name, present := range map[string]bool{
			"identity": p.Identity != nil, "boundary": p.Boundary != nil, "session": p.Session != nil,
			"scp": p.SCPs != nil, "rcp": p.RCPs != nil, "resource": p.Resource != nil, "endpoint": p.Endpoint != nil,
			"multi-level scp": len(p.SCPs) > 1,
		} {
			if present {
				counts[name]++
			}
		}
		for _, d := range p.all() {
			for _, tmpl := range []string{"aws-doc/cris-geographic", "aws-doc/cris-global", "/region-deny", "/region-deny-unspecified", "/deny-global-cris"} {
				if strings.HasSuffix(d.Name, tmpl) || d.Name == tmpl {
					counts["template "+tmpl]++
				}
			}
			text := string(d.Document)
			for _, cd := range conditions {
				if strings.Contains(text, `"`+cd.op+`"`) {
					counts["op "+cd.op]++
				}
			}
			for _, w := range []string{"NotAction", "NotResource", `"Deny"`, "${aws:"} {
				if strings.Contains(text, w) {
					counts[w]++
				}
			}
		}
	}
	want := []string{
		"action bedrock:InvokeModel", "action bedrock:InvokeModelWithResponseStream", "action bedrock:ApplyGuardrail",
		"action bedrock:ListFoundationModels", "action sts:AssumeRole", "action s3:GetObject",
		"global model", "inference profile", "cross-account",
		"identity", "boundary", "session", "scp", "rcp", "resource", "endpoint", "multi-level scp",
		"NotAction", "NotResource", `"Deny"`, "${aws:",
		"template aws-doc/cris-geographic", "template aws-doc/cris-global",
		"template /region-deny", "template /region-deny-unspecified", "template /deny-global-cris",
	}
	for _, cd := range conditions {
		want = append(want, "op "+cd.op)
	}
	for _, w := range want {
		if counts[w] < 25 {
			t.Errorf("%s appears in %d generated cases, want at least 25", w, counts[w])
		}
	}
}

func TestLoadCases(t *testing.T) {
	good := `{"area": "a", "cases": [{"name": "n", "request": {"principal": {"arn": "arn:aws:iam::111111111111:user/u"}, "action": "s3:GetObject", "resource": "*"}, "policies": {}, "expect": {"decision": "allow"}, "oracle": "skip: why"}]}`
	tests := []struct {
		name  string
		files map[string]string
		want  error
		n     int
	}{
		{name: "no files", files: nil, n: 0},
		{name: "one case", files: map[string]string{"a.json": good}, n: 1},
		{name: "not json", files: map[string]string{"a.json": `{`}, want: ErrBadCase},
		{name: "duplicate name", files: map[string]string{"a.json": good, "b.json": good}, want: ErrBadCase},
		{name: "no action", files: map[string]string{"a.json": strings.Replace(good, `"s3:GetObject"`, `""`, 1)}, want: ErrBadCase},
		{name: "bad decision", files: map[string]string{"a.json": strings.Replace(good, `"allow"`, `"maybe"`, 1)}, want: ErrBadCase},
		{name: "oracle without skip", files: map[string]string{"a.json": strings.Replace(good, `"skip: why"`, `"why"`, 1)}, want: ErrBadCase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, text := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cases, err := LoadCases(dir)
			if !errors.Is(err, tt.want) {
				t.Fatalf("LoadCases: err = %v, want %v", err, tt.want)
			}
			if err == nil && len(cases) != tt.n {
				t.Fatalf("LoadCases: %d cases, want %d", len(cases), tt.n)
			}
			if tt.n == 1 {
				if reason, ok := cases[0].Skipped(); !ok || reason != "why" {
					t.Errorf("Skipped() = %q, %v", reason, ok)
				}
			}
		})
	}
}

func TestNamedDocText(t *testing.T) {
	obj := NamedDoc{Name: "o", Document: json.RawMessage(`{"Version":"2012-10-17"}`)}
	str := NamedDoc{Name: "s", Document: json.RawMessage(`"%7B%22Version%22%3A%222012-10-17%22%7D"`)}
	if got, err := obj.Text(); err != nil || got != `{"Version":"2012-10-17"}` {
		t.Errorf("object: %q, %v", got, err)
	}
	if got, err := str.Text(); err != nil || got != `%7B%22Version%22%3A%222012-10-17%22%7D` {
		t.Errorf("string: %q, %v", got, err)
	}
	if _, err := (NamedDoc{Name: "e"}).Text(); err == nil {
		t.Error("empty document: no error")
	}
}

var update = flag.Bool("update", false, "rewrite testdata/generate.golden")

// TestGenerateGolden pins the first generated cases of the seed the
// differential test uses, so a change to the generator is a visible diff
// (go test -run TestGenerateGolden -update).
func TestGenerateGolden(t *testing.T) {
	got, err := json.MarshalIndent(Generate(generatedSeed, 3), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "generate.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Generate(%d, 3) differs from %s; run with -update if the change is intended", generatedSeed, golden)
	}
}

func FuzzParseCases(f *testing.F) {
	for _, path := range []string{filepath.Join("testdata", "cases", "known.json")} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"cases":[{"name":"x","request":{"principal":{"arn":"a"},"action":"s3:GetObject","resource":"*"},"policies":{"scps":[[{"name":"n","document":"%7B%7D"}]]},"oracle":"skip:"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cases, err := ParseCases(data, "fuzz.json")
		if err != nil {
			if !errors.Is(err, ErrBadCase) {
				t.Fatalf("error does not wrap ErrBadCase: %v", err)
			}
			return
		}
		for i := range cases {
			c := &cases[i]
			if c.Name == "" || c.Request.Action == "" || c.Request.Resource == "" || c.Request.Principal.ARN == "" {
				t.Fatalf("case %d accepted without its required fields", i)
			}
			for _, d := range c.Policies.all() {
				_, _ = d.Text()
			}
			// Building the evaluator's input must never panic either.
			_, _, _ = build(c)
		}
	})
}
