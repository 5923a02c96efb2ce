package iampolicy_test

import (
	"fmt"

	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// A role may invoke Claude models, but its organization denies every
// Region except us-east-1. The request is routed to us-west-2 by a
// cross-Region inference profile, so the SCP denies it.
func ExampleEvaluate() {
	identity := iampolicy.MustParse(`{
	  "Version": "2012-10-17",
	  "Statement": [{
	    "Effect": "Allow",
	    "Action": "bedrock:InvokeModel*",
	    "Resource": "arn:aws:bedrock:*::foundation-model/anthropic.claude-*"
	  }]
	}`)
	regions := iampolicy.MustParse(`{
	  "Version": "2012-10-17",
	  "Statement": [
	    {"Effect": "Allow", "Action": "*", "Resource": "*"},
	    {"Sid": "DenyOtherRegions", "Effect": "Deny", "Action": "*", "Resource": "*",
	     "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}}
	  ]
	}`)
	req := iampolicy.Request{
		Principal: iampolicy.Principal{
			ARN:     "arn:aws:sts::111122223333:assumed-role/App/session",
			RoleARN: "arn:aws:iam::111122223333:role/App",
			Account: "111122223333",
		},
		Action:   "bedrock:InvokeModel",
		Resource: "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0",
		Context:  map[string][]string{"aws:RequestedRegion": {"us-west-2"}},
	}
	set := iampolicy.PolicySet{
		Identity: []iampolicy.NamedPolicy{{Name: "role/App/inline/bedrock", Type: iampolicy.TypeIdentity, Policy: identity}},
		SCPs:     [][]iampolicy.NamedPolicy{{{Name: "p-regions", Type: iampolicy.TypeSCP, Policy: regions}}},
	}
	r := iampolicy.Evaluate(req, set)
	fmt.Println("explicit deny:", r.Decision == iampolicy.ExplicitDeny)
	fmt.Println("blocked by:", r.Blocked)
	for _, m := range r.Denies() {
		fmt.Printf("denied by %s statement %d (%s)\n", m.Policy, m.Index, m.Sid)
	}
	// Output:
	// explicit deny: true
	// blocked by: [service control policy]
	// denied by p-regions statement 1 (DenyOtherRegions)
}

// IAM returns policy documents URL-encoded; Parse takes them as they come.
func ExampleParse() {
	p, err := iampolicy.Parse("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22111122223333%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%7D")
	fmt.Println(p, err)

	_, err = iampolicy.Parse(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Condition": {"StringLike": "x"}}]}`)
	fmt.Println(err)
	// Output:
	// {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333"]},"Action":["sts:AssumeRole"]}]} <nil>
	// malformed policy: Statement[0].Condition.StringLike: must be an object of condition keys, not a string
}
