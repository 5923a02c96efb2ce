package diagnose_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// TestRemoteTextIsUntrusted: an AWS answer carrying terminal escapes,
// newlines and a megabyte of text yields a one-line, capped Error() and a
// report whose fields hold no control characters, while the wrapped error
// keeps the text exactly.
func TestRemoteTextIsUntrusted(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	const session = "arn:aws:sts::222222222222:assumed-role/BedrockAccess/s"
	hostile := "User: " + session + " is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/" + haiku +
		" because no identity-based policy allows the bedrock:InvokeModel action\n\x1b[2J\x1b[31mINJECTED\r\n" + strings.Repeat("A", 1<<20)
	wd := build(t, healthy(), tierFull)
	wd.srv.Script("bedrock-runtime", "Converse", awsfake.Respond{Status: 403, Code: "AccessDeniedException", Message: hostile})
	err := wd.call(t, healthy(), tierFull, "Converse", haiku)
	var derr *diagnose.Error
	if !errors.As(err, &derr) {
		t.Fatalf("not diagnosed: %v", err)
	}
	line := derr.Error()
	if strings.ContainsAny(line, "\n\r\x1b") {
		t.Errorf("Error() carries control characters")
	}
	if len(line) > 16<<10 {
		t.Errorf("Error() is %d bytes: not capped", len(line))
	}
	if !strings.Contains(derr.Unwrap().Error(), hostile) {
		t.Errorf("the wrapped error lost the original text")
	}
	js, _ := json.Marshal(derr.Report)
	var fields map[string]any
	_ = json.Unmarshal(js, &fields)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case string:
			for _, r := range x {
				if unicode.IsControl(r) && r != '\n' {
					t.Errorf("report %s holds control character %q", path, r)
					return
				}
			}
			if path != ".fix_policy" && strings.Contains(x, "\n") {
				t.Errorf("report %s holds a newline", path)
			}
			if len(x) > 64<<10 {
				t.Errorf("report %s is %d bytes: remote text not capped", path, len(x))
			}
		case map[string]any:
			for k, e := range x {
				walk(path+"."+k, e)
			}
		case []any:
			for _, e := range x {
				walk(path+"[]", e)
			}
		}
	}
	walk("", fields)
	if derr.Layer() != diagnose.LayerRolePermissions {
		t.Errorf("layer = %s", derr.Layer())
	}
}
