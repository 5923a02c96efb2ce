package iampolicy

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// family is a condition operator family.
type family uint8

const (
	famString family = iota + 1
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famARN
	famNull
)

// cmpKind is how a family compares.
type cmpKind uint8

const (
	cmpEq cmpKind = iota // equality (or pattern match)
	cmpLT
	cmpLE
	cmpGT
	cmpGE
)

// qualifier is the set-operator prefix of an operator.
type qualifier uint8

const (
	qualNone qualifier = iota
	qualAny            // ForAnyValue:
	qualAll            // ForAllValues:
)

// operator is a parsed condition operator name.
type operator struct {
	fam      family
	cmp      cmpKind
	negated  bool // StringNotEquals, ArnNotLike, NotIpAddress, ...
	fold     bool // ...IgnoreCase
	like     bool // wildcards allowed (StringLike, ArnLike, ArnEquals)
	ifExists bool
	qual     qualifier
}

// baseOperators lists every operator of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html.
// ArnEquals and ArnLike behave identically (both take wildcards), as the
// page says.
var baseOperators = map[string]operator{
	"StringEquals":              {fam: famString},
	"StringNotEquals":           {fam: famString, negated: true},
	"StringEqualsIgnoreCase":    {fam: famString, fold: true},
	"StringNotEqualsIgnoreCase": {fam: famString, fold: true, negated: true},
	"StringLike":                {fam: famString, like: true},
	"StringNotLike":             {fam: famString, like: true, negated: true},
	"NumericEquals":             {fam: famNumeric},
	"NumericNotEquals":          {fam: famNumeric, negated: true},
	"NumericLessThan":           {fam: famNumeric, cmp: cmpLT},
	"NumericLessThanEquals":     {fam: famNumeric, cmp: cmpLE},
	"NumericGreaterThan":        {fam: famNumeric, cmp: cmpGT},
	"NumericGreaterThanEquals":  {fam: famNumeric, cmp: cmpGE},
	"DateEquals":                {fam: famDate},
	"DateNotEquals":             {fam: famDate, negated: true},
	"DateLessThan":              {fam: famDate, cmp: cmpLT},
	"DateLessThanEquals":        {fam: famDate, cmp: cmpLE},
	"DateGreaterThan":           {fam: famDate, cmp: cmpGT},
	"DateGreaterThanEquals":     {fam: famDate, cmp: cmpGE},
	"Bool":                      {fam: famBool},
	"BinaryEquals":              {fam: famBinary},
	"IpAddress":                 {fam: famIP},
	"NotIpAddress":              {fam: famIP, negated: true},
	"ArnEquals":                 {fam: famARN, like: true},
	"ArnLike":                   {fam: famARN, like: true},
	"ArnNotEquals":              {fam: famARN, like: true, negated: true},
	"ArnNotLike":                {fam: famARN, like: true, negated: true},
	"Null":                      {fam: famNull},
}

// operatorsByLower indexes baseOperators by lower-case name: operator names
// are matched case-insensitively, as the outside oracle does, so that a
// policy IAM may accept with "stringEquals" is not rejected here.
var operatorsByLower = func() map[string]operator {
	m := make(map[string]operator, len(baseOperators))
	for k, v := range baseOperators {
		m[strings.ToLower(k)] = v
	}
	return m
}()

func parseOperator(name string) (operator, error) {
	base := strings.ToLower(name)
	var q qualifier
	if rest, ok := strings.CutPrefix(base, "foranyvalue:"); ok {
		base, q = rest, qualAny
	} else if rest, ok := strings.CutPrefix(base, "forallvalues:"); ok {
		base, q = rest, qualAll
	}
	ifExists := false
	if rest, ok := strings.CutSuffix(base, "ifexists"); ok {
		base, ifExists = rest, true
	}
	op, ok := operatorsByLower[base]
	if !ok {
		return op, errors.New("unknown condition operator")
	}
	if op.fam == famNull && (ifExists || q != qualNone) {
		return op, errors.New("the Null operator takes no IfExists suffix or set qualifier")
	}
	op.ifExists, op.qual = ifExists, q
	return op, nil
}

// condValue is one pre-compiled policy value.
type condValue struct {
	str  pattern    // famString, famBinary
	arn  arnPattern // famARN
	num  float64    // famNumeric
	time time.Time  // famDate
	ip   netip.Prefix
	b    bool // famBool
}

func (c *Condition) compile(vars bool, path string) error {
	c.cmp = make([]condValue, len(c.Values))
	for i, v := range c.Values {
		cv := &c.cmp[i]
		vpath := path
		if len(c.Values) > 1 {
			vpath = fmt.Sprintf("%s[%d]", path, i)
		}
		switch c.op.fam {
		case famString:
			cv.str = compilePattern(v, c.op.like, vars)
		case famBinary:
			cv.str = compilePattern(v, false, false)
		case famARN:
			cv.arn = compileARN(v, vars)
		case famNumeric:
			f, err := parseNumber(v)
			if err != nil {
				return perr(vpath, "%s needs a number, not %q", c.Operator, v)
			}
			cv.num = f
		case famDate:
			t, err := parseDate(v)
			if err != nil {
				return perr(vpath, "%s needs a date, not %q", c.Operator, v)
			}
			cv.time = t
		case famBool, famNull:
			b, err := parseBool(v)
			if err != nil {
				return perr(vpath, "%s needs true or false, not %q", c.Operator, v)
			}
			cv.b = b
		case famIP:
			p, err := parseIP(v)
			if err != nil {
				return perr(vpath, "%s needs an ip address or cidr, not %q", c.Operator, v)
			}
			cv.ip = p
		}
	}
	if c.op.fam == famNull {
		if len(c.Values) != 1 {
			return perr(path, "Null takes exactly one value")
		}
		c.null = c.cmp[0].b
	}
	for i := range c.cmp {
		c.vars = appendVars(c.vars, &c.cmp[i].str)
		c.vars = appendVars(c.vars, &c.cmp[i].arn.whole)
		for j := range c.cmp[i].arn.segs {
			c.vars = appendVars(c.vars, &c.cmp[i].arn.segs[j])
		}
	}
	return nil
}

// appendVars appends the keys of the policy variables of p.
func appendVars(keys []string, p *pattern) []string {
	for _, t := range p.toks {
		if t.kind == tokVar {
			keys = append(keys, t.text)
		}
	}
	return keys
}

// eval3 is eval for the three-valued logic of an open request: besides the
// closed outcome (unknown keys taken as absent) it reports whether the
// outcome depends on unknown keys, which it records in e.touched. A
// condition on an unknown key is unknown whatever its operator: with
// IfExists, negated operators, set qualifiers and Null alike, an absent key
// and a present one can decide differently. A condition on a known key is
// unknown only if it resolved a policy variable whose key is unknown.
func (c *Condition) eval3(e *env) (ok, missing, unknown bool) {
	mark := e.touches
	ok, missing = c.eval(e)
	if e.open && !e.known(c.Key) {
		e.touch(c.Key)
		for _, k := range c.vars {
			if !e.known(k) {
				e.touch(k)
			}
		}
		return ok, missing, true
	}
	return ok, missing, e.touches > mark
}

func parseNumber(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errors.New("not a number")
	}
	return f, nil
}

func parseBool(s string) (bool, error) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, nil
	case strings.EqualFold(s, "false"):
		return false, nil
	}
	return false, errors.New("not a boolean")
}

// dateLayouts are the ISO 8601 forms IAM accepts for Date operators, besides
// epoch seconds.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02",
}

func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("not a date")
}

func parseIP(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// eval evaluates the condition against the request. missing reports that
// the key was absent from the context.
//
// Semantics (reference_policies_elements_condition_operators.html and
// reference_policies_condition-single-vs-multi-valued-context-keys.html):
// values of one key are OR-ed; an absent key makes positive operators false
// and negated ones true; ...IfExists makes an absent key true; Null tests
// presence; ForAllValues is true on an absent or empty key, ForAnyValue
// false (with or without IfExists, which only applies per value there).
// "Multivalued context keys require a condition set operator": without one,
// a key with several values (or an empty list) matches nothing, whether the
// operator is negated or not, as the outside oracle also decides.
func (c *Condition) eval(e *env) (ok, missing bool) {
	vals, present := e.lookup(c.Key)
	if c.op.fam == famNull {
		return present != c.null, false
	}
	if !present {
		switch {
		case c.op.qual == qualAll:
			return true, true
		case c.op.qual == qualAny:
			return false, true
		case c.op.ifExists:
			return true, true
		}
		return c.op.negated, true
	}
	switch c.op.qual {
	case qualAll:
		for _, v := range vals {
			if !c.single(v, e) {
				return false, false
			}
		}
		return true, false
	case qualAny:
		for _, v := range vals {
			if c.single(v, e) {
				return true, false
			}
		}
		return false, false
	}
	if len(vals) != 1 {
		return false, false
	}
	return c.single(vals[0], e), false
}

// single evaluates the operator for one request value: positive operators
// need one policy value to match, negated ones need none to.
func (c *Condition) single(v string, e *env) bool {
	m := false
	for i := range c.cmp {
		if c.matchOne(v, &c.cmp[i], e) {
			m = true
			break
		}
	}
	return m != c.op.negated
}

func (c *Condition) matchOne(v string, cv *condValue, e *env) bool {
	switch c.op.fam {
	case famString:
		return cv.str.match(v, c.op.fold, e)
	case famBinary:
		return cv.str.match(v, false, nil)
	case famARN:
		return cv.arn.match(v, e)
	case famBool:
		b, err := parseBool(v)
		return err == nil && b == cv.b
	case famNumeric:
		f, err := parseNumber(v)
		if err != nil {
			return false
		}
		return compare(c.op.cmp, cmpFloat(f, cv.num))
	case famDate:
		t, err := parseDate(v)
		if err != nil {
			return false
		}
		return compare(c.op.cmp, t.Compare(cv.time))
	case famIP:
		a, err := netip.ParseAddr(strings.TrimSpace(v))
		return err == nil && cv.ip.Contains(a.Unmap())
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compare(k cmpKind, c int) bool {
	switch k {
	case cmpLT:
		return c < 0
	case cmpLE:
		return c <= 0
	case cmpGT:
		return c > 0
	case cmpGE:
		return c >= 0
	}
	return c == 0
}
