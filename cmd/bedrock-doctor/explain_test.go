package main

import (
	"testing"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// TestExplainNotAccessExit: explain exits 0 for a text that is not an
// access error at all (the report's not_access), 3 only when it could not
// decide, 1 when it names a layer; the JSON says which without matching
// words.
func TestExplainNotAccessExit(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		layer     diagnose.Layer
		notAccess bool
		code      int
	}{
		{"quota", "operation error Bedrock Runtime: Converse, https response error StatusCode: 400, RequestID: 1, ServiceQuotaExceededException: Your request exceeds the service quota for your account.", diagnose.LayerUnknown, true, exitOK},
		{"service fault", "An error occurred (ServiceUnavailableException) when calling the InvokeModel operation (reached max retries: 4): Bedrock is unable to process your request.", diagnose.LayerUnknown, true, exitOK},
		{"bad request body", "ValidationException: A conversation must start with a user message. Try again with a conversation that starts with a user message.", diagnose.LayerUnknown, true, exitOK},
		{"no network", "operation error Bedrock Runtime: Converse, https response error, dial tcp: lookup bedrock-runtime.us-east-1.amazonaws.com: no such host", diagnose.LayerUnknown, true, exitOK},
		{"unreadable text is undecided", "segmentation fault (core dumped)", diagnose.LayerUnknown, false, exitUndecided},
		{"invalid id without a region is undecided", "ValidationException: The provided model identifier is invalid.", diagnose.LayerUnknown, false, exitUndecided},
		{"profile outside its geography", "POST https://bedrock-runtime.eu-west-3.amazonaws.com/model/us.anthropic.claude-sonnet-4-6/converse 400 The provided model identifier is invalid.", diagnose.LayerRegion, false, exitDenied},
		{"web identity refused", "An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation: Not authorized to perform sts:AssumeRoleWithWebIdentity", diagnose.LayerTrustPolicy, false, exitDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, nil, "", "explain", "--json", tt.text)
			if r.code != tt.code {
				t.Errorf("exit code = %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			rep := reportOf(t, r)
			if rep.Layer != tt.layer || rep.NotAccess != tt.notAccess {
				t.Errorf("layer %s not_access %v, want %s %v", rep.Layer, rep.NotAccess, tt.layer, tt.notAccess)
			}
			// The text form exits the same way.
			if r := runCLI(t, nil, tt.text+"\n", "explain", "-"); r.code != tt.code {
				t.Errorf("text form: exit code = %d, want %d", r.code, tt.code)
			}
		})
	}
}
