package bedrockotel

import (
	"context"
	"errors"

	"github.com/aws/smithy-go/middleware"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// MiddlewareID is the stable ID of this package's middleware in the
// Initialize step.
const MiddlewareID = "bedrockdoctor.OTel"

// otelawsSpanID is the ID of the otelaws middleware that starts and ends
// the call's span (otelaws' initializeMiddlewareAfter).
const otelawsSpanID = "OTelInitializeMiddlewareAfter"

// Span attribute keys, stable: dashboards and alerts filter on them.
const (
	// LayerKey is the layer that denies: a diagnose.Layer, e.g.
	// "role-permissions".
	LayerKey = attribute.Key("bedrockdoctor.layer")
	// CheckKey is the failing check that proved the layer, e.g.
	// "role-permissions.simulate" (or "message.parse" when only the error's
	// text did); absent when no check failed.
	CheckKey = attribute.Key("bedrockdoctor.check")
	// SummaryKey is the report's one-line summary.
	SummaryKey = attribute.Key("bedrockdoctor.summary")
	// FixKey is what to change, in words.
	FixKey = attribute.Key("bedrockdoctor.fix")
	// CandidatesKey lists the other layers the evidence leaves open.
	CandidatesKey = attribute.Key("bedrockdoctor.candidates")
)

// Keys that only the event carries.
const (
	PrincipalKey     = attribute.Key("bedrockdoctor.principal")
	ActionKey        = attribute.Key("bedrockdoctor.action")
	ResourceKey      = attribute.Key("bedrockdoctor.resource")
	FixPolicyKey     = attribute.Key("bedrockdoctor.fix_policy")
	FailedChecksKey  = attribute.Key("bedrockdoctor.checks.failed")
	UnknownChecksKey = attribute.Key("bedrockdoctor.checks.unknown")
)

// EventName is the name of the span event that carries the verdict.
const EventName = "bedrockdoctor.diagnosis"

// Option configures [AppendMiddlewares].
type Option func(*config)

type config struct {
	redact bool
}

// WithRedaction masks account ids and the names in IAM and STS ARNs in
// every recorded value (diagnose.Redact), for traces that leave the
// accounts' owners.
func WithRedaction() Option {
	return func(c *config) { c.redact = true }
}

// AppendMiddlewares adds the middleware that records the verdict to
// apiOptions, the SDK's list of stack functions (aws.Config.APIOptions or
// bedrockruntime.Options.APIOptions). Call it after otelaws.AppendMiddlewares
// and after the diagnosis is added (see the package documentation); it is
// added once per stack however often it is applied.
func AppendMiddlewares(apiOptions *[]func(*middleware.Stack) error, opts ...Option) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	r := &recorder{config: c}
	*apiOptions = append(*apiOptions, r.install)
}

// recorder is the middleware; one value per AppendMiddlewares call, shared
// by every operation: the success path allocates nothing.
type recorder struct {
	config
}

var _ middleware.InitializeMiddleware = (*recorder)(nil)

// ID implements middleware.InitializeMiddleware.
func (*recorder) ID() string { return MiddlewareID }

// install places the recorder right inside otelaws' span and moves the
// diagnosis right inside the recorder. Without otelaws, the recorder goes
// just outside the diagnosis (or first), where the context's span is the
// caller's.
func (r *recorder) install(stack *middleware.Stack) error {
	step := stack.Initialize
	if _, ok := step.Get(MiddlewareID); ok {
		return nil
	}
	diag, hasDiag := step.Get(client.MiddlewareID)
	if _, ok := step.Get(otelawsSpanID); !ok {
		if hasDiag {
			return step.Insert(r, client.MiddlewareID, middleware.Before)
		}
		return step.Add(r, middleware.Before)
	}
	if err := step.Insert(r, otelawsSpanID, middleware.After); err != nil {
		return err
	}
	if !hasDiag {
		return nil
	}
	if _, err := step.Remove(client.MiddlewareID); err != nil {
		return err
	}
	return step.Insert(diag, MiddlewareID, middleware.After)
}

// HandleInitialize implements middleware.InitializeMiddleware.
func (r *recorder) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	out middleware.InitializeOutput, metadata middleware.Metadata, err error,
) {
	out, metadata, err = next.HandleInitialize(ctx, in)
	if err == nil {
		return out, metadata, nil
	}
	var derr *diagnose.Error
	if !errors.As(err, &derr) || derr.Report == nil {
		return out, metadata, err
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		r.record(span, derr.Report)
	}
	return out, metadata, err
}

// record sets the verdict's attributes on span and adds the event.
func (r *recorder) record(span trace.Span, rep *diagnose.Report) {
	attrs := r.attributes(rep)
	span.SetAttributes(attrs...)

	event := append([]attribute.KeyValue(nil), attrs...)
	str := func(k attribute.Key, v string) {
		if v != "" {
			event = append(event, k.String(r.text(v)))
		}
	}
	str(PrincipalKey, rep.Principal)
	str(ActionKey, rep.Action)
	str(ResourceKey, rep.Resource)
	str(FixPolicyKey, rep.FixPolicy)
	var failed, unknown []string
	for _, c := range rep.Checks {
		switch c.Status {
		case diagnose.StatusFail:
			failed = append(failed, c.Name)
		case diagnose.StatusUnknown:
			unknown = append(unknown, c.Name)
		}
	}
	if len(failed) > 0 {
		event = append(event, FailedChecksKey.StringSlice(failed))
	}
	if len(unknown) > 0 {
		event = append(event, UnknownChecksKey.StringSlice(unknown))
	}
	span.AddEvent(EventName, trace.WithAttributes(event...))
}

// attributes returns the span attributes for rep: layer, deciding check,
// summary, fix and candidates.
func (r *recorder) attributes(rep *diagnose.Report) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 5)
	attrs = append(attrs, LayerKey.String(string(rep.Layer)))
	if c := decidingCheck(rep); c != "" {
		attrs = append(attrs, CheckKey.String(c))
	}
	if rep.Summary != "" {
		attrs = append(attrs, SummaryKey.String(r.text(rep.Summary)))
	}
	if rep.Fix != "" {
		attrs = append(attrs, FixKey.String(r.text(rep.Fix)))
	}
	if len(rep.Candidates) > 0 {
		names := make([]string, len(rep.Candidates))
		for i, l := range rep.Candidates {
			names[i] = string(l)
		}
		attrs = append(attrs, CandidatesKey.StringSlice(names))
	}
	return attrs
}

func (r *recorder) text(s string) string {
	if r.redact {
		return diagnose.Redact(s)
	}
	return s
}

// decidingCheck names the check that proved the verdict: the first failing
// check of the verdict's layer that read AWS (a check beats the error's own
// text, diagnose.CheckMessageParse), else the reading of the text, else the
// first failing check; "" when none failed.
func decidingCheck(rep *diagnose.Report) string {
	var text, other string
	for _, c := range rep.Checks {
		switch {
		case c.Status != diagnose.StatusFail:
		case c.Layer == rep.Layer && c.Name != diagnose.CheckMessageParse:
			return c.Name
		case c.Layer == rep.Layer && text == "":
			text = c.Name
		case other == "":
			other = c.Name
		}
	}
	if text != "" {
		return text
	}
	return other
}
