package client_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// wireServer answers as STS and Bedrock Runtime do on the wire, with
// responses set per test. It records what it was asked.
type wireServer struct {
	*httptest.Server
	mu       sync.Mutex
	sts      func(form url.Values) (int, string) // status, XML body
	bedrock  func(r *http.Request) (int, string, string)
	requests []recorded
}

type recorded struct {
	Path, Action, Authorization string
	Form                        url.Values
}

func newWireServer(t *testing.T) *wireServer {
	t.Helper()
	s := &wireServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *wireServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Amzn-Requestid", "req-"+fmt.Sprint(time.Now().UnixNano()))
	s.mu.Lock()
	rec := recorded{Path: r.URL.EscapedPath(), Authorization: r.Header.Get("Authorization")}
	stsFn, brFn := s.sts, s.bedrock
	if r.URL.Path == "/" {
		rec.Form, _ = url.ParseQuery(string(body))
		rec.Action = rec.Form.Get("Action")
	}
	s.requests = append(s.requests, rec)
	s.mu.Unlock()

	if r.URL.Path == "/" {
		status, xml := http.StatusOK, assumeRoleOK
		if stsFn != nil {
			status, xml = stsFn(rec.Form)
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		io.WriteString(w, xml)
		return
	}
	status, ctype, out := http.StatusOK, "application/json", `{"completion":"ok"}`
	if brFn != nil {
		status, ctype, out = brFn(r)
	}
	if status >= 300 {
		var e struct {
			Type string `json:"__type"`
		}
		if json.Unmarshal([]byte(out), &e) == nil && e.Type != "" {
			w.Header().Set("X-Amzn-Errortype", e.Type)
		}
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	io.WriteString(w, out)
}

func (s *wireServer) log() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.requests...)
}

// jsonError writes a restJson1 error the way Bedrock does: the type in the
// header and in the body.
func jsonError(status int, code, message string) func(*http.Request) (int, string, string) {
	return func(*http.Request) (int, string, string) {
		return status, "application/json", fmt.Sprintf(`{"__type":%q,"message":%q}`, code, message)
	}
}

// stsError is the awsQuery error envelope.
func stsError(status int, code, message string) func(url.Values) (int, string) {
	return func(url.Values) (int, string) {
		return status, fmt.Sprintf(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>sts-req-1</RequestId></ErrorResponse>`,
			code, escapeXML(message))
	}
}

func escapeXML(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// assumeRoleOnly applies fn to AssumeRole and answers GetCallerIdentity as
// the source user: STS never denies GetCallerIdentity.
func assumeRoleOnly(fn func(url.Values) (int, string)) func(url.Values) (int, string) {
	return func(form url.Values) (int, string) {
		if form.Get("Action") == "GetCallerIdentity" {
			return http.StatusOK, `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::111111111111:user/app</Arn><UserId>AIDAEXAMPLEAPPUSER01</UserId><Account>111111111111</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`
		}
		return fn(form)
	}
}

var assumeRoleOK = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
	`<Credentials><AccessKeyId>ASIAEXAMPLEROLEKEY01</AccessKeyId><SecretAccessKey>role-secret</SecretAccessKey>` +
	`<SessionToken>role-session-token</SessionToken><Expiration>` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `</Expiration></Credentials>` +
	`<AssumedRoleUser><Arn>arn:aws:sts::222222222222:assumed-role/BedrockAccess/bedrockdoctor-1</Arn><AssumedRoleId>AROAEXAMPLE:bedrockdoctor-1</AssumedRoleId></AssumedRoleUser>` +
	`</AssumeRoleResult><ResponseMetadata><RequestId>sts-ok</RequestId></ResponseMetadata></AssumeRoleResponse>`
