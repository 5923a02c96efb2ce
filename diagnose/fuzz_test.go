package diagnose

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// addMessageSeeds seeds a fuzz target with every real text of
// testdata/messages (testdata/fuzz holds the corpus files go test reads on
// its own).
func addMessageSeeds(f *testing.F) {
	for _, m := range loadRealMessages(f) {
		f.Add(m.Text)
	}
	f.Add("")
	f.Add("User: ")
	f.Add("not authorized to perform")
	f.Add(`{"message":"\u0000","__type":"#"}`)
	f.Add("<Code></Code><Message>")
	f.Add("operation error : , RequestID: , : ")
}

// FuzzExplain checks that Explain never panics and keeps the report's
// invariants on any input: a documented layer, one message.parse check,
// single-line fields free of control characters, a FixPolicy that is JSON.
func FuzzExplain(f *testing.F) {
	addMessageSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		r := Explain(text)
		checkReportInvariants(t, text, r)
	})
}

// FuzzParseMessage checks that ParseMessage never panics, always classifies,
// copies its fields out of the text (never invents them) and leaves no
// control character in them.
func FuzzParseMessage(f *testing.F) {
	addMessageSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		m := ParseMessage(text)
		if m.Kind == "" {
			t.Fatal("Kind is empty")
		}
		if m.StatusCode != 0 && (m.StatusCode < 100 || m.StatusCode > 599) {
			t.Errorf("StatusCode = %d", m.StatusCode)
		}
		norm := squashSpace(strings.ToValidUTF8(text, "\uFFFD"))
		for name, v := range map[string]string{
			"Principal": m.Principal, "Action": m.Action, "Resource": m.Resource, "PolicyARN": m.PolicyARN,
			"Code": m.Code, "RequestID": m.RequestID, "Operation": m.Operation, "Service": m.Service,
			"Text": m.Text, "Region": m.Region, "ModelID": m.ModelID,
		} {
			if !utf8.ValidString(v) || strings.ContainsFunc(v, isControl) {
				t.Errorf("%s = %q: invalid UTF-8 or a control character", name, v)
			}
			// Fields are copied from the text; JSON and XML decoding may
			// unescape them, so only raw-text fields of plain inputs are
			// compared.
			if name == "Principal" || name == "Action" {
				if v != "" && !strings.Contains(norm, v) && !strings.ContainsAny(text, `\&"`) && !strings.ContainsFunc(text, isControl) {
					t.Errorf("%s = %q does not occur in the text", name, v)
				}
			}
		}
		if m.Kind == KindIAMDenied && m.Action == "" {
			t.Error("iam-denied without an action")
		}
	})
}

// TestFuzzSeedsExist keeps testdata/fuzz in step with the targets.
func TestFuzzSeedsExist(t *testing.T) {
	for _, target := range []string{"FuzzExplain", "FuzzParseMessage"} {
		files, err := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
		if err != nil || len(files) == 0 {
			t.Errorf("no seed corpus in testdata/fuzz/%s", target)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil || !strings.HasPrefix(string(b), "go test fuzz v1\n") {
				t.Errorf("%s is not a go test fuzz v1 file", f)
			}
		}
	}
}
