package iampolicy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is one element of a compiled wildcard pattern.
type tokKind uint8

const (
	tokLit  tokKind = iota // literal text
	tokStar                // * : any run of characters, including none
	tokAny                 // ? : exactly one character
	tokVar                 // ${key} or ${key, 'default'}: a request value, matched literally
)

// token is one element of a compiled pattern. Patterns are compiled once at
// parse time so that evaluation neither allocates nor re-scans policy text.
type token struct {
	kind tokKind
	text string // literal text, or the variable's context key
	def  string // default value of a variable
	dflt bool   // whether def was given
}

// pattern is a compiled string pattern: action patterns, StringLike values,
// one segment of an ARN pattern, or a literal with policy variables.
type pattern struct {
	toks []token
}

// compilePattern compiles s. glob enables * and ? as wildcards (StringLike,
// ArnLike, Action, Resource); vars enables ${...} policy variables, which AWS
// substitutes only in policies whose Version is 2012-10-17
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
func compilePattern(s string, glob, vars bool) pattern {
	var toks []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{kind: tokLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case vars && c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				lit.WriteByte(c)
				i++
				continue
			}
			inner := s[i+2 : i+2+end]
			i += 2 + end + 1
			switch strings.TrimSpace(inner) {
			case "*", "?", "$":
				// ${*}, ${?} and ${$} are the documented escapes for the
				// literal characters.
				lit.WriteString(strings.TrimSpace(inner))
				continue
			}
			flush()
			toks = append(toks, parseVariable(inner))
		case glob && c == '*':
			flush()
			if n := len(toks); n == 0 || toks[n-1].kind != tokStar {
				toks = append(toks, token{kind: tokStar})
			}
			i++
		case glob && c == '?':
			flush()
			toks = append(toks, token{kind: tokAny})
			i++
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return pattern{toks: toks}
}

// parseVariable parses the inside of ${...}: a key, optionally followed by
// ", 'default'".
func parseVariable(inner string) token {
	key, rest, found := strings.Cut(inner, ",")
	t := token{kind: tokVar, text: strings.TrimSpace(key)}
	if found {
		d := strings.TrimSpace(rest)
		if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
			t.def, t.dflt = d[1:len(d)-1], true
		} else {
			t.def, t.dflt = d, true
		}
	}
	return t
}

// match reports whether s matches the pattern. fold compares literals
// case-insensitively. Variables resolve through vars; an unresolvable
// variable makes the pattern match nothing, as AWS documents for policy
// variables without a value.
//
// The algorithm is the classic single-backtrack glob matcher: on a mismatch
// only the most recent * needs to absorb one more character, so it runs in
// O(len(p)*len(s)) worst case without allocating.
func (p *pattern) match(s string, fold bool, vars varResolver) bool {
	toks := p.toks
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tokStar:
				starTi, starSi = ti, si
				ti++
				continue
			case tokAny:
				if si < len(s) {
					_, n := utf8.DecodeRuneInString(s[si:])
					si += n
					ti++
					continue
				}
			case tokLit, tokVar:
				lit := t.text
				if t.kind == tokVar {
					v, ok := resolve(vars, t)
					if !ok {
						return false
					}
					lit = v
				}
				if n, ok := prefixLen(s[si:], lit, fold); ok {
					si += n
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starTi < 0 || starSi >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starSi:])
		starSi += n
		if next := starTi + 1; !fold && next < len(toks) && toks[next].kind == tokLit {
			// Skip straight to the next place the literal after the *
			// can start; if there is none, nothing later can match.
			j := strings.Index(s[starSi:], toks[next].text)
			if j < 0 {
				return false
			}
			starSi += j
		}
		si = starSi
		ti = starTi + 1
	}
}

func resolve(vars varResolver, t *token) (string, bool) {
	if vars != nil {
		if v, ok := vars.variable(t.text); ok {
			return v, true
		}
	}
	if t.dflt {
		return t.def, true
	}
	return "", false
}

// prefixLen reports whether s starts with prefix (under simple Unicode case
// folding if fold) and how many bytes of s the prefix covers; with folding
// that can differ from len(prefix) (K and the Kelvin sign fold together).
func prefixLen(s, prefix string, fold bool) (int, bool) {
	if !fold {
		if strings.HasPrefix(s, prefix) {
			return len(prefix), true
		}
		return 0, false
	}
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return len(prefix), true
	}
	if !hasNonASCII(s, 4*len(prefix)) {
		// Only a non-ASCII rune (such as the Kelvin sign) can fold to an
		// ASCII one with a different length; without one, no match.
		return 0, false
	}
	n := 0
	for _, pr := range prefix {
		if n >= len(s) {
			return 0, false
		}
		sr, w := utf8.DecodeRuneInString(s[n:])
		if sr != pr && !foldEq(sr, pr) {
			return 0, false
		}
		n += w
	}
	return n, true
}

// hasNonASCII reports whether the first max bytes of s hold a non-ASCII
// byte.
func hasNonASCII(s string, max int) bool {
	if len(s) > max {
		s = s[:max]
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// foldEq reports whether two runes are equal under simple case folding, as
// strings.EqualFold compares them.
func foldEq(a, b rune) bool {
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		return a == b
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// varResolver supplies policy-variable values from the request context.
type varResolver interface {
	variable(key string) (string, bool)
}

// arnPattern is a compiled Resource element or ArnLike value. An ARN is
// compared per colon-delimited segment, so a wildcard never crosses a colon
// except in the sixth segment, which keeps its colons (model ids contain
// them, as in anthropic.claude-3-haiku-20240307-v1:0)
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
type arnPattern struct {
	whole pattern   // used when the pattern is not an ARN (e.g. "*")
	segs  []pattern // the pattern's segments when it starts with "arn:"
}

const arnSegments = 6

// compileARN compiles an ARN pattern. Policy variables are substituted only
// in the resource portion, after the fifth colon: "You can't use a variable
// to replace parts of the ARN before the fifth colon, such as the service or
// account" (reference_policies_variables.html#policy-vars-resourceelement).
func compileARN(s string, vars bool) arnPattern {
	if !strings.HasPrefix(s, "arn:") {
		return arnPattern{whole: compilePattern(s, true, vars)}
	}
	parts := strings.SplitN(s, ":", arnSegments)
	p := arnPattern{segs: make([]pattern, len(parts))}
	for i, part := range parts {
		p.segs[i] = compilePattern(part, true, vars && i == arnSegments-1)
	}
	return p
}

// match reports whether arn matches. A pattern with fewer than six segments
// lets its last segment absorb the rest of the ARN.
func (p *arnPattern) match(arn string, vars varResolver) bool {
	if p.segs == nil {
		return p.whole.match(arn, false, vars)
	}
	rest := arn
	for i := range p.segs {
		var seg string
		if i == len(p.segs)-1 {
			seg = rest
		} else {
			j := strings.IndexByte(rest, ':')
			if j < 0 {
				return false
			}
			seg, rest = rest[:j], rest[j+1:]
		}
		if !p.segs[i].match(seg, false, vars) {
			return false
		}
	}
	return true
}

// MatchAction reports whether action ("service:Name") matches pattern the way
// the Action element does: case-insensitively, with * and ? wildcards
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
func MatchAction(pattern, action string) bool {
	p := compilePattern(pattern, true, false)
	return p.match(action, true, nil)
}

// MatchResource reports whether arn matches pattern the way the Resource
// element and ArnLike do: per ARN segment, case-sensitively, with * and ?
// wildcards that stay inside their segment (except the last, which keeps its
// colons). "arn:aws:bedrock:*::foundation-model/X" therefore also matches the
// region-less global ARN "arn:aws:bedrock:::foundation-model/X". Policy
// variables are not substituted.
func MatchResource(pattern, arn string) bool {
	p := compileARN(pattern, false)
	return p.match(arn, nil)
}
