package bedrocktest

import (
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// Close shuts the server down and waits for the requests in flight.
func (s *Server) Close() { s.srv.Close() }

// Config returns an aws.Config for a principal of the world, as
// config.LoadDefaultConfig would for that principal on AWS: the region
// (empty: the scenario app's region, else us-east-1), the principal's
// credentials, every service's endpoint set to the server (BaseEndpoint)
// and an HTTP client that trusts it. Retries are off (aws.NopRetryer), so
// each call is one request; set Retryer to test retries.
//
// The principal is an ARN: a user (its access key), a role (a fresh
// one-hour session of it, as if assumed) or an account root
// (arn:aws:iam::ACCOUNT:root). Config panics when the world has no such
// principal.
func (s *Server) Config(principal, region string) aws.Config {
	if region == "" {
		if region = s.World.App().Region; region == "" {
			region = "us-east-1"
		}
	}
	return s.srv.Config(region, s.World.credentials(principal))
}

// BearerConfig returns an aws.Config whose Bedrock Runtime client sends a
// Bedrock API key issued to the user (principal, an ARN) instead of
// signing; other clients sign with the user's access key. Its endpoint is
// the server's endpoint for region: as with AWS, a key's region is the
// endpoint's. It needs NewTLSServer.
func (s *Server) BearerConfig(principal, region string) aws.Config {
	cfg := s.srv.BearerConfig(region, s.World.bearerToken(principal))
	cfg.Credentials = s.Config(principal, region).Credentials
	return cfg
}

// bearerToken issues a Bedrock API key to the user built in Go, or returns
// the one a scenario file issued ("bearerToken": true).
func (w *World) bearerToken(user string) string {
	w.mu.Lock()
	u, ok := w.user[user]
	w.mu.Unlock()
	if ok {
		return u.BearerToken()
	}
	if w.sc != nil {
		if tok, ok := w.sc.BearerToken(principalAccount(user) + "/" + user[strings.LastIndex(user, "/")+1:]); ok {
			return tok
		}
	}
	panic("bedrocktest: no Bedrock API key for " + user + " (in a scenario file, the user needs \"bearerToken\": true)")
}

// credentials returns credentials for a principal ARN.
func (w *World) credentials(principal string) awsfake.Credentials {
	switch {
	case strings.Contains(principal, ":user/"):
		return w.userKey(principal)
	case strings.Contains(principal, ":role/"):
		c, ok := w.w.AssumeByARN(principal, "bedrocktest", time.Hour)
		if !ok {
			panic("bedrocktest: the world has no role " + principal)
		}
		return c
	case strings.HasSuffix(principal, ":root") && len(principalAccount(principal)) == 12:
		return w.w.Account(principalAccount(principal)).RootCredentials()
	}
	panic("bedrocktest: not a user, role or root ARN: " + principal)
}

// Log returns every request the server answered so far, oldest first.
func (s *Server) Log() []LogEntry {
	in := s.srv.Log()
	out := make([]LogEntry, len(in))
	for i, e := range in {
		out[i] = LogEntry{
			Time: e.Time, Service: e.Service, Action: e.Action, Region: e.Region, Caller: e.Caller, AccessKeyID: e.AccessKeyID,
			Status: e.Status, ErrorCode: e.ErrorCode, Decision: e.Decision, Resource: e.Resource, RequestID: e.RequestID,
			Attempt: e.Attempt, Proto: e.Proto, Truth: e.Truth,
		}
	}
	return out
}

// ResetLog empties the log.
func (s *Server) ResetLog() { s.srv.ResetLog() }

// Script makes service's action ("sts", "AssumeRole"; "bedrock-runtime",
// "Converse"; ...) answer r, whatever the policies say, until its Times run
// out. Scripts queue: the oldest live one answers first.
func (s *Server) Script(service, action string, r Respond) {
	s.srv.Script(service, action, awsfake.Respond{Status: r.Status, Code: r.Code, Message: r.Message, Allow: r.Allow, Body: r.Body, Times: r.Times})
}

// InjectFault makes service's action ("*" for every action of the
// service) misbehave, before any script or policy is consulted.
func (s *Server) InjectFault(service, action string, f Fault) {
	s.srv.InjectFault(service, action, awsfake.Fault{Latency: f.Latency, Status: f.Status, Code: f.Code, Message: f.Message,
		Malformed: f.Malformed, Drop: f.Drop, StreamException: f.StreamException, Times: f.Times})
}

// ClearScripts removes every script and fault.
func (s *Server) ClearScripts() { s.srv.ClearScripts() }
