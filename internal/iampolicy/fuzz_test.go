package iampolicy

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics, that every error wraps
// ErrMalformed, and that the canonical form is a fixed point: it parses back
// to an equal policy and prints identically.
func FuzzParse(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"bedrock:InvokeModel*","Resource":"arn:aws:bedrock:*::foundation-model/*"}}`)
	f.Add(`%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A111111111111%3Aroot%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D`)
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := Parse(doc)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		s := p.String()
		q, err := Parse(s)
		if err != nil {
			t.Fatalf("canonical form does not parse: %v\n%s", err, s)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip changed the policy\n in: %s\nout: %s", doc, s)
		}
		if q.String() != s {
			t.Fatalf("canonical form is not stable\n%s\n%s", s, q.String())
		}
	})
}

// FuzzMatch compares the matcher with a second, deliberately simple
// implementation: a regular expression built from the pattern, per ARN
// segment for resources.
func FuzzMatch(f *testing.F) {
	f.Add("bedrock:InvokeModel*", "bedrock:invokemodelwithresponsestream")
	f.Add("arn:aws:bedrock:*::foundation-model/*", "arn:aws:bedrock:::foundation-model/a:b")
	f.Add("arn:aws:s3:::b?c*d", "arn:aws:s3:::bxcyyd")
	f.Add("a*b*c", "aXbYbZc")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if !utf8.ValidString(pattern) || !utf8.ValidString(s) {
			return
		}
		if got, want := MatchAction(pattern, s), globRegexp(pattern, true).MatchString(s); got != want {
			t.Fatalf("MatchAction(%q, %q) = %v, regexp says %v", pattern, s, got, want)
		}
		if got, want := MatchResource(pattern, s), refMatchResource(pattern, s); got != want {
			t.Fatalf("MatchResource(%q, %q) = %v, reference says %v", pattern, s, got, want)
		}
	})
}

func globRegexp(pattern string, fold bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s")
	if fold {
		b.WriteString("i")
	}
	b.WriteString(")^")
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func refMatchResource(pattern, arn string) bool {
	if !strings.HasPrefix(pattern, "arn:") {
		return globRegexp(pattern, false).MatchString(arn)
	}
	ps := strings.SplitN(pattern, ":", 6)
	as := strings.SplitN(arn, ":", len(ps))
	if len(as) < len(ps) {
		return false
	}
	for i := range ps {
		if !globRegexp(ps[i], false).MatchString(as[i]) {
			return false
		}
	}
	return true
}

// FuzzEvaluate checks that evaluation never panics whatever the policy and
// request, and that the result is self-consistent: an Allow has nothing
// blocked, a deny names at least one blocking type.
func FuzzEvaluate(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":"a*"}}}}`,
		"s3:GetObject", "arn:aws:s3:::b/alice/x", "aws:TagKeys", "abc", "222222222222")
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}}`,
		"sts:AssumeRole", "arn:aws:iam::222222222222:role/R", "sts:ExternalId", "x", "222222222222")
	f.Fuzz(func(t *testing.T, doc, action, resource, key, value, resourceAccount string) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		principals := []Principal{
			{ARN: "arn:aws:sts::111111111111:assumed-role/App/s1", RoleARN: "arn:aws:iam::111111111111:role/App", UniqueID: "AROAEXAMPLE", Account: "111111111111", OrgID: "o-abc", Tags: map[string]string{"team": value}},
			{ARN: "arn:aws:iam::111111111111:user/alice", UniqueID: "AIDAEXAMPLE", Account: "111111111111"},
			{ARN: "arn:aws:iam::111111111111:root", Account: "111111111111"},
			{ARN: "bedrock.amazonaws.com"},
			{},
		}
		np := func(typ PolicyType) NamedPolicy { return NamedPolicy{Name: string(typ), Type: typ, Policy: p} }
		sets := []PolicySet{
			{Identity: []NamedPolicy{np(TypeIdentity)}},
			{Identity: []NamedPolicy{np(TypeIdentity)}, Resource: []NamedPolicy{np(TypeResource)}},
			{Resource: []NamedPolicy{np(TypeTrust)}, SCPs: [][]NamedPolicy{{np(TypeSCP)}}, RCPs: [][]NamedPolicy{{np(TypeRCP)}}},
			{Identity: []NamedPolicy{np(TypeIdentity)}, Boundary: &NamedPolicy{Name: "b", Type: TypeBoundary, Policy: p},
				Session: []NamedPolicy{np(TypeSession)}, Endpoint: &NamedPolicy{Name: "e", Type: TypeVPCEndpoint, Policy: p}},
		}
		for _, pr := range principals {
			for _, set := range sets {
				req := Request{Principal: pr, Action: action, Resource: resource, ResourceAccount: resourceAccount,
					Context: map[string][]string{key: {value}}}
				r := Evaluate(req, set)
				switch {
				case r.Decision == Allow && len(r.Blocked) != 0:
					t.Fatalf("allow with blocked types %v", r.Blocked)
				case r.Decision != Allow && len(r.Blocked) == 0:
					t.Fatalf("%v without a blocking type", r.Decision)
				case r.Decision != Allow && r.Decision != ImplicitDeny && r.Decision != ExplicitDeny:
					t.Fatalf("decision %d", r.Decision)
				}
			}
		}
	})
}

// FuzzOpen checks three-valued evaluation against brute force: whatever the
// policies and the request, an open evaluation equals the closed one apart
// from its open fields, and when it says the outcome is determined, every
// closed evaluation with the unknown keys filled in (each absent, or set to
// a value the policies compare it with, or to the fuzzed value) allows or
// denies alike; so does every type it says is determined.
func FuzzOpen(f *testing.F) {
	const vpceAllow = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"bedrock:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}}`
	const ipDeny = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"},"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`
	f.Add(vpceAllow, ipDeny, "bedrock:InvokeModel", "arn:aws:bedrock:us-east-1::foundation-model/m", "aws:RequestedRegion", "us-east-1", uint8(0))
	f.Add(vpceAllow, ipDeny, "bedrock:InvokeModel", "arn:aws:bedrock:us-east-1::foundation-model/m", "aws:RequestedRegion", "us-west-2", uint8(1))
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:GetObject","Resource":["arn:aws:s3:::b/${aws:PrincipalTag/team}/*","arn:aws:s3:::b/${aws:SourceVpce, 'x'}"]},{"Effect":"Deny","Principal":"*","NotAction":"s3:List*","NotResource":"arn:aws:s3:::b/${aws:PrincipalOrgID}/*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalTag/team":"${aws:CalledVia}"}}}]}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"aws:PrincipalOrgID":"false"},"ForAnyValue:StringLike":{"aws:CalledVia":"athena.*"}}}}`,
		"s3:GetObject", "arn:aws:s3:::b/ml/x", "", "ml", uint8(2))
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"StringEquals":{"sts:ExternalId":"e"}}}}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:PrincipalTag/team":"ml"}}}}`,
		"sts:AssumeRole", "arn:aws:iam::222222222222:role/R", "sts:ExternalId", "e", uint8(7))
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:PrincipalTag/team}/*"}}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:ResourceTag/owner":"${aws:PrincipalTag/team}*"}}}}`,
		"s3:GetObject", "arn:aws:s3:::b/ml/x", "aws:ResourceTag/owner", "ml", uint8(0))
	f.Fuzz(func(t *testing.T, doc1, doc2, action, resource, key, value string, flags uint8) {
		p1, err := Parse(doc1)
		if err != nil {
			return
		}
		p2, err := Parse(doc2)
		if err != nil {
			p2 = p1
		}
		pr := Principal{ARN: "arn:aws:sts::111111111111:assumed-role/App/s1", RoleARN: "arn:aws:iam::111111111111:role/App", UniqueID: "AROAEXAMPLE", Account: "111111111111"}
		if flags&1 != 0 {
			pr.OrgID = "o-abc"
		}
		if flags&2 != 0 {
			pr.Tags = map[string]string{}
			if flags&4 != 0 {
				pr.Tags["team"] = value
			}
		}
		switch flags >> 6 {
		case 1:
			pr = Principal{ARN: "arn:aws:iam::111111111111:user/alice", UniqueID: "AIDAEXAMPLE", Account: "111111111111", Tags: pr.Tags, OrgID: pr.OrgID}
		case 2:
			pr = Principal{ARN: "bedrock.amazonaws.com"}
		}
		resourceAccount := ""
		if flags&8 != 0 {
			resourceAccount = "222222222222"
		}
		np := func(typ PolicyType, p *Policy) NamedPolicy {
			return NamedPolicy{Name: string(typ), Type: typ, Policy: p}
		}
		var set PolicySet
		switch (flags >> 4) & 3 {
		case 0:
			set = PolicySet{Identity: []NamedPolicy{np(TypeIdentity, p1)}, SCPs: [][]NamedPolicy{{np(TypeSCP, p2)}}}
		case 1:
			set = PolicySet{Identity: []NamedPolicy{np(TypeIdentity, p2)}, Resource: []NamedPolicy{np(TypeResource, p1)}}
		case 2:
			b := np(TypeBoundary, p2)
			ep := np(TypeVPCEndpoint, p1)
			set = PolicySet{Identity: []NamedPolicy{np(TypeIdentity, p1)}, Boundary: &b, Session: []NamedPolicy{np(TypeSession, p2)}, Endpoint: &ep}
		case 3:
			set = PolicySet{Identity: []NamedPolicy{np(TypeIdentity, p2)}, Resource: []NamedPolicy{np(TypeTrust, p1)},
				SCPs: [][]NamedPolicy{{np(TypeSCP, p2)}}, RCPs: [][]NamedPolicy{{np(TypeRCP, p1)}}}
		}
		ctx := map[string][]string{}
		if key != "" {
			ctx[key] = []string{value}
		}
		req := Request{Principal: pr, Action: action, Resource: resource, ResourceAccount: resourceAccount, Context: ctx, Open: true}
		open := Evaluate(req, set)
		closedReq := req
		closedReq.Open = false
		if closed := Evaluate(closedReq, set); !reflect.DeepEqual(withoutOpen(open), closed) {
			t.Fatalf("open result differs from the closed one\nopen:   %+v\nclosed: %+v", open, closed)
		}
		if open.Undetermined != (len(open.DependsOn) > 0) {
			t.Fatalf("undetermined %v with DependsOn %q", open.Undetermined, open.DependsOn)
		}
		for i := 1; i < len(open.DependsOn); i++ {
			if open.DependsOn[i-1] >= open.DependsOn[i] {
				t.Fatalf("DependsOn not sorted and unique: %q", open.DependsOn)
			}
		}

		// The unknown keys and the values worth trying for each. Which keys
		// are known is decided here again, from the contract, not by the
		// evaluator's own code.
		known := func(k string) bool {
			for c := range ctx {
				if strings.EqualFold(c, k) {
					return true
				}
			}
			for _, d := range []string{"aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalType", "aws:userid", "aws:username", "aws:PrincipalIsAWSService"} {
				if strings.EqualFold(d, k) {
					return true
				}
			}
			if strings.EqualFold(k, "aws:PrincipalOrgID") {
				return pr.OrgID != ""
			}
			if len(k) > len(principalTagPrefix) && strings.EqualFold(k[:len(principalTagPrefix)], principalTagPrefix) {
				return pr.Tags != nil
			}
			return false
		}
		var keys []string
		vals := map[string][]string{}
		addKey := func(k string) {
			if known(k) {
				return
			}
			for _, have := range keys {
				if strings.EqualFold(have, k) {
					return
				}
			}
			keys = append(keys, k)
		}
		addVars := func(p *pattern) {
			for _, k := range appendVars(nil, p) {
				addKey(k)
			}
		}
		for _, p := range []*Policy{p1, p2} {
			for i := range p.Statements {
				s := &p.Statements[i]
				for j := range s.resources {
					addVars(&s.resources[j].whole)
					for k := range s.resources[j].segs {
						addVars(&s.resources[j].segs[k])
					}
				}
				for _, c := range s.Condition {
					addKey(c.Key)
					for _, k := range c.vars {
						addKey(k)
					}
					// Each value as written, and a request value it
					// matches when that differs: a CIDR's address, a
					// pattern with its wildcards filled in.
					lk := strings.ToLower(c.Key)
					vals[lk] = append(vals[lk], c.Values...)
					for j, v := range c.Values {
						if c.op.fam == famIP {
							vals[lk] = append(vals[lk], c.cmp[j].ip.Addr().String())
						} else if strings.ContainsAny(v, "*?") {
							vals[lk] = append(vals[lk], strings.ReplaceAll(strings.ReplaceAll(v, "*", ""), "?", "a"))
						}
					}
				}
			}
		}
		if len(keys) == 0 {
			return
		}
		choices := make([][]string, len(keys))
		total := 1
		for i, k := range keys {
			choices[i] = append([]string{value}, vals[strings.ToLower(k)]...)
			if total <= 1<<20 {
				total *= len(choices[i]) + 1 // +1: absent
			}
		}
		const maxTries = 256
		rnd := uint64(len(doc1))*0x9e3779b97f4a7c15 + uint64(flags)
		for n := 0; n < total && n < maxTries; n++ {
			idx := uint64(n)
			if total > maxTries {
				rnd ^= rnd << 13
				rnd ^= rnd >> 7
				rnd ^= rnd << 17
				idx = rnd
			}
			c := map[string][]string{}
			for k, v := range ctx {
				c[k] = v
			}
			for i, k := range keys {
				radix := uint64(len(choices[i]) + 1)
				if d := idx % radix; d > 0 {
					c[k] = []string{choices[i][d-1]}
				}
				idx /= radix
			}
			r := closedReq
			r.Context = c
			got := Evaluate(r, set)
			if !open.Undetermined && (got.Decision == Allow) != (open.Decision == Allow) {
				t.Fatalf("open evaluation is determined (%v) but with context %q the decision is %v", open.Decision, c, got.Decision)
			}
			for j, tr := range open.Types {
				if !tr.Undetermined && (got.Types[j].Decision == Allow) != (tr.Decision == Allow) {
					t.Fatalf("%s is determined (%v) but with context %q it decides %v", tr.Type, tr.Decision, c, got.Types[j].Decision)
				}
			}
		}
	})
}
