package awsfake

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/auth/bearer"
)

// Server is a fake AWS endpoint serving STS, IAM, the Bedrock control plane
// and Bedrock Runtime for one World, on loopback. Like httptest.Server, the
// caller owns it and must Close it.
//
// It speaks HTTP/1.1 and HTTP/2, as AWS does: HTTP/2 over TLS through ALPN
// (NewTLSServer) and unencrypted HTTP/2 with prior knowledge (NewServer),
// which is what the AWS SDK for JavaScript v3's Bedrock Runtime client
// uses by default. Both SigV4 forms verify: "host" signed (HTTP/1.1, the Go
// SDK) and ":authority" signed (HTTP/2 clients).
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:40123.
	URL   string
	World *World
	ts    *httptest.Server

	mu      sync.Mutex
	log     []LogEntry
	scripts map[string][]*Respond
	faults  map[string][]*Fault
	router  Router
	// throttle holds the account-wide token buckets (throttle.go).
	throttle throttle

	// Regional endpoints (RegionURL): region → URL, listener address →
	// region, and the listeners with their serving goroutines.
	regionURLs map[string]string
	addrRegion map[string]string
	listeners  []net.Listener
	serving    sync.WaitGroup
	closed     bool
}

// NewServer starts a plain-HTTP server for w on 127.0.0.1, speaking
// HTTP/1.1 and unencrypted HTTP/2 (h2c with prior knowledge).
func NewServer(w *World) *Server {
	s := newServer(w)
	s.ts = httptest.NewUnstartedServer(s)
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	s.ts.Config.Protocols = &p
	s.ts.Start()
	s.URL = s.ts.URL
	return s
}

// NewTLSServer starts an HTTPS server for w on 127.0.0.1, offering h2 and
// http/1.1 through ALPN; the SDK sends bearer tokens only over HTTPS, so
// tests of Bedrock API keys need it. Use Config (its HTTP client trusts the
// test certificate and speaks HTTP/2) and Certificate.
func NewTLSServer(w *World) *Server {
	s := newServer(w)
	s.ts = httptest.NewUnstartedServer(s)
	s.ts.EnableHTTP2 = true
	s.ts.TLS = &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
	s.ts.StartTLS()
	s.URL = s.ts.URL
	return s
}

func newServer(w *World) *Server {
	return &Server{World: w, scripts: map[string][]*Respond{}, faults: map[string][]*Fault{},
		regionURLs: map[string]string{}, addrRegion: map[string]string{}}
}

// Close shuts the server down, regional endpoints included, and waits for
// the requests in flight.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	ls := s.listeners
	s.listeners = nil
	s.mu.Unlock()
	for _, l := range ls {
		_ = l.Close()
	}
	s.ts.Close()
	s.serving.Wait()
}

// Client returns an HTTP client for the server (trusting its certificate and
// speaking HTTP/2 for a TLS server).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Certificate returns the TLS server's certificate (nil for a plain one),
// for clients outside the process (e.g. PEM-encoded into
// NODE_EXTRA_CA_CERTS or AWS_CA_BUNDLE).
func (s *Server) Certificate() *x509.Certificate { return s.ts.Certificate() }

// RegionURL returns another URL of the server that stands for region, as
// https://bedrock-runtime.REGION.amazonaws.com does on AWS. A request that
// carries no SigV4 scope (a Bedrock API key) is in the region of the
// endpoint it arrives at: this URL's region, or one named in a host such
// as bedrock-runtime.us-west-2.amazonaws.com; at URL it is in us-east-1.
// Signed requests are in their scope's region wherever they arrive. The
// first call for a region opens its listener on 127.0.0.1.
func (s *Server) RegionURL(region string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.regionURLs[region]; ok {
		return u
	}
	if s.closed {
		return s.URL
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("awsfake: listen for the %s endpoint: %v", region, err))
	}
	u := "http://" + l.Addr().String()
	s.addrRegion[l.Addr().String()] = region
	if s.ts.TLS != nil {
		l = tls.NewListener(l, s.ts.TLS)
		u = "https://" + l.Addr().String()
	}
	s.regionURLs[region] = u
	s.listeners = append(s.listeners, l)
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		_ = s.ts.Config.Serve(l)
	}()
	return u
}

// endpointRegion is the region of a request without a SigV4 scope: its
// regional listener's, a region in its host name, or us-east-1.
func (s *Server) endpointRegion(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		s.mu.Lock()
		region := s.addrRegion[a.String()]
		s.mu.Unlock()
		if region != "" {
			return region
		}
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	for _, label := range strings.Split(host, ".") {
		if regionLabel.MatchString(label) {
			return label
		}
	}
	return "us-east-1"
}

// regionLabel matches a region name as a host name label.
var regionLabel = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$`)

// Config returns an aws.Config whose every client talks to the server with
// the given credentials, in region, with retries off.
func (s *Server) Config(region string, c Credentials) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)),
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   s.Client(),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// BearerConfig returns an aws.Config for a TLS server whose Bedrock Runtime
// client authenticates with a bearer token (a Bedrock API key). A bearer
// request carries no signing scope: like AWS, the fake reads its region
// from the endpoint, here RegionURL(region).
func (s *Server) BearerConfig(region, token string) aws.Config {
	cfg := s.Config(region, Credentials{AccessKeyID: "AKIAUNUSEDUNUSED0000", SecretAccessKey: "unused"})
	cfg.BaseEndpoint = aws.String(s.RegionURL(region))
	cfg.BearerAuthTokenProvider = bearer.StaticTokenProvider{Token: bearer.Token{Value: token}}
	cfg.AuthSchemePreference = []string{"httpBearerAuth"}
	return cfg
}

// LogEntry is one request the server answered.
type LogEntry struct {
	Time        time.Time
	Service     string // "sts", "iam", "bedrock", "bedrock-runtime"
	Action      string // SDK operation name
	Region      string
	Caller      string // caller ARN, "" when unauthenticated
	AccessKeyID string
	Status      int
	ErrorCode   string
	// Decision is "allow", "deny", "scripted", "fault", "throttled" (see
	// SetThrottling) or "" when no authorization ran.
	Decision  string
	Resource  string // the resource a denial named
	RequestID string
	Attempt   string // amz-sdk-request header, e.g. "attempt=1; max=1"
	Proto     string // "HTTP/1.1" or "HTTP/2.0"
	// Truth is the ground truth of an authentication failure (any
	// service), an sts:AssumeRole or a Bedrock Runtime model invocation:
	// every layer that would deny the request on its own, by the
	// diagnosis' layer names ("trust-policy", "org-policy", ...), sorted;
	// nil when nothing denies it or when the answer was scripted or
	// faulted rather than computed. See Server.AppCall.
	Truth []string
}

// Log returns a copy of the request log.
func (s *Server) Log() []LogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LogEntry(nil), s.log...)
}

// ResetLog empties the request log.
func (s *Server) ResetLog() {
	s.mu.Lock()
	s.log = nil
	s.mu.Unlock()
}

// Respond scripts the answer to an API regardless of policies.
type Respond struct {
	// Status, Code and Message make the API fail with that error (in the
	// protocol's error shape).
	Status  int
	Code    string
	Message string
	// Allow, with Status 0, skips authorization: the API runs as if every
	// policy allowed it (a canned decision).
	Allow bool
	// Body, with Status 0, answers 200 with exactly these bytes and the
	// protocol's content type (text/xml for STS and IAM, application/json
	// for Bedrock and Bedrock Runtime), before authentication: a
	// well-formed but odd answer (missing fields, unknown enum values,
	// huge lists) that no world would compute, for testing what reads it.
	// For the query protocols it is the whole document, envelope included
	// (see QueryBody). Empty means unset; script whitespace for an empty
	// answer.
	Body string
	// Times limits how many requests it answers; 0 means all.
	Times int
	used  int
}

// Script makes service's action answer r until its Times run out. Scripts
// queue: the oldest live one answers first.
func (s *Server) Script(service, action string, r Respond) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := service + ":" + action
	s.scripts[k] = append(s.scripts[k], &r)
}

// Fault is a transport-level misbehaviour.
type Fault struct {
	Latency time.Duration // added before answering
	// Status with Code/Message answers an error (e.g. 429
	// ThrottlingException, 500 InternalServerException).
	Status  int
	Code    string
	Message string
	// Malformed answers 200 with a body the SDK cannot parse.
	Malformed bool
	// Drop hijacks and closes the connection without an answer.
	Drop bool
	// StreamException lets a streaming call start and then sends an
	// in-stream exception of that union member ("throttlingException",
	// "modelStreamErrorException", ...) with Message after the first event
	// (AWS.md §6.2).
	StreamException string
	Times           int // 0: every request
	used            int
}

// InjectFault makes service's action ("*" for all) misbehave.
func (s *Server) InjectFault(service, action string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := service + ":" + action
	s.faults[k] = append(s.faults[k], &f)
}

// ClearScripts removes every script and fault.
func (s *Server) ClearScripts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts = map[string][]*Respond{}
	s.faults = map[string][]*Fault{}
}

// Router picks the destination region of a cross-Region inference profile
// invocation from its destinations. The default picks the source region when
// it is a destination, else the first destination.
type Router func(profileID, sourceRegion string, destinations []string) string

// SetRouter sets the destination chooser (nil restores the default).
func (s *Server) SetRouter(r Router) {
	s.mu.Lock()
	s.router = r
	s.mu.Unlock()
}

func (s *Server) route(profileID, source string, dests []string) string {
	s.mu.Lock()
	r := s.router
	s.mu.Unlock()
	if r != nil {
		return r(profileID, source, dests)
	}
	s.World.mu.Lock()
	fixed := s.World.routes[profileID]
	s.World.mu.Unlock()
	for _, d := range dests {
		if d == fixed {
			return d
		}
	}
	for _, d := range dests {
		if d == source {
			return d
		}
	}
	if len(dests) > 0 {
		return dests[0]
	}
	return source
}

func (s *Server) takeScript(service, action string) *Respond {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := service + ":" + action
	for _, r := range s.scripts[k] {
		if r.Times == 0 || r.used < r.Times {
			r.used++
			return r
		}
	}
	return nil
}

func (s *Server) takeFault(service, action string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range []string{service + ":" + action, service + ":*"} {
		for _, f := range s.faults[k] {
			if f.Times == 0 || f.used < f.Times {
				f.used++
				return f
			}
		}
	}
	return nil
}

// maxBody bounds request bodies; Bedrock's own limit is far below.
const maxBody = 25 << 20

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// ServeHTTP answers one AWS request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{s: s, w: w, r: r, reqID: newRequestID()}
	c.entry = LogEntry{Time: time.Now().UTC(), RequestID: c.reqID, Attempt: r.Header.Get("Amz-Sdk-Request"), Proto: r.Proto}
	defer func() {
		s.mu.Lock()
		s.log = append(s.log, c.entry)
		s.mu.Unlock()
	}()
	if !isLoopback(r.RemoteAddr) {
		c.proto = protoJSON
		c.fail(&apiError{Status: 403, Code: "AccessDeniedException", Message: "awsfake serves loopback only"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		c.proto = protoJSON
		c.fail(&apiError{Status: 400, Code: "SerializationException", Message: "could not read request body"})
		return
	}
	c.body = body
	c.dispatch()
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// handler answers one operation once the caller is known.
type handler func(c *call) error

func (c *call) dispatch() {
	r := c.r
	auth := r.Header.Get("Authorization")
	sig, sigErr := parseAuthorization(auth)
	scopeService := ""
	if sigErr == nil && sig != nil {
		scopeService = sig.service
		c.region = sig.region
	} else {
		c.region = c.s.endpointRegion(r)
	}
	var h handler
	if r.Method == http.MethodPost && r.URL.Path == "/" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		c.proto = protoQuery
		form, err := decodeForm(c.body)
		if err != nil {
			c.service = scopeService
			c.fail(&apiError{Status: 400, Code: "MalformedQueryString", Message: err.Error()})
			return
		}
		c.form = form
		c.action = form.Get("Action")
		version := form.Get("Version")
		switch {
		case scopeService == "sts" || (scopeService == "" && version == stsVersion):
			c.service, c.version = "sts", stsVersion
			h = stsOps[c.action]
		case scopeService == "iam" || (scopeService == "" && version == iamVersion):
			c.service, c.version = "iam", iamVersion
			h = iamOps[c.action]
		default:
			c.service = scopeService
			c.fail(&apiError{Status: 400, Code: "InvalidAction", Message: "Could not find operation " + c.action + " for version " + version})
			return
		}
		if h == nil {
			c.fail(&apiError{Status: 400, Code: "InvalidAction", Message: "Could not find operation " + c.action + " for version " + version})
			return
		}
	} else if target := r.Header.Get("X-Amz-Target"); target != "" && r.Method == http.MethodPost {
		if h = c.routeTarget(target); h == nil { // kms.go
			return
		}
	} else {
		c.proto = protoJSON
		var ok bool
		c.service, c.action, c.params, h, ok = routeREST(r.Method, r.URL.EscapedPath())
		if !ok {
			if c.service == "" {
				c.service = "bedrock"
			}
			c.fail(&apiError{Status: 404, Code: "UnknownOperationException", Message: ""})
			return
		}
	}
	c.entry.Service, c.entry.Action, c.entry.Region = c.service, c.action, c.region

	if f := c.s.takeFault(c.service, c.action); f != nil {
		c.entry.Decision = "fault"
		if c.applyFault(f) {
			return
		}
	}
	script := c.s.takeScript(c.service, c.action)
	if script != nil && script.Status == 0 && script.Body != "" {
		c.entry.Decision = "scripted"
		c.writeRaw(script.Body)
		return
	}
	if script != nil && !script.Allow {
		c.entry.Decision = "scripted"
		c.fail(&apiError{Status: script.Status, Code: script.Code, Message: script.Message})
		return
	}
	c.scriptedAllow = script != nil && script.Allow

	if sigErr != nil {
		c.fail(sigErr)
		return
	}
	if err := c.authenticate(sig, auth); err != nil {
		c.entry.Truth = c.authTruth()
		c.fail(err)
		return
	}
	if err := c.checkThrottle(); err != nil {
		c.fail(err)
		return
	}
	if err := h(c); err != nil {
		c.fail(err)
	}
}

// writeRaw answers 200 with body as it is, in the protocol's content type.
func (c *call) writeRaw(body string) {
	c.wrote = true
	c.entry.Status = 200
	c.header()
	if c.proto == protoQuery {
		c.w.Header().Set("Content-Type", "text/xml")
	} else {
		c.w.Header().Set("Content-Type", "application/json")
	}
	c.w.WriteHeader(200)
	_, _ = io.WriteString(c.w, body)
}

// QueryBody wraps inner (the elements of the result, raw XML) in the
// awsQuery success envelope of service ("sts" or "iam") and action, as AWS
// writes it, for a Respond.Body.
func QueryBody(service, action, inner string) string {
	version := stsVersion
	if service == "iam" {
		version = iamVersion
	}
	return "<" + action + "Response xmlns=\"https://" + service + ".amazonaws.com/doc/" + version + "/\">\n  <" + action + "Result>" + inner +
		"</" + action + "Result>\n  <ResponseMetadata>\n    <RequestId>00000000-0000-4000-8000-000000000000</RequestId>\n  </ResponseMetadata>\n</" + action + "Response>\n"
}

func (c *call) applyFault(f *Fault) (done bool) {
	if f.Latency > 0 {
		select {
		case <-time.After(f.Latency):
		case <-c.r.Context().Done():
			return true
		}
	}
	switch {
	case f.Drop:
		c.entry.Status = 0
		if hj, ok := c.w.(http.Hijacker); ok {
			conn, _, err := hj.Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return true
		}
		// HTTP/2 has no connection to hijack: reset the stream.
		panic(http.ErrAbortHandler)
	case f.Malformed:
		c.header()
		if c.proto == protoQuery {
			c.w.Header().Set("Content-Type", "text/xml")
			c.w.WriteHeader(200)
			_, _ = io.WriteString(c.w, "<"+c.action+"Response><"+c.action+"Result><Unclosed")
		} else {
			c.w.Header().Set("Content-Type", "application/json")
			c.w.WriteHeader(200)
			_, _ = io.WriteString(c.w, `{"output": {"message": [`)
		}
		c.entry.Status = 200
		return true
	case f.StreamException != "":
		c.streamFault = f
		return false
	case f.Status != 0:
		c.fail(&apiError{Status: f.Status, Code: f.Code, Message: f.Message})
		return true
	}
	return false
}
