package main

import (
	"strings"
	"testing"
	"unicode"
)

func TestValidateRoleARN(t *testing.T) {
	tests := []struct {
		arn string
		ok  bool
	}{
		{"arn:aws:iam::222222222222:role/BedrockInvoker", true},
		{"arn:aws:iam::222222222222:role/team/BedrockInvoker", true},
		{"arn:aws-cn:iam::222222222222:role/R", true},
		{"arn:aws-us-gov:iam::222222222222:role/R", true},
		{"arn:aws:iam::222222222222:role/", false},
		{"arn:aws:iam::222222222222:user/app", false},
		{"arn:aws:sts::222222222222:assumed-role/R/s", false},
		{"arn:aws:iam::22222222222a:role/R", false},
		{"arn:aws:iam:::role/R", false},
		{"arn::iam::222222222222:role/R", false},
		{"arn:aws:iam:us-east-1:222222222222:role/R", false},
		{"BedrockInvoker", false},
		{"", false},
	}
	for _, tt := range tests {
		if err := validateRoleARN(tt.arn); (err == nil) != tt.ok {
			t.Errorf("validateRoleARN(%q) = %v, want ok %v", tt.arn, err, tt.ok)
		}
	}
}

// FuzzValidateRoleARN: never panics, and what it accepts is a role ARN.
func FuzzValidateRoleARN(f *testing.F) {
	f.Add("arn:aws:iam::222222222222:role/BedrockInvoker")
	f.Add("arn:aws:iam::222222222222:user/app")
	f.Add("arn::::")
	f.Fuzz(func(t *testing.T, s string) {
		if validateRoleARN(s) != nil {
			return
		}
		if !strings.HasPrefix(s, "arn:aws") || !strings.Contains(s, ":iam::") || !strings.Contains(s, ":role/") {
			t.Errorf("accepted %q", s)
		}
	})
}

// FuzzSanitize: no control character survives, whatever a remote party
// puts in a message; sanitizeBlock keeps only newlines and tabs.
func FuzzSanitize(f *testing.F) {
	f.Add("plain")
	f.Add("esc \x1b[2J bell \a cr \r nl \n tab \t ls \u2028 nel \u0085")
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range sanitize(s) {
			if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
				t.Fatalf("sanitize(%q) kept %U", s, r)
			}
		}
		for _, r := range sanitizeBlock(s) {
			if (unicode.IsControl(r) && r != '\n' && r != '\t') || r == '\u2028' || r == '\u2029' {
				t.Fatalf("sanitizeBlock(%q) kept %U", s, r)
			}
		}
	})
}
