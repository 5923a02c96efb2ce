package bedrockotel_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go/middleware"
	//lint:ignore SA1019 otelaws is deprecated upstream; it is the instrumentation this package records on.
	"go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-sdk-go-v2/otelaws"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	bedrockotel "github.com/bedrockdoctor/bedrockdoctor/otel"
)

const (
	model    = "x"
	roleARN  = "arn:aws:iam::222222222222:role/R"
	session  = "arn:aws:sts::222222222222:assumed-role/R/s"
	spanName = "Bedrock Runtime.Converse"
)

// deniedBody is Bedrock Runtime's answer to a role without the permission,
// as AWS sends it (403, restJson1 error shape).
const deniedBody = `{"__type":"AccessDeniedException","message":"User: ` + session + ` is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/x because no identity-based policy allows the bedrock:InvokeModel action"}`

// fakeAWS answers as AWS would for an app running as the role session
// R/s, which may not invoke the model: Bedrock Runtime denies (or, with
// answer set, answers as told), STS says who the caller is, and every other
// diagnostic read (IAM, the Bedrock control plane) is denied, so those
// checks cannot run and the error's own text decides.
func fakeAWS(t testing.TB, answer func(w http.ResponseWriter) bool) *httptest.Server {
	t.Helper()
	srv := newFakeAWS(answer)
	t.Cleanup(srv.Close)
	return srv
}

// newFakeAWS is fakeAWS for an Example; the caller closes it.
func newFakeAWS(answer func(w http.ResponseWriter) bool) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Amzn-Requestid", "req-1")
		switch {
		case strings.HasPrefix(r.URL.Path, "/model/"):
			if answer != nil && answer(w) {
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, deniedBody)
		case r.URL.Path == "/" && r.Method == http.MethodPost:
			form, _ := url.ParseQuery(string(body))
			w.Header().Set("Content-Type", "text/xml")
			if form.Get("Action") == "GetCallerIdentity" {
				io.WriteString(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>`+session+`</Arn><UserId>AROAEXAMPLE:s</UserId><Account>222222222222</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
				return
			}
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: %s is not authorized to perform: %s</Message></Error><RequestId>req-3</RequestId></ErrorResponse>`, session, form.Get("Action"))
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"__type":"AccessDeniedException","message":"User: `+session+` is not authorized to perform: bedrock:GetFoundationModel"}`)
		}
	}))
}

// configFor points every client at srv, without retries.
func configFor(srv *httptest.Server) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("ASIAEXAMPLE", "secret", "token"),
		BaseEndpoint: aws.String(srv.URL),
		HTTPClient:   srv.Client(),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

func tracerProvider(t testing.TB) (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, exp
}

func quick(o *diagnose.Options) {
	o.Budget = 2 * time.Second
	o.RateLimit = -1
	o.CacheTTL = time.Nanosecond
}

func hello() *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{
		ModelId:  aws.String(model),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
	}
}

func findSpan(t *testing.T, exp *tracetest.InMemoryExporter, name string) tracetest.SpanStub {
	t.Helper()
	var names []string
	for _, s := range exp.GetSpans() {
		if s.Name == name {
			return s
		}
		names = append(names, s.Name)
	}
	t.Fatalf("no span %q among %q", name, names)
	return tracetest.SpanStub{}
}

func attrs(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := make(map[attribute.Key]attribute.Value, len(kvs))
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

// checkVerdict asserts that span carries the verdict of err's report, and
// that the verdict is role-permissions, as the world is built to deny.
func checkVerdict(t *testing.T, span tracetest.SpanStub, err error) {
	t.Helper()
	var derr *diagnose.Error
	if !errors.As(err, &derr) {
		t.Fatalf("error %v is not diagnosed", err)
	}
	rep := derr.Report
	if rep.Layer != diagnose.LayerRolePermissions {
		t.Errorf("layer %q, want role-permissions", rep.Layer)
	}
	got := attrs(span.Attributes)
	for k, want := range map[attribute.Key]string{
		bedrockotel.LayerKey:   string(diagnose.LayerRolePermissions),
		bedrockotel.SummaryKey: rep.Summary,
		bedrockotel.FixKey:     rep.Fix,
	} {
		if v, ok := got[k]; !ok || v.AsString() != want {
			t.Errorf("span attribute %s = %q (present %v), want %q", k, v.AsString(), ok, want)
		}
	}
	check := got[bedrockotel.CheckKey].AsString()
	if i := slices.IndexFunc(rep.Checks, func(c diagnose.Check) bool { return c.Name == check }); i < 0 || rep.Checks[i].Status != diagnose.StatusFail || rep.Checks[i].Layer != rep.Layer {
		t.Errorf("span attribute %s = %q, want a failing check of layer %s in %+v", bedrockotel.CheckKey, check, rep.Layer, rep.Checks)
	}
	var event *sdktrace.Event
	for i := range span.Events {
		if span.Events[i].Name == bedrockotel.EventName {
			event = &span.Events[i]
		}
	}
	if event == nil {
		t.Fatalf("no %s event among %+v", bedrockotel.EventName, span.Events)
	}
	ev := attrs(event.Attributes)
	if ev[bedrockotel.LayerKey].AsString() != string(rep.Layer) || ev[bedrockotel.PrincipalKey].AsString() != session ||
		!slices.Contains(ev[bedrockotel.FailedChecksKey].AsStringSlice(), check) {
		t.Errorf("event attributes %v lack the layer, principal %s or failed check %s", event.Attributes, session, check)
	}
}

// The drop-in client, otelaws on the config (every client of it), this
// package through WithClientOptions: the call's otelaws span carries the
// verdict, and otelaws' error status the diagnosed text.
func TestOtelawsSpanClient(t *testing.T) {
	tp, exp := tracerProvider(t)
	cfg := configFor(fakeAWS(t, nil))
	otelaws.AppendMiddlewares(&cfg.APIOptions, otelaws.WithTracerProvider(tp))

	br := client.NewFromConfig(cfg, client.WithDiagnosis(quick),
		client.WithClientOptions(func(o *bedrockruntime.Options) { bedrockotel.AppendMiddlewares(&o.APIOptions) }))
	_, err := br.Converse(context.Background(), hello())

	span := findSpan(t, exp, spanName)
	checkVerdict(t, span, err)
	if span.Status.Code != codes.Error || !strings.Contains(span.Status.Description, "; diagnosis: role-permissions") {
		t.Errorf("span status %+v, want the diagnosed error", span.Status)
	}
}

// The SDK's own constructor with AppendDiagnosis on the config.
func TestOtelawsSpanAppendDiagnosis(t *testing.T) {
	tp, exp := tracerProvider(t)
	cfg := configFor(fakeAWS(t, nil))
	otelaws.AppendMiddlewares(&cfg.APIOptions, otelaws.WithTracerProvider(tp))
	client.AppendDiagnosis(&cfg.APIOptions, cfg, quick)
	bedrockotel.AppendMiddlewares(&cfg.APIOptions)

	_, err := bedrockruntime.NewFromConfig(cfg).Converse(context.Background(), hello())
	checkVerdict(t, findSpan(t, exp, spanName), err)
}

// Without otelaws, the verdict goes on the span current in the context.
func TestCurrentSpan(t *testing.T) {
	tp, exp := tracerProvider(t)
	cfg := configFor(fakeAWS(t, nil))
	br := client.NewFromConfig(cfg, client.WithDiagnosis(quick),
		client.WithClientOptions(func(o *bedrockruntime.Options) { bedrockotel.AppendMiddlewares(&o.APIOptions) }))

	ctx, span := tp.Tracer("app").Start(context.Background(), "handle request")
	_, err := br.Converse(ctx, hello())
	span.End()
	checkVerdict(t, findSpan(t, exp, "handle request"), err)
}

// Success and errors that are not access decisions leave the span alone.
func TestLeftAlone(t *testing.T) {
	answers := map[string]func(w http.ResponseWriter) bool{
		"success": func(w http.ResponseWriter) bool {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"output":{"message":{"role":"assistant","content":[{"text":"hi"}]}},"stopReason":"end_turn","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"metrics":{"latencyMs":1}}`)
			return true
		},
		"throttling": func(w http.ResponseWriter) bool {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"__type":"ThrottlingException","message":"Too many requests, please wait before trying again."}`)
			return true
		},
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			tp, exp := tracerProvider(t)
			cfg := configFor(fakeAWS(t, answer))
			otelaws.AppendMiddlewares(&cfg.APIOptions, otelaws.WithTracerProvider(tp))
			br := client.NewFromConfig(cfg, client.WithDiagnosis(quick),
				client.WithClientOptions(func(o *bedrockruntime.Options) { bedrockotel.AppendMiddlewares(&o.APIOptions) }))
			_, err := br.Converse(context.Background(), hello())
			if name == "success" && err != nil {
				t.Fatal(err)
			}
			var derr *diagnose.Error
			if errors.As(err, &derr) {
				t.Fatalf("%s diagnosed: %v", name, err)
			}
			span := findSpan(t, exp, spanName)
			for _, kv := range span.Attributes {
				if strings.HasPrefix(string(kv.Key), "bedrockdoctor.") {
					t.Errorf("span has %s", kv.Key)
				}
			}
			if len(span.Events) != 0 {
				t.Errorf("span has events %+v", span.Events)
			}
		})
	}
}

func TestRedaction(t *testing.T) {
	tp, exp := tracerProvider(t)
	cfg := configFor(fakeAWS(t, nil))
	otelaws.AppendMiddlewares(&cfg.APIOptions, otelaws.WithTracerProvider(tp))
	br := client.NewFromConfig(cfg, client.WithDiagnosis(quick),
		client.WithClientOptions(func(o *bedrockruntime.Options) {
			bedrockotel.AppendMiddlewares(&o.APIOptions, bedrockotel.WithRedaction())
		}))
	if _, err := br.Converse(context.Background(), hello()); err == nil {
		t.Fatal("the call succeeded")
	}
	span := findSpan(t, exp, spanName)
	kvs := append([]attribute.KeyValue(nil), span.Attributes...)
	for _, e := range span.Events {
		kvs = append(kvs, e.Attributes...)
	}
	found := false
	for _, kv := range kvs {
		if strings.HasPrefix(string(kv.Key), "bedrockdoctor.") {
			found = true
			if strings.Contains(kv.Value.String(), "222222222222") {
				t.Errorf("%s = %q shows the account id", kv.Key, kv.Value.String())
			}
		}
	}
	if !found {
		t.Error("no bedrockdoctor attributes")
	}
}

// TestStackOrder: otelaws' span, then the recorder, then the diagnosis,
// whatever order the diagnosis and otelaws were added in; once per stack.
func TestStackOrder(t *testing.T) {
	otelawsFn := func(o *[]func(*middleware.Stack) error) { otelaws.AppendMiddlewares(o) }
	diagFn := func(o *[]func(*middleware.Stack) error) { client.AppendDiagnosis(o, aws.Config{}) }
	tests := []struct {
		name  string
		first []func(*[]func(*middleware.Stack) error)
		want  []string
	}{
		{"otelaws then diagnosis", []func(*[]func(*middleware.Stack) error){otelawsFn, diagFn}, []string{"OTelInitializeMiddlewareAfter", bedrockotel.MiddlewareID, client.MiddlewareID}},
		{"diagnosis then otelaws", []func(*[]func(*middleware.Stack) error){diagFn, otelawsFn}, []string{"OTelInitializeMiddlewareAfter", bedrockotel.MiddlewareID, client.MiddlewareID}},
		{"diagnosis only", []func(*[]func(*middleware.Stack) error){diagFn}, []string{bedrockotel.MiddlewareID, client.MiddlewareID}},
		{"alone", nil, []string{bedrockotel.MiddlewareID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []func(*middleware.Stack) error
			for _, add := range tt.first {
				add(&opts)
			}
			bedrockotel.AppendMiddlewares(&opts)
			bedrockotel.AppendMiddlewares(&opts) // applied twice: added once
			stack := middleware.NewStack("op", nil)
			for _, fn := range opts {
				if err := fn(stack); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			for _, id := range stack.Initialize.List() {
				if slices.Contains(tt.want, id) || id == bedrockotel.MiddlewareID {
					got = append(got, id)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Initialize order %q (all: %q), want %q", got, stack.Initialize.List(), tt.want)
			}
		})
	}
}
