package client_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/smithy-go/middleware"

	"github.com/bedrockdoctor/bedrockdoctor/client"
)

// memHTTP answers every request with a canned InvokeModel success, without
// sockets, so the benchmark measures the client stack alone.
type memHTTP struct{ body []byte }

func (m memHTTP) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{
		StatusCode:    http.StatusOK,
		Header:        http.Header{"Content-Type": {"application/json"}, "X-Amzn-Requestid": {"bench"}},
		Body:          io.NopCloser(bytes.NewReader(m.body)),
		ContentLength: int64(len(m.body)),
		Request:       r,
	}, nil
}

type noopMiddleware struct{}

func (noopMiddleware) ID() string { return "noop" }

func (noopMiddleware) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	return next.HandleInitialize(ctx, in)
}

// BenchmarkInvokeModel compares the SDK's own client (plain) with ours
// (wrapped) on the success path. Compare with benchstat over -count 20.
func BenchmarkInvokeModel(b *testing.B) {
	cfg := aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("https://bedrock-runtime.us-east-1.amazonaws.com"),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAEXAMPLEBENCH0001", "bench-secret", ""),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:   memHTTP{body: []byte(`{"completion":"ok"}`)},
	}
	input := &bedrockruntime.InvokeModelInput{
		ModelId:     aws.String(modelID),
		ContentType: aws.String("application/json"),
		Body:        []byte(`{"prompt":"hi"}`),
	}
	for _, bc := range []struct {
		name string
		c    *bedrockruntime.Client
	}{
		{"plain", bedrockruntime.NewFromConfig(cfg)},
		// noop is the floor: the SDK's own cost of one more Initialize
		// middleware, whatever it does.
		{"noop", bedrockruntime.NewFromConfig(cfg, func(o *bedrockruntime.Options) {
			o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
				return s.Initialize.Add(noopMiddleware{}, middleware.Before)
			})
		})},
		{"wrapped", client.NewFromConfig(cfg)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.c.InvokeModel(ctx, input); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
