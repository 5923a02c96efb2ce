package oracle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// File is one testdata/cases/<area>.json file.
type File struct {
	Area  string `json:"area"`
	Cases []Case `json:"cases"`
}

// Case is one authorization question with its policies, in the format shared
// by the hand-made cases, the generator and the node harness.
type Case struct {
	Name string `json:"name"`
	// Source is the AWS documentation the expectation comes from.
	Source   string   `json:"source,omitempty"`
	Request  Request  `json:"request"`
	Policies Policies `json:"policies"`
	Expect   *Expect  `json:"expect,omitempty"`
	// Oracle, when it starts with "skip:", excludes the case from the
	// differential check and says why the oracle is known to differ.
	Oracle string `json:"oracle,omitempty"`

	// File is the file the case was loaded from; empty for generated cases.
	File string `json:"-"`
}

// Skipped reports whether the case opts out of the oracle, and why.
func (c *Case) Skipped() (string, bool) {
	reason, ok := strings.CutPrefix(strings.TrimSpace(c.Oracle), "skip:")
	return strings.TrimSpace(reason), ok
}

// Request is the JSON form of iampolicy.Request.
type Request struct {
	Principal       Principal           `json:"principal"`
	Action          string              `json:"action"`
	Resource        string              `json:"resource"`
	ResourceAccount string              `json:"resource_account,omitempty"`
	Context         map[string][]string `json:"context,omitempty"`
}

// Principal is the JSON form of iampolicy.Principal.
type Principal struct {
	ARN      string            `json:"arn"`
	RoleARN  string            `json:"role_arn,omitempty"`
	UniqueID string            `json:"unique_id,omitempty"`
	Account  string            `json:"account,omitempty"`
	OrgID    string            `json:"org_id,omitempty"`
	Tags     map[string]string `json:"tags,omitempty"`
}

// Policies is the JSON form of iampolicy.PolicySet. A nil group means none.
type Policies struct {
	Identity []NamedDoc   `json:"identity,omitempty"`
	Boundary *NamedDoc    `json:"boundary,omitempty"`
	Session  []NamedDoc   `json:"session,omitempty"`
	SCPs     [][]NamedDoc `json:"scps,omitempty"`
	RCPs     [][]NamedDoc `json:"rcps,omitempty"`
	Resource []NamedDoc   `json:"resource,omitempty"`
	Endpoint *NamedDoc    `json:"endpoint,omitempty"`
}

// NamedDoc is a policy document with its name. Document is either a JSON
// object or a JSON string holding raw or URL-encoded policy text.
type NamedDoc struct {
	Name string `json:"name"`
	// Type is set on resource policies only: "role trust policy" for a
	// role's trust policy, otherwise "resource-based policy" (the default).
	Type     string          `json:"type,omitempty"`
	Document json.RawMessage `json:"document"`
}

// Text returns the policy text to hand to a parser: the string itself when
// Document is a JSON string, else the JSON object as written.
func (d NamedDoc) Text() (string, error) {
	raw := bytes.TrimSpace(d.Document)
	if len(raw) == 0 {
		return "", fmt.Errorf("policy %q: no document", d.Name)
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("policy %q: document string: %w", d.Name, err)
		}
		return s, nil
	}
	return string(raw), nil
}

// Expect is the outcome the case's author derived from AWS documentation.
type Expect struct {
	Decision string   `json:"decision"`
	Blocked  []string `json:"blocked,omitempty"`
	Missing  []string `json:"missing,omitempty"`
}

// The decision words of the case format.
const (
	DecisionAllow        = "allow"
	DecisionExplicitDeny = "explicit-deny"
	DecisionImplicitDeny = "implicit-deny"
)

// ErrBadCase is wrapped by every error about a malformed case file.
var ErrBadCase = errors.New("bad case")

// LoadCases reads every *.json case file in dir, in name order. A missing
// directory holds no cases. Each case must have a name unique across dir,
// a principal ARN, an action and a resource.
func LoadCases(dir string) ([]Case, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("load cases: %w", err)
	}
	sort.Strings(paths)
	var all []Case
	names := map[string]string{}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("load cases: %w", err)
		}
		cases, err := ParseCases(data, filepath.Base(path))
		if err != nil {
			return nil, fmt.Errorf("load cases: %w", err)
		}
		for i := range cases {
			c := &cases[i]
			if prev, dup := names[c.Name]; dup {
				return nil, fmt.Errorf("load cases: %s: case %q: %w: name also used in %s", path, c.Name, ErrBadCase, prev)
			}
			names[c.Name] = c.File
		}
		all = append(all, cases...)
	}
	return all, nil
}

// ParseCases decodes one case file and checks every case in it; file names
// the source in errors and in Case.File.
func ParseCases(data []byte, file string) ([]Case, error) {
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", file, ErrBadCase, err)
	}
	for i := range f.Cases {
		c := &f.Cases[i]
		c.File = file
		if err := c.validate(); err != nil {
			return nil, fmt.Errorf("%s: case %d: %w", file, i, err)
		}
	}
	return f.Cases, nil
}

func (c *Case) validate() error {
	switch {
	case c.Name == "":
		return fmt.Errorf("%w: no name", ErrBadCase)
	case c.Request.Principal.ARN == "":
		return fmt.Errorf("%q: %w: no request.principal.arn", c.Name, ErrBadCase)
	case c.Request.Action == "":
		return fmt.Errorf("%q: %w: no request.action", c.Name, ErrBadCase)
	case c.Request.Resource == "":
		return fmt.Errorf("%q: %w: no request.resource", c.Name, ErrBadCase)
	}
	if c.Expect != nil {
		switch c.Expect.Decision {
		case DecisionAllow, DecisionExplicitDeny, DecisionImplicitDeny:
		default:
			return fmt.Errorf("%q: %w: expect.decision %q", c.Name, ErrBadCase, c.Expect.Decision)
		}
	}
	if c.Oracle != "" {
		if _, ok := c.Skipped(); !ok {
			return fmt.Errorf("%q: %w: oracle field must start with \"skip:\"", c.Name, ErrBadCase)
		}
	}
	return nil
}
