// Command explain reads an AWS error text (an argument, or stdin) and says
// which layer denied the call, with no AWS calls: the library's Explain,
// usable on a log line from any SDK.
//
//	go run ./examples/explain -local
//	go run ./examples/explain 'User: arn:aws:sts::222222222222:assumed-role/R/s is not authorized to perform: ...'
//	grep AccessDenied app.log | tail -1 | go run ./examples/explain
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// sample is a real denial text (an SCP region deny on a cross-Region
// inference destination), used with -local.
const sample = "operation error Bedrock Runtime: Converse, https response error StatusCode: 403, RequestID: 0f9e8d7c-0000-4000-8000-000000000000, AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/BedrockInvoker/app is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0 with an explicit deny in a service control policy: arn:aws:organizations::999999999999:policy/o-example1/service_control_policy/p-approvedregions"

func main() {
	local := flag.Bool("local", false, "explain a built-in sample text (Explain itself never calls AWS)")
	flag.Parse()

	var text string
	switch {
	case *local:
		text = sample
	case flag.NArg() > 0:
		text = strings.Join(flag.Args(), " ")
	default:
		sc := bufio.NewScanner(os.Stdin)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			text += sc.Text() + "\n"
		}
		if err := sc.Err(); err != nil {
			log.Fatal(err)
		}
	}

	r := diagnose.Explain(text)
	fmt.Println("layer:", r.Layer)
	if len(r.Candidates) > 0 {
		fmt.Println("could also be:", r.Candidates)
	}
	fmt.Println("summary:", r.Summary)
	fmt.Println("fix:", r.Fix)
}
