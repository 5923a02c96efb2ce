package client

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/callctx"
)

// The middleware driven without HTTP, as the SDK's own middleware tests do:
// which errors it touches, and which contexts it leaves alone.
func TestMiddlewareActsOnlyWhereItShould(t *testing.T) {
	denial := &types.AccessDeniedException{Message: aws.String("User: arn:aws:iam::111111111111:user/app is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/m because no identity-based policy allows the bedrock:InvokeModel action")}
	// The checks' calls go nowhere: an HTTP client that refuses every
	// request (no test reaches beyond loopback), so they end unknown and
	// the text's reading stands.
	cfg := aws.Config{Region: "us-east-1", HTTPClient: refuseAll{}, Retryer: func() aws.Retryer { return aws.NopRetryer{} },
		Credentials: aws.AnonymousCredentials{}}
	mw := &diagnosisMiddleware{diagnoser: diagnose.NewDiagnoser(cfg, diagnose.Options{RateLimit: -1})}
	failing := middleware.InitializeHandlerFunc(func(context.Context, middleware.InitializeInput) (middleware.InitializeOutput, middleware.Metadata, error) {
		return middleware.InitializeOutput{}, middleware.Metadata{}, denial
	})
	runtimeCtx := func(ctx context.Context) context.Context {
		ctx = awsmiddleware.SetServiceID(ctx, bedrockruntime.ServiceID)
		return awsmiddleware.SetOperationName(ctx, "InvokeModel")
	}
	cancelled, cancel := context.WithCancel(runtimeCtx(context.Background()))
	cancel()
	for _, tc := range []struct {
		name      string
		ctx       context.Context
		diagnosed bool
	}{
		{"bedrock runtime", runtimeCtx(context.Background()), true},
		{"another service", awsmiddleware.SetServiceID(context.Background(), "STS"), false},
		{"the diagnosis' own call", callctx.WithDiagnosis(runtimeCtx(context.Background())), false},
		{"caller gave up", cancelled, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := mw.HandleInitialize(tc.ctx, middleware.InitializeInput{Parameters: &bedrockruntime.InvokeModelInput{ModelId: aws.String("m")}}, failing)
			var derr *diagnose.Error
			if got := errors.As(err, &derr); got != tc.diagnosed {
				t.Errorf("diagnosed = %v, want %v (%v)", got, tc.diagnosed, err)
			}
			if !errors.Is(err, denial) {
				t.Errorf("the original error is lost: %v", err)
			}
		})
	}
}

type refuseAll struct{}

func (refuseAll) Do(*http.Request) (*http.Response, error) {
	return nil, errors.New("refused: tests reach nothing but loopback")
}

func TestMiddlewareSuccessAllocatesNothing(t *testing.T) {
	mw := &diagnosisMiddleware{diagnoser: diagnose.NewDiagnoser(aws.Config{}, diagnose.Options{})}
	ok := middleware.InitializeHandlerFunc(func(context.Context, middleware.InitializeInput) (middleware.InitializeOutput, middleware.Metadata, error) {
		return middleware.InitializeOutput{}, middleware.Metadata{}, nil
	})
	ctx := context.Background()
	in := middleware.InitializeInput{}
	if n := testing.AllocsPerRun(1000, func() { _, _, _ = mw.HandleInitialize(ctx, in, ok) }); n != 0 {
		t.Errorf("success path allocates %.0f times per call, want 0", n)
	}
}

func TestInstallOnce(t *testing.T) {
	mw := &diagnosisMiddleware{}
	stack := middleware.NewStack("InvokeModel", func() interface{} { return nil })
	for range 3 {
		if err := mw.install(stack); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, id := range stack.Initialize.List() {
		if id == MiddlewareID {
			n++
		}
	}
	if n != 1 {
		t.Errorf("middleware installed %d times", n)
	}
}
