// Package bedrockotel records bedrockdoctor's verdict on OpenTelemetry
// spans, so a denied Bedrock call shows in a trace with the layer that
// denied it, the check that decided, the summary and the fix.
//
// It is a separate module (github.com/bedrockdoctor/bedrockdoctor/otel):
// the library itself depends on the AWS SDK only, and an application that
// does not trace pays nothing for this package.
//
// # Use
//
// Like otelaws.AppendMiddlewares, [AppendMiddlewares] hooks into the SDK's
// own extension point, a list of stack functions. Add it after the
// OpenTelemetry instrumentation and after the diagnosis, so it can put
// itself between the two:
//
//	otelaws.AppendMiddlewares(&cfg.APIOptions)
//	br := client.NewFromConfig(cfg, client.WithRole(roleARN),
//		client.WithClientOptions(func(o *bedrockruntime.Options) {
//			bedrockotel.AppendMiddlewares(&o.APIOptions)
//		}))
//
// or, for code that keeps the SDK's constructor:
//
//	otelaws.AppendMiddlewares(&cfg.APIOptions)
//	client.AppendDiagnosis(&cfg.APIOptions, cfg, diagnosisOptions...)
//	bedrockotel.AppendMiddlewares(&cfg.APIOptions)
//	br := bedrockruntime.NewFromConfig(cfg)
//
// # Where the verdict goes
//
// otelaws starts the call's span in the Initialize step and ends it when
// the rest of the stack returns; the diagnosis middleware sits first in the
// same step, so by default it would see the error only after that span has
// ended. [AppendMiddlewares] therefore orders the step as otelaws' span,
// then this package's middleware, then the diagnosis: the span stays open
// while the diagnosis runs (its duration is what the application waited),
// and otelaws' error status carries the diagnosed text. (The diagnosis'
// own AWS calls are shared between callers, so they are not children of
// any one call's span.)
// Without otelaws on the stack, the verdict goes on the span current in the
// call's context, if it is recording (for example the application's own
// span around the call).
//
// On a *diagnose.Error, the span gets the attributes [LayerKey],
// [CheckKey] (the failing check that proved it, preferring a check that
// read AWS to the reading of the error's text, when one failed), [SummaryKey],
// [FixKey] and [CandidatesKey] (when the evidence leaves several layers),
// and one event, [EventName], with the same and the report's principal,
// action, resource, fix policy, failed checks and the checks that could not
// run. Other errors and successful calls are left alone. In asynchronous
// mode (diagnose.Options.OnReport) the call returns before the report is
// ready, so nothing is recorded in the call's span.
//
// The order matters: when this package's function runs before the
// diagnosis is on the stack (say, it is in cfg.APIOptions and the client is
// built by client.NewFromConfig, whose diagnosis is added after the
// config's options), the diagnosis ends up outside the span and nothing is
// recorded. Pass it through client.WithClientOptions as above.
//
// otelaws is deprecated upstream in favour of the SDK's own tracing
// (aws.Config.TracerProvider); its middleware ID is all this package relies
// on, and a span current in the context works without it.
package bedrockotel
