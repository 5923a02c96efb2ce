package iampolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
)

// The policy language versions IAM accepts. Policy variables are substituted
// only in 2012-10-17 policies; in 2008-10-17 policies (and policies without a
// Version) ${...} is literal text
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html).
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Policy is a parsed IAM policy document. Obtain one from Parse or
// MustParse: they compile the statements' patterns, and a Policy assembled
// by hand has none, so its statements match nothing. A Policy is read-only
// after parsing and safe for concurrent use.
type Policy struct {
	// Version is the policy language version as written; empty if the
	// document had none (which AWS treats as 2008-10-17).
	Version string
	// ID is the optional Id element.
	ID string
	// Statements are the statements in document order; the Index of a
	// StatementRef points into this slice.
	Statements []Statement
}

// Statement is one statement of a policy. Exactly one of Action/NotAction is
// set; at most one of Resource/NotResource and of Principal/NotPrincipal. A
// nil slice or pointer means the element is absent. A statement without
// Resource or NotResource applies to every resource (a role trust policy
// has none). Principal and NotPrincipal are only evaluated in policies that
// name principals: resource-based, trust, VPC endpoint and RCPs.
type Statement struct {
	Sid          string
	Effect       string // "Allow" or "Deny"
	Principal    *Principals
	NotPrincipal *Principals
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	// Condition holds one entry per operator and key, sorted by operator
	// then key, as the canonical form writes them.
	Condition []Condition

	actions   []pattern
	resources []arnPattern
}

// Principals is the value of a Principal or NotPrincipal element.
type Principals struct {
	// All is set for the bare string form "Principal": "*".
	All           bool
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// Condition is one operator applied to one context key.
type Condition struct {
	// Operator is the operator as written, with its qualifier and suffix:
	// "StringEquals", "ForAnyValue:StringLike", "ArnNotLikeIfExists".
	Operator string
	// Key is the condition key as written; keys compare case-insensitively.
	Key string
	// Values are the policy values, as text (JSON booleans and numbers are
	// kept as their literal text).
	Values []string

	op   operator
	cmp  []condValue
	null bool // for Null: the policy asks for the key to be absent
	// vars are the keys of the policy variables in Values: when Key is
	// unknown, the outcome depends on them too.
	vars []string
}

// Parse parses a policy document as IAM stores it: JSON text, or JSON text
// URL-encoded as the IAM API returns AssumeRolePolicyDocument, PolicyDocument
// and Document ("URL-encoded compliant with RFC 3986",
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html).
// Errors wrap ErrMalformed and name the JSON path of the fault, such as
// Statement[1].Condition.StringLike.
func Parse(doc string) (*Policy, error) {
	// Editors on Windows save JSON with a byte order mark; it is not JSON.
	text := strings.TrimSpace(strings.TrimPrefix(doc, "\ufeff"))
	if strings.HasPrefix(text, "%") {
		dec, err := url.QueryUnescape(text)
		if err != nil {
			return nil, &ParseError{Msg: "url-decode policy text", Err: err}
		}
		text = strings.TrimSpace(dec)
	}
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	var root any
	if err := d.Decode(&root); err != nil {
		return nil, &ParseError{Msg: "invalid json", Err: err}
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, &ParseError{Msg: "invalid json: data after the policy document"}
	}
	return parsePolicy(root)
}

// MustParse is Parse for fixtures and tests: it panics on error.
func MustParse(doc string) *Policy {
	p, err := Parse(doc)
	if err != nil {
		panic(err)
	}
	return p
}

// ParseError is a malformed policy document. It always wraps ErrMalformed.
type ParseError struct {
	// Path is the JSON path of the faulty element, e.g.
	// "Statement[1].Condition.StringLike"; empty for the whole document.
	Path string
	// Msg says what is wrong.
	Msg string
	// Err is the underlying cause, if any (a JSON syntax error, ...).
	Err error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(ErrMalformed.Error())
	if e.Path != "" {
		b.WriteString(": ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns ErrMalformed and the cause.
func (e *ParseError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrMalformed, e.Err}
	}
	return []error{ErrMalformed}
}

func perr(path, format string, args ...any) error {
	return &ParseError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

func parsePolicy(root any) (*Policy, error) {
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, perr("", "policy must be a json object, not %s", jsonKind(root))
	}
	p := &Policy{}
	for _, k := range sortedKeys(obj) {
		switch k {
		case "Version", "Id", "Statement":
		default:
			return nil, perr(k, "unknown policy element")
		}
	}
	if v, ok := obj["Version"]; ok {
		s, ok := v.(string)
		if !ok {
			return nil, perr("Version", "must be a string, not %s", jsonKind(v))
		}
		if s != Version2012 && s != Version2008 {
			return nil, perr("Version", "unsupported version %q (want %s or %s)", s, Version2012, Version2008)
		}
		p.Version = s
	}
	if v, ok := obj["Id"]; ok {
		s, ok := v.(string)
		if !ok {
			return nil, perr("Id", "must be a string, not %s", jsonKind(v))
		}
		p.ID = s
	}
	raw, ok := obj["Statement"]
	if !ok {
		return nil, perr("", "missing Statement")
	}
	vars := p.Version == Version2012
	switch st := raw.(type) {
	case map[string]any:
		s, err := parseStatement(st, "Statement", vars)
		if err != nil {
			return nil, err
		}
		p.Statements = []Statement{s}
	case []any:
		if len(st) == 0 {
			return nil, perr("Statement", "empty statement list")
		}
		for i, e := range st {
			path := fmt.Sprintf("Statement[%d]", i)
			m, ok := e.(map[string]any)
			if !ok {
				return nil, perr(path, "statement must be an object, not %s", jsonKind(e))
			}
			s, err := parseStatement(m, path, vars)
			if err != nil {
				return nil, err
			}
			p.Statements = append(p.Statements, s)
		}
	default:
		return nil, perr("Statement", "must be an object or an array, not %s", jsonKind(raw))
	}
	return p, nil
}

func parseStatement(m map[string]any, path string, vars bool) (Statement, error) {
	var s Statement
	for _, k := range sortedKeys(m) {
		switch k {
		case "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
			"Resource", "NotResource", "Condition":
		default:
			return s, perr(path+"."+k, "unknown statement element")
		}
	}
	if v, ok := m["Sid"]; ok {
		str, ok := v.(string)
		if !ok {
			return s, perr(path+".Sid", "must be a string, not %s", jsonKind(v))
		}
		s.Sid = str
	}
	eff, ok := m["Effect"]
	if !ok {
		return s, perr(path, "missing Effect")
	}
	if str, _ := eff.(string); str == "Allow" || str == "Deny" {
		s.Effect = str
	} else {
		return s, perr(path+".Effect", "must be \"Allow\" or \"Deny\", not %s", jsonText(eff))
	}
	var err error
	if s.Principal, err = parsePrincipals(m, "Principal", path); err != nil {
		return s, err
	}
	if s.NotPrincipal, err = parsePrincipals(m, "NotPrincipal", path); err != nil {
		return s, err
	}
	if s.Principal != nil && s.NotPrincipal != nil {
		return s, perr(path, "both Principal and NotPrincipal")
	}
	if s.Action, err = stringList(m, "Action", path); err != nil {
		return s, err
	}
	if s.NotAction, err = stringList(m, "NotAction", path); err != nil {
		return s, err
	}
	switch {
	case s.Action != nil && s.NotAction != nil:
		return s, perr(path, "both Action and NotAction")
	case s.Action == nil && s.NotAction == nil:
		return s, perr(path, "missing Action or NotAction")
	}
	acts := s.Action
	actPath := path + ".Action"
	if acts == nil {
		acts, actPath = s.NotAction, path+".NotAction"
	}
	for i, a := range acts {
		if a != "*" && !strings.Contains(a, ":") {
			return s, perr(fmt.Sprintf("%s[%d]", actPath, i), "action %q is not \"*\" or service:action", a)
		}
		s.actions = append(s.actions, compilePattern(a, true, false))
	}
	if s.Resource, err = stringList(m, "Resource", path); err != nil {
		return s, err
	}
	if s.NotResource, err = stringList(m, "NotResource", path); err != nil {
		return s, err
	}
	if s.Resource != nil && s.NotResource != nil {
		return s, perr(path, "both Resource and NotResource")
	}
	res := s.Resource
	if res == nil {
		res = s.NotResource
	}
	for _, r := range res {
		s.resources = append(s.resources, compileARN(r, vars))
	}
	if v, ok := m["Condition"]; ok {
		if s.Condition, err = parseConditions(v, path+".Condition", vars); err != nil {
			return s, err
		}
	}
	return s, nil
}

// stringList reads a string-or-array element. Absent gives nil; an empty
// array is an error, as IAM rejects statements without actions or resources.
func stringList(m map[string]any, key, path string) ([]string, error) {
	v, ok := m[key]
	if !ok {
		return nil, nil
	}
	path += "." + key
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case []any:
		if len(t) == 0 {
			return nil, perr(path, "empty list")
		}
		out := make([]string, len(t))
		for i, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, perr(fmt.Sprintf("%s[%d]", path, i), "must be a string, not %s", jsonKind(e))
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, perr(path, "must be a string or an array of strings, not %s", jsonKind(v))
}

func parsePrincipals(m map[string]any, key, path string) (*Principals, error) {
	v, ok := m[key]
	if !ok {
		return nil, nil
	}
	path += "." + key
	switch t := v.(type) {
	case string:
		if t != "*" {
			return nil, perr(path, "a string principal must be \"*\", not %q", t)
		}
		return &Principals{All: true}, nil
	case map[string]any:
		if len(t) == 0 {
			return nil, perr(path, "empty principal")
		}
		p := &Principals{}
		for _, k := range sortedKeys(t) {
			list, err := stringList(t, k, path)
			if err != nil {
				return nil, err
			}
			switch k {
			case "AWS":
				p.AWS = list
			case "Service":
				p.Service = list
			case "Federated":
				p.Federated = list
			case "CanonicalUser":
				p.CanonicalUser = list
			default:
				return nil, perr(path+"."+k, "unknown principal type")
			}
		}
		return p, nil
	}
	return nil, perr(path, "must be \"*\" or an object, not %s", jsonKind(v))
}

func parseConditions(v any, path string, vars bool) ([]Condition, error) {
	block, ok := v.(map[string]any)
	if !ok {
		return nil, perr(path, "must be an object, not %s", jsonKind(v))
	}
	var out []Condition
	for _, opName := range sortedKeys(block) {
		opPath := path + "." + opName
		op, err := parseOperator(opName)
		if err != nil {
			return nil, perr(opPath, "%v", err)
		}
		keys, ok := block[opName].(map[string]any)
		if !ok {
			return nil, perr(opPath, "must be an object of condition keys, not %s", jsonKind(block[opName]))
		}
		if len(keys) == 0 {
			return nil, perr(opPath, "no condition keys")
		}
		for _, key := range sortedKeys(keys) {
			keyPath := opPath + "." + key
			if key == "" {
				return nil, perr(keyPath, "empty condition key")
			}
			vals, err := conditionValues(keys[key], keyPath)
			if err != nil {
				return nil, err
			}
			c := Condition{Operator: opName, Key: key, Values: vals, op: op}
			if err := c.compile(vars, keyPath); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// conditionValues reads a value or array of values; IAM accepts strings,
// booleans and numbers and compares their text.
func conditionValues(v any, path string) ([]string, error) {
	scalar := func(e any, p string) (string, error) {
		switch t := e.(type) {
		case string:
			return t, nil
		case bool:
			if t {
				return "true", nil
			}
			return "false", nil
		case json.Number:
			return t.String(), nil
		}
		return "", perr(p, "condition value must be a string, boolean or number, not %s", jsonKind(e))
	}
	if list, ok := v.([]any); ok {
		out := make([]string, 0, len(list))
		for i, e := range list {
			s, err := scalar(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(v, path)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return jsonKind(v)
	}
	return string(b)
}

// String returns the policy as canonical JSON: elements in the order of the
// IAM grammar, every list as an array, condition operators and keys sorted,
// condition values as strings. Parsing the result gives an equal Policy.
func (p *Policy) String() string {
	var b bytes.Buffer
	b.WriteByte('{')
	sep := ""
	field := func(name string) {
		b.WriteString(sep)
		writeJSONString(&b, name)
		b.WriteByte(':')
		sep = ","
	}
	if p.Version != "" {
		field("Version")
		writeJSONString(&b, p.Version)
	}
	if p.ID != "" {
		field("Id")
		writeJSONString(&b, p.ID)
	}
	field("Statement")
	b.WriteByte('[')
	for i := range p.Statements {
		if i > 0 {
			b.WriteByte(',')
		}
		p.Statements[i].write(&b)
	}
	b.WriteString("]}")
	return b.String()
}

func (s *Statement) write(b *bytes.Buffer) {
	b.WriteByte('{')
	sep := ""
	field := func(name string) {
		b.WriteString(sep)
		writeJSONString(b, name)
		b.WriteByte(':')
		sep = ","
	}
	if s.Sid != "" {
		field("Sid")
		writeJSONString(b, s.Sid)
	}
	field("Effect")
	writeJSONString(b, s.Effect)
	for _, pr := range []struct {
		name string
		p    *Principals
	}{{"Principal", s.Principal}, {"NotPrincipal", s.NotPrincipal}} {
		if pr.p == nil {
			continue
		}
		field(pr.name)
		pr.p.write(b)
	}
	for _, l := range []struct {
		name string
		v    []string
	}{{"Action", s.Action}, {"NotAction", s.NotAction}, {"Resource", s.Resource}, {"NotResource", s.NotResource}} {
		if l.v == nil {
			continue
		}
		field(l.name)
		writeJSONList(b, l.v)
	}
	if s.Condition != nil {
		field("Condition")
		b.WriteByte('{')
		for i := 0; i < len(s.Condition); {
			op := s.Condition[i].Operator
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, op)
			b.WriteString(":{")
			for j := i; j < len(s.Condition) && s.Condition[j].Operator == op; j++ {
				if j > i {
					b.WriteByte(',')
				}
				writeJSONString(b, s.Condition[j].Key)
				b.WriteByte(':')
				writeJSONList(b, s.Condition[j].Values)
				i = j
			}
			i++
			b.WriteByte('}')
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
}

func (p *Principals) write(b *bytes.Buffer) {
	if p.All {
		writeJSONString(b, "*")
		return
	}
	b.WriteByte('{')
	sep := ""
	for _, l := range []struct {
		name string
		v    []string
	}{{"AWS", p.AWS}, {"CanonicalUser", p.CanonicalUser}, {"Federated", p.Federated}, {"Service", p.Service}} {
		if l.v == nil {
			continue
		}
		b.WriteString(sep)
		sep = ","
		writeJSONString(b, l.name)
		b.WriteByte(':')
		writeJSONList(b, l.v)
	}
	b.WriteByte('}')
}

func writeJSONList(b *bytes.Buffer, v []string) {
	b.WriteByte('[')
	for i, s := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(b, s)
	}
	b.WriteByte(']')
}

// writeJSONString writes s as a JSON string. HTML escaping is off so that
// condition values such as URLs read as written ("&", not "\u0026").
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // encoding a string cannot fail
	b.Truncate(b.Len() - 1) // Encode appends a newline
}
