package awsfake

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func TestScript(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// An error the policies would never produce.
	f.s.Script("sts", "AssumeRole", Respond{Status: 403, Code: "AccessDenied", Message: "User: x is not authorized to perform: sts:AssumeRole on resource: y because no role trust policy allows the sts:AssumeRole action", Times: 1})
	_, err := sts.NewFromConfig(f.cfg(f.appKey)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("sess")})
	apiErr(t, err, "AccessDenied", "User: x is not authorized to perform: sts:AssumeRole on resource: y because no role trust policy allows the sts:AssumeRole action", 403)
	// Times ran out: the world answers again.
	if _, err := sts.NewFromConfig(f.cfg(f.appKey)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("sess")}); err != nil {
		t.Fatalf("after the script: %v", err)
	}
	// A canned Allow overrides the policies: the app user has no Bedrock grant.
	f.s.Script("bedrock-runtime", "Converse", Respond{Allow: true})
	if _, err := converse(f.cfg(f.appKey), haiku); err != nil {
		t.Fatalf("scripted allow: %v", err)
	}
	// Model errors still apply after a canned allow.
	_, err = converse(f.cfg(f.appKey), sonnet)
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Errorf("scripted allow on a profile-only id: %v", err)
	}
	f.s.Script("bedrock-runtime", "InvokeModel", Respond{Status: 424, Code: "ModelErrorException", Message: "model failed"})
	_, err = bedrockruntime.NewFromConfig(f.roleCfg()).InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String(haiku), Body: []byte("{}")})
	var me *types.ModelErrorException
	if !errors.As(err, &me) || me.ErrorMessage() != "model failed" {
		t.Errorf("scripted modeled error: %v", err)
	}
	log := f.s.Log()
	if e := log[0]; e.Service != "sts" || e.Action != "AssumeRole" || e.Decision != "scripted" || e.Status != 403 || e.ErrorCode != "AccessDenied" {
		t.Errorf("log entry %+v", e)
	}
}

func TestFaults(t *testing.T) {
	f := newFixture(t)
	cfg := f.cfg(f.session(t))
	ctx := context.Background()
	tests := []struct {
		name  string
		fault Fault
		check func(t *testing.T, err error, took time.Duration)
	}{
		{"throttling", Fault{Status: 429, Code: "ThrottlingException", Message: "Too many requests, please wait before trying again."}, func(t *testing.T, err error, _ time.Duration) {
			apiErr(t, err, "ThrottlingException", "Too many requests, please wait before trying again.", 429)
		}},
		{"service unavailable", Fault{Status: 503, Code: "ServiceUnavailableException", Message: "Bedrock is unable to process your request."}, func(t *testing.T, err error, _ time.Duration) {
			var su *types.ServiceUnavailableException
			if !errors.As(err, &su) {
				t.Errorf("got %v", err)
			}
		}},
		{"latency", Fault{Latency: 150 * time.Millisecond}, func(t *testing.T, err error, took time.Duration) {
			if err != nil || took < 150*time.Millisecond {
				t.Errorf("err %v after %v", err, took)
			}
		}},
		{"malformed body", Fault{Malformed: true}, func(t *testing.T, err error, _ time.Duration) {
			var ae smithy.APIError
			if err == nil || errors.As(err, &ae) {
				t.Errorf("got %v, want a deserialization error", err)
			}
		}},
		{"dropped connection", Fault{Drop: true}, func(t *testing.T, err error, _ time.Duration) {
			if err == nil || !strings.Contains(err.Error(), "EOF") {
				t.Errorf("got %v, want a transport EOF", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.s.ClearScripts()
			f.s.InjectFault("bedrock-runtime", "Converse", tt.fault)
			start := time.Now()
			_, err := converse(cfg, haiku)
			tt.check(t, err, time.Since(start))
		})
	}
	f.s.ClearScripts()
	f.s.InjectFault("sts", "*", Fault{Status: 500, Code: "InternalFailure", Message: "boom", Times: 1})
	_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, nil)
	apiErr(t, err, "InternalFailure", "boom", 500)
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, nil); err != nil {
		t.Errorf("fault did not run out: %v", err)
	}
}

func TestUnknownOperations(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// awsQuery: an action the fake does not serve.
	_, err := sts.NewFromConfig(f.cfg(f.appKey)).GetSessionToken(ctx, nil)
	apiErr(t, err, "InvalidAction", "Could not find operation GetSessionToken for version 2011-06-15", 400)
	// restJson1: a path nobody serves.
	_, err = bedrockruntime.NewFromConfig(f.cfg(f.appKey)).GetAsyncInvoke(ctx, &bedrockruntime.GetAsyncInvokeInput{InvocationArn: aws.String("arn:aws:bedrock:us-east-1:111111111111:async-invoke/x")})
	apiErr(t, err, "UnknownOperationException", "", 404)
}

// TestBearerToken: a Bedrock API key over TLS maps to its user.
func TestBearerToken(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	w := NewWorld()
	w.Model(FoundationModel{ID: haiku, Provider: "Anthropic", Regions: []string{"us-east-1"}, OnDemand: true})
	u := w.Account(srcAcct).User("keyholder").Inline("invoke", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"}]}`)
	tok := u.BearerToken()
	s := NewTLSServer(w)
	defer s.Close()
	cfg := s.BearerConfig("us-east-1", tok)
	if _, err := converse(cfg, haiku); err != nil {
		t.Fatal(err)
	}
	if e := s.Log()[0]; e.Caller != "arn:aws:iam::111111111111:user/keyholder" {
		t.Errorf("caller %q", e.Caller)
	}
	_, err := converse(s.BearerConfig("us-east-1", "ABSKnotissued"), haiku)
	apiErr(t, err, "UnrecognizedClientException", "The security token included in the request is invalid.", 403)
}

// TestConcurrentLog drives the server from many goroutines (run with -race).
func TestConcurrentLog(t *testing.T) {
	f := newFixture(t)
	cfg := f.cfg(f.session(t))
	f.s.ResetLog()
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := converse(cfg, haiku); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	log := f.s.Log()
	if len(log) != 16 {
		t.Fatalf("%d entries, want 16", len(log))
	}
	for _, e := range log {
		if e.Status != 200 || e.Decision != "allow" || e.Action != "Converse" || e.RequestID == "" || e.Attempt != "attempt=1; max=1" {
			t.Errorf("entry %+v", e)
		}
	}
}

func TestResponseHeaders(t *testing.T) {
	f := newFixture(t)
	resp, err := http.Post(f.s.URL+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("X-Amzn-Requestid") == "" {
		t.Error("no x-amzn-RequestId")
	}
	d, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil || time.Since(d) > time.Minute {
		t.Errorf("Date %q (%v)", resp.Header.Get("Date"), err)
	}
	if resp.StatusCode != 403 || resp.Header.Get("Content-Type") != "text/xml" {
		t.Errorf("unsigned request: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
