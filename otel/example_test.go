package bedrockotel_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	//lint:ignore SA1019 otelaws is deprecated upstream; it is the instrumentation this package records on.
	"go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-sdk-go-v2/otelaws"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	bedrockotel "github.com/bedrockdoctor/bedrockdoctor/otel"
)

// A role without bedrock:InvokeModel: the call's span, recorded here by
// the OpenTelemetry SDK's in-memory exporter, carries the verdict.
func ExampleAppendMiddlewares() {
	srv := newFakeAWS(nil) // stands in for AWS; in an application, cfg comes from config.LoadDefaultConfig
	defer srv.Close()
	cfg := configFor(srv)

	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	defer tp.Shutdown(context.Background())

	otelaws.AppendMiddlewares(&cfg.APIOptions, otelaws.WithTracerProvider(tp))
	br := client.NewFromConfig(cfg,
		client.WithDiagnosis(func(o *diagnose.Options) { o.Budget = 2 * time.Second }),
		client.WithClientOptions(func(o *bedrockruntime.Options) {
			bedrockotel.AppendMiddlewares(&o.APIOptions)
		}))

	_, err := br.Converse(context.Background(), hello())
	fmt.Println("denied:", err != nil)
	for _, span := range exporter.GetSpans() {
		if span.Name != "Bedrock Runtime.Converse" {
			continue
		}
		for _, kv := range span.Attributes {
			switch kv.Key {
			case bedrockotel.LayerKey, bedrockotel.CheckKey:
				fmt.Printf("%s: %s\n", kv.Key, kv.Value.AsString())
			}
		}
		for _, e := range span.Events {
			fmt.Println("event:", e.Name)
		}
	}
	// Output:
	// denied: true
	// bedrockdoctor.layer: role-permissions
	// bedrockdoctor.check: message.parse
	// event: bedrockdoctor.diagnosis
}
