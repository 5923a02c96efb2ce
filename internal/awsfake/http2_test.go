package awsfake

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestProtocols: the fake answers HTTP/1.1 and HTTP/2 (h2c with prior
// knowledge on the plain server, h2 through ALPN on the TLS one), and the
// Go SDK's "host"-signed requests verify over each.
func TestProtocols(t *testing.T) {
	f := newFixture(t)
	sess := f.session(t)
	h2c := func() *http.Client {
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		return &http.Client{Transport: &http.Transport{Protocols: &p}}
	}
	tlsSrv := NewTLSServer(f.w)
	t.Cleanup(tlsSrv.Close)
	h1TLS := func() *http.Client {
		tr := tlsSrv.Client().Transport.(*http.Transport).Clone()
		tr.ForceAttemptHTTP2 = false
		tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
		return &http.Client{Transport: tr}
	}
	tests := []struct {
		name   string
		srv    *Server
		client *http.Client
		proto  string
	}{
		{"plain HTTP/1.1", f.s, f.s.Client(), "HTTP/1.1"},
		{"h2c prior knowledge", f.s, h2c(), "HTTP/2.0"},
		{"TLS h2 through ALPN", tlsSrv, tlsSrv.Client(), "HTTP/2.0"},
		{"TLS HTTP/1.1", tlsSrv, h1TLS(), "HTTP/1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.srv.ResetLog()
			cfg := tt.srv.Config("us-east-1", sess)
			cfg.HTTPClient = tt.client
			if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			if _, err := converse(cfg, haiku); err != nil {
				t.Fatal(err)
			}
			// An event stream, flushed event by event.
			out, err := bedrockruntime.NewFromConfig(cfg).ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(haiku), Messages: userMessage("hi")})
			if err != nil {
				t.Fatal(err)
			}
			events := 0
			for range out.GetStream().Events() {
				events++
			}
			if err := out.GetStream().Err(); err != nil || events != 5 {
				t.Errorf("stream: %d events, %v", events, err)
			}
			_ = out.GetStream().Close()
			for _, e := range tt.srv.Log() {
				if e.Proto != tt.proto || e.Status != 200 {
					t.Errorf("%s %s: proto %q status %d, want %s 200", e.Service, e.Action, e.Proto, e.Status, tt.proto)
				}
			}
		})
	}
	t.Run("dropped HTTP/2 stream", func(t *testing.T) {
		tlsSrv.InjectFault("bedrock-runtime", "Converse", Fault{Drop: true, Times: 1})
		if _, err := converse(tlsSrv.Config("us-east-1", sess), haiku); err == nil {
			t.Fatal("a dropped stream answered")
		}
		if _, err := converse(tlsSrv.Config("us-east-1", sess), haiku); err != nil {
			t.Fatalf("after the drop: %v", err)
		}
	})
}

// jsFixture is a request as a client that is not ours sent it, frozen.
type jsFixture struct {
	Source, Proto, Method, RequestURI, Host, Body, SecretAccessKey string
	Header                                                         http.Header
}

// TestAuthoritySigned verifies a frozen HTTP/2 request of the AWS SDK for
// JavaScript v3, which signs ":authority" in place of "host", and refuses
// it once anything signed changes.
func TestAuthoritySigned(t *testing.T) {
	raw, err := os.ReadFile("testdata/wire/js-h2-converse.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx jsFixture
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	sig, err := parseAuthorization(fx.Header.Get("Authorization"))
	if err != nil || sig == nil {
		t.Fatalf("authorization: %v", err)
	}
	if sig.signedHeaders[0] != ":authority" {
		t.Fatalf("fixture signs %v, want :authority first", sig.signedHeaders)
	}
	signedAt, _ := time.Parse("20060102T150405Z", fx.Header.Get("X-Amz-Date"))
	cred := &credential{Credentials: Credentials{AccessKeyID: sig.accessKeyID, SecretAccessKey: fx.SecretAccessKey}}
	check := func(mutate func(r *http.Request, body *string)) error {
		u, _ := url.ParseRequestURI(fx.RequestURI)
		r := &http.Request{Method: fx.Method, URL: u, RequestURI: fx.RequestURI, Host: fx.Host, Proto: fx.Proto, Header: fx.Header.Clone()}
		body := fx.Body
		if mutate != nil {
			mutate(r, &body)
		}
		c := &call{r: r, body: []byte(body), proto: protoJSON}
		return c.verifyAt(sig, cred, signedAt.Add(time.Minute))
	}
	if err := check(nil); err != nil {
		t.Fatalf("the JS SDK's HTTP/2 request does not verify: %v", err)
	}
	for name, m := range map[string]func(*http.Request, *string){
		"authority":  func(r *http.Request, _ *string) { r.Host = "127.0.0.1:1" },
		"path":       func(r *http.Request, _ *string) { r.RequestURI = strings.Replace(r.RequestURI, "haiku", "sonnet", 1) },
		"body":       func(_ *http.Request, b *string) { *b = strings.Replace(*b, "16", "17", 1) },
		"header":     func(r *http.Request, _ *string) { r.Header.Set("Amz-Sdk-Request", "attempt=2; max=3") },
		"token":      func(r *http.Request, _ *string) { r.Header.Set("X-Amz-Security-Token", "other") },
		"signed set": func(r *http.Request, _ *string) { sig.signedHeaders = sig.signedHeaders[1:] },
	} {
		saved := append([]string(nil), sig.signedHeaders...)
		if err := check(m); err == nil {
			t.Errorf("changed %s: still verifies", name)
		}
		sig.signedHeaders = saved
	}
}

// TestCanonicalRequestMatchesSDK: for requests the Go SDK's signer signs
// ("host" form), the fake's own canonical request gives the same
// signature, across paths, queries and header values that need escaping
// or folding.
func TestCanonicalRequestMatchesSDK(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	at := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	tests := []struct{ method, target, body string }{
		{"POST", "/", "Action=GetCallerIdentity&Version=2011-06-15"},
		{"POST", "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse", `{"messages":[]}`},
		{"GET", "/foundation-models/amazon.nova-lite-v1%3A0", ""},
		{"GET", "/inference-profiles?maxResults=10&type=SYSTEM_DEFINED&nextToken=a%2Bb%20c", ""},
		{"POST", "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A222222222222%3Aapplication-inference-profile%2Fabc/invoke", "{}"},
		{"GET", "/a/b%20c/~d", ""},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, "http://127.0.0.1:8080"+tt.target, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Folded", "  a   b  ")
		req.Header.Add("X-Multi", "one")
		req.Header.Add("X-Multi", "two")
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sha256Hex([]byte(tt.body)), "bedrock", "us-west-2", at); err != nil {
			t.Fatal(err)
		}
		sig, err := parseAuthorization(req.Header.Get("Authorization"))
		if err != nil {
			t.Fatal(err)
		}
		// What the server sees: the target as sent, the host apart.
		srvReq := &http.Request{Method: req.Method, RequestURI: req.URL.RequestURI(), Host: req.URL.Host, Header: req.Header, URL: req.URL}
		canonical, err := canonicalRequest(srvReq, []byte(tt.body), sig.signedHeaders)
		if err != nil {
			t.Fatal(err)
		}
		if got := signature(creds.SecretAccessKey, at.Format("20060102T150405Z"), sig.date, sig.region, sig.service, canonical); got != sig.signature {
			t.Errorf("%s %s: signature %s, the SDK's %s\ncanonical request:\n%s", tt.method, tt.target, got, sig.signature, canonical)
		}
	}
}

// TestBearerRegionFromEndpoint: a Bedrock API key carries no signing
// scope; its region is the endpoint's, as on AWS.
func TestBearerRegionFromEndpoint(t *testing.T) {
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "")
	w := NewWorld()
	w.Model(FoundationModel{ID: haiku, Provider: "Anthropic", Regions: []string{"us-east-1", "us-west-2"}, OnDemand: true})
	// The key's user may invoke in us-west-2 only.
	tok := w.Account(srcAcct).User("keyholder").Inline("invoke", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:us-west-2::foundation-model/*"}]}`).BearerToken()
	s := NewTLSServer(w)
	defer s.Close()
	if _, err := converse(s.BearerConfig("us-west-2", tok), haiku); err != nil {
		t.Fatalf("us-west-2 endpoint: %v", err)
	}
	_, err := converse(s.BearerConfig("us-east-1", tok), haiku)
	apiErr(t, err, "AccessDeniedException", "", 403)
	if u1, u2 := s.RegionURL("us-west-2"), s.RegionURL("us-west-2"); u1 != u2 || u1 == s.URL {
		t.Errorf("RegionURL: %s, %s (server %s)", u1, u2, s.URL)
	}
	log := s.Log()
	if len(log) != 2 || log[0].Region != "us-west-2" || log[1].Region != "us-east-1" {
		t.Errorf("log regions: %+v", log)
	}
	// A host naming a region, as AWS's own endpoints do.
	r := &http.Request{Host: "bedrock-runtime.eu-west-1.amazonaws.com:443", Header: http.Header{}}
	r = r.WithContext(context.Background())
	if got := s.endpointRegion(r); got != "eu-west-1" {
		t.Errorf("region of %s: %q", r.Host, got)
	}
}
