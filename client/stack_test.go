package client_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/smithy-go/middleware"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

var update = flag.Bool("update", false, "rewrite golden files")

var errStop = errors.New("stack captured")

// TestStackGolden keeps where the middleware sits visible: a change in the
// SDK's stack or in ours is a diff of testdata/invokemodel.stack.golden.
func TestStackGolden(t *testing.T) {
	srv := newWireServer(t)
	cfg := testConfig(srv)
	var got string
	capture := func(s *middleware.Stack) error {
		got = s.String()
		return errStop
	}
	// Options applied twice and AppendDiagnosis on top: still one middleware.
	client.AppendDiagnosis(&cfg.APIOptions, cfg)
	c := client.NewFromConfig(cfg, client.WithRole(roleARN), client.WithDiagnosis(func(*diagnose.Options) {}),
		client.WithClientOptions(func(o *bedrockruntime.Options) { o.APIOptions = append(o.APIOptions, capture) }))
	_, err := c.InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{ModelId: aws.String(modelID), Body: []byte("{}")})
	if !errors.Is(err, errStop) {
		t.Fatalf("InvokeModel: %v", err)
	}
	golden := filepath.Join("testdata", "invokemodel.stack.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("stack changed (go test -update to accept):\ngot:\n%s\nwant:\n%s", got, want)
	}
}
