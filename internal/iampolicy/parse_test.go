package iampolicy

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string // substring of the error, naming the JSON path
	}{
		{"not json", `{`, "malformed policy: invalid json"},
		{"trailing data", `{"Statement":{"Effect":"Allow","Action":"*"}} {}`, "data after the policy document"},
		{"array document", `[]`, "policy must be a json object, not an array"},
		{"unknown top-level", `{"Statement":{"Effect":"Allow","Action":"*"},"Foo":1}`, "malformed policy: Foo: unknown policy element"},
		{"bad version", `{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"*"}}`, `Version: unsupported version "2012-10-18"`},
		{"version not string", `{"Version":2012,"Statement":{"Effect":"Allow","Action":"*"}}`, "Version: must be a string"},
		{"missing statement", `{"Version":"2012-10-17"}`, "missing Statement"},
		{"empty statement list", `{"Statement":[]}`, "Statement: empty statement list"},
		{"statement scalar", `{"Statement":"x"}`, "Statement: must be an object or an array"},
		{"statement element not object", `{"Statement":[{"Effect":"Allow","Action":"*"},3]}`, "Statement[1]: statement must be an object"},
		{"unknown statement key", `{"Statement":[{"Effect":"Allow","Action":"*","Resources":"*"}]}`, "Statement[0].Resources: unknown statement element"},
		{"missing effect", `{"Statement":[{"Action":"*"}]}`, "Statement[0]: missing Effect"},
		{"bad effect", `{"Statement":[{"Effect":"allow","Action":"*"}]}`, `Statement[0].Effect: must be "Allow" or "Deny", not "allow"`},
		{"action and notaction", `{"Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:*"}}`, "Statement: both Action and NotAction"},
		{"no action", `{"Statement":{"Effect":"Allow","Resource":"*"}}`, "Statement: missing Action or NotAction"},
		{"empty action list", `{"Statement":{"Effect":"Allow","Action":[]}}`, "Statement.Action: empty list"},
		{"action not string", `{"Statement":{"Effect":"Allow","Action":["s3:Get",1]}}`, "Statement.Action[1]: must be a string, not a number"},
		{"action without service", `{"Statement":{"Effect":"Allow","Action":["s3:Get","InvokeModel"]}}`, `Statement.Action[1]: action "InvokeModel"`},
		{"resource and notresource", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}}`, "both Resource and NotResource"},
		{"principal and notprincipal", `{"Statement":{"Effect":"Allow","Action":"*","Principal":"*","NotPrincipal":"*"}}`, "both Principal and NotPrincipal"},
		{"principal bad string", `{"Statement":{"Effect":"Allow","Action":"*","Principal":"123456789012"}}`, `Statement.Principal: a string principal must be "*"`},
		{"principal unknown type", `{"Statement":{"Effect":"Allow","Action":"*","Principal":{"Group":"x"}}}`, "Statement.Principal.Group: unknown principal type"},
		{"principal empty", `{"Statement":{"Effect":"Allow","Action":"*","Principal":{}}}`, "Statement.Principal: empty principal"},
		{"condition not object", `{"Statement":[{"Effect":"Allow","Action":"*"},{"Effect":"Allow","Action":"*","Condition":[]}]}`, "Statement[1].Condition: must be an object"},
		{"unknown operator", `{"Statement":[{"Effect":"Allow","Action":"*"},{"Effect":"Allow","Action":"*","Condition":{"StringLikes":{"a:b":"x"}}}]}`, "Statement[1].Condition.StringLikes: unknown condition operator"},
		{"operator body not object", `{"Statement":[{"Effect":"Allow","Action":"*"},{"Effect":"Allow","Action":"*","Condition":{"StringLike":"x"}}]}`, "Statement[1].Condition.StringLike: must be an object of condition keys"},
		{"null with ifexists", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"NullIfExists":{"a:b":"true"}}}}`, "Statement.Condition.NullIfExists: the Null operator takes no IfExists"},
		{"condition value object", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"a:b":{"x":1}}}}}`, "Statement.Condition.StringEquals.a:b: condition value must be a string, boolean or number, not an object"},
		{"condition value null in list", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"a:b":["x",null]}}}}`, "Statement.Condition.StringEquals.a:b[1]: condition value must be"},
		{"numeric not a number", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}}`, `Statement.Condition.NumericLessThan.s3:max-keys: NumericLessThan needs a number, not "ten"`},
		{"date not a date", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"yesterday"}}}}`, "DateGreaterThan needs a date"},
		{"bool not a bool", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}}`, "Bool needs true or false"},
		{"bad cidr", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","10.0.0.300/32"]}}}}`, "IpAddress.aws:SourceIp[1]: IpAddress needs an ip address or cidr"},
		{"null two values", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"Null":{"a:b":["true","false"]}}}}`, "Null takes exactly one value"},
		{"bad url encoding", `%7B%ZZ`, "url-decode policy text"},
		{"sid not string", `{"Statement":{"Sid":1,"Effect":"Allow","Action":"*"}}`, "Statement.Sid: must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.doc)
			if err == nil {
				t.Fatalf("Parse succeeded: %s", p)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v does not wrap ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestParseForms(t *testing.T) {
	const doc = `{"Version":"2012-10-17","Id":"x","Statement":{"Sid":"A","Effect":"Allow",
		"Principal":{"AWS":"111111111111","Service":["ec2.amazonaws.com"]},
		"Action":"sts:AssumeRole",
		"Condition":{"Bool":{"aws:MultiFactorAuthPresent":true},"NumericLessThan":{"aws:MultiFactorAuthAge":3600},
		"StringEquals":{"sts:ExternalId":["e1","e2"]}}}}`
	p := MustParse(doc)
	s := p.Statements[0]
	if p.ID != "x" || s.Sid != "A" || s.Effect != "Allow" {
		t.Errorf("header fields: %+v", p)
	}
	if !reflect.DeepEqual(s.Principal.AWS, []string{"111111111111"}) || !reflect.DeepEqual(s.Principal.Service, []string{"ec2.amazonaws.com"}) {
		t.Errorf("principal %+v", s.Principal)
	}
	if !reflect.DeepEqual(s.Action, []string{"sts:AssumeRole"}) || s.Resource != nil {
		t.Errorf("action %q resource %q", s.Action, s.Resource)
	}
	var got []string
	for _, c := range s.Condition {
		got = append(got, c.Operator+" "+c.Key+" "+strings.Join(c.Values, ","))
	}
	want := []string{
		"Bool aws:MultiFactorAuthPresent true",
		"NumericLessThan aws:MultiFactorAuthAge 3600",
		"StringEquals sts:ExternalId e1,e2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("conditions\n got %q\nwant %q", got, want)
	}
	const canonical = `{"Version":"2012-10-17","Id":"x","Statement":[{"Sid":"A","Effect":"Allow","Principal":{"AWS":["111111111111"],"Service":["ec2.amazonaws.com"]},"Action":["sts:AssumeRole"],"Condition":{"Bool":{"aws:MultiFactorAuthPresent":["true"]},"NumericLessThan":{"aws:MultiFactorAuthAge":["3600"]},"StringEquals":{"sts:ExternalId":["e1","e2"]}}}]}`
	if p.String() != canonical {
		t.Errorf("String()\n got %s\nwant %s", p.String(), canonical)
	}
	// IAM returns documents "URL-encoded compliant with RFC 3986"
	// (API_Role.html); both forms parse to the same policy.
	enc := MustParse(url.QueryEscape(doc))
	if !reflect.DeepEqual(enc, p) {
		t.Errorf("url-encoded form parsed differently:\n%s\n%s", enc, p)
	}
	enc = MustParse(strings.ReplaceAll(url.PathEscape(doc), "+", "%2B"))
	if !reflect.DeepEqual(enc, p) {
		t.Errorf("path-escaped form parsed differently:\n%s\n%s", enc, p)
	}
	if bom := MustParse("\ufeff" + doc); !reflect.DeepEqual(bom, p) {
		t.Errorf("document with a byte order mark parsed differently:\n%s\n%s", bom, p)
	}
	// Operator names match case-insensitively and keep their spelling.
	lower := MustParse(`{"Statement":{"Effect":"Allow","Action":"*","Condition":{"forAnyValue:stringLikeIfExists":{"aws:TagKeys":"a*"}}}}`)
	if c := lower.Statements[0].Condition[0]; c.Operator != "forAnyValue:stringLikeIfExists" || c.op.qual != qualAny || !c.op.ifExists || !c.op.like {
		t.Errorf("lower-case operator parsed as %+v", c)
	}
	html := MustParse(`{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringLike":{"sns:Endpoint":"https://example.com/?a=1&b=<2>"}}}}`)
	if want := `{"Statement":[{"Effect":"Allow","Action":["*"],"Condition":{"StringLike":{"sns:Endpoint":["https://example.com/?a=1&b=<2>"]}}}]}`; html.String() != want {
		t.Errorf("String()\n got %s\nwant %s", html, want)
	}
	star := MustParse(`{"Statement":{"Effect":"Deny","NotPrincipal":"*","NotAction":"s3:*","NotResource":["arn:aws:s3:::b"]}}`)
	if want := `{"Statement":[{"Effect":"Deny","NotPrincipal":"*","NotAction":["s3:*"],"NotResource":["arn:aws:s3:::b"]}]}`; star.String() != want {
		t.Errorf("String()\n got %s\nwant %s", star, want)
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse did not panic on a malformed policy")
		}
	}()
	MustParse(`{}`)
}
