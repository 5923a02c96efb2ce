package bedrockid_test

import (
	"fmt"

	"github.com/bedrockdoctor/bedrockdoctor/internal/bedrockid"
)

func ExampleParse() {
	id, err := bedrockid.Parse("eu.anthropic.claude-3-haiku-20240307-v1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(id.Kind, id.GeoPrefix, id.BaseModelID)
	fmt.Println(id.ARN("aws", "eu-west-1", "111122223333"))
	fmt.Println(bedrockid.ActionFor("ConverseStream"))
	// Output:
	// inference-profile eu anthropic.claude-3-haiku-20240307-v1:0
	// arn:aws:bedrock:eu-west-1:111122223333:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0
	// bedrock:InvokeModelWithResponseStream
}
