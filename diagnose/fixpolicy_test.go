package diagnose

import (
	"encoding/json"
	"testing"

	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// TestPolicyJSON: every form a fix policy takes is valid JSON that IAM's
// grammar (our parser) accepts, with the values in place.
func TestPolicyJSON(t *testing.T) {
	doc := policyJSON(
		statement{Effect: "Allow", Action: []string{"bedrock:InvokeModel"}, Resource: []string{"arn:aws:bedrock:us-east-1:1:inference-profile/us.x"}},
		statement{Effect: "Allow", Action: []string{"bedrock:InvokeModel"}, Resource: []string{"arn:aws:bedrock:us-east-1::foundation-model/x", "arn:aws:bedrock:us-west-2::foundation-model/x"},
			Condition: map[string]map[string]string{"StringEquals": {"bedrock:InferenceProfileArn": "arn:aws:bedrock:us-east-1:1:inference-profile/us.x"}}},
		statement{Effect: "Allow", Principal: "arn:aws:iam::1:user/\"odd\"", Action: []string{"sts:AssumeRole", "sts:TagSession"}},
	)
	var v struct {
		Version   string
		Statement []struct {
			Effect    string
			Principal map[string]string
			Action    any
			Resource  any
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, doc)
	}
	if len(v.Statement) != 3 || v.Statement[2].Principal["AWS"] != `arn:aws:iam::1:user/"odd"` ||
		v.Statement[1].Condition["StringEquals"]["bedrock:InferenceProfileArn"] == "" {
		t.Errorf("values lost:\n%s", doc)
	}
	if _, err := iampolicy.Parse(doc); err != nil {
		t.Errorf("IAM grammar rejects the fix policy: %v\n%s", err, doc)
	}
	if policyJSON() != "" {
		t.Errorf("no statement should render nothing")
	}
}
