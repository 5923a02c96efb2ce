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
