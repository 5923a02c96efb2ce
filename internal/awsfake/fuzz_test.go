package awsfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// FuzzDecodeForm: the awsQuery body decoder and the list/context readers
// never panic, and a list read back is in member order.
func FuzzDecodeForm(f *testing.F) {
	f.Add("Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&Tags.member.1.Key=k&Tags.member.1.Value=v&Version=2011-06-15")
	f.Add("ActionNames.member.1=a&ActionNames.member.2=b&ContextEntries.member.1.ContextKeyName=k&ContextEntries.member.1.ContextKeyValues.member.1=v")
	f.Add("%zz&=&&a=b=c")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := decodeForm([]byte(body))
		if err != nil {
			return
		}
		names := formList(v, "ActionNames")
		for i, n := range names {
			if got := v.Get("ActionNames.member." + strconv.Itoa(i+1)); got != n {
				t.Fatalf("member %d = %q, list has %q", i+1, got, n)
			}
		}
		_ = contextEntries(v)
	})
}

// FuzzJSONBodies: the runtime's JSON decoders never panic and reject what
// is not JSON.
func FuzzJSONBodies(f *testing.F) {
	f.Add([]byte(`{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`))
	f.Add([]byte(`{"input":{"invokeModel":{"body":"YmxvYg=="}}}`))
	f.Add([]byte(`{"source":"INPUT","content":[{"text":{"text":"x"}}]}`))
	f.Add([]byte(`{"messages":`))
	f.Fuzz(func(t *testing.T, body []byte) {
		// encoding/json.Valid is the oracle: an accepted non-empty body is
		// valid JSON.
		var in converseInput
		if err := decodeJSON(body, &in); err == nil && len(bytes.TrimSpace(body)) > 0 && !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		_ = countTokens(body)
	})
}

// FuzzServeHTTP sends arbitrary requests to the whole server: it must never
// panic and must always answer with a request id and a status.
func FuzzServeHTTP(f *testing.F) {
	f.Add("POST", "/", "application/x-www-form-urlencoded", "Action=GetCallerIdentity&Version=2011-06-15", "")
	f.Add("POST", "/model/us.anthropic.claude-x/converse", "application/json", `{"messages":[]}`, "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00")
	f.Add("GET", "/foundation-models/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fa.b", "", "", "Bearer tok")
	f.Add("POST", "/guardrail/%zz/version/1/apply", "application/json", "{", "AWS4-HMAC-SHA256 Credential=x")
	w := NewWorld()
	w.Account("111111111111").User("u").AccessKey()
	s := newServer(w)
	f.Fuzz(func(t *testing.T, method, target, contentType, body, auth string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n#") || strings.ContainsAny(method, " \r\n\t()<>@,;:\\\"/[]?={}") || method == "" {
			return
		}
		req, err := http.NewRequest(method, "http://127.0.0.1"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		req.RemoteAddr = "127.0.0.1:1234"
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Header().Get("X-Amzn-Requestid") == "" || rec.Code < 200 {
			t.Fatalf("%s %s: status %d, headers %v", method, target, rec.Code, rec.Header())
		}
	})
}

// FuzzParseScenario: scenario files never panic the loader.
func FuzzParseScenario(f *testing.F) {
	f.Add([]byte(`{"accounts":[{"id":"111111111111","users":[{"name":"u"}]}]}`))
	f.Add([]byte(`{"organizations":[{"id":"o-1","management":"999999999999","ous":[{"id":"ou","accounts":["111111111111"]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseScenario(data)
	})
}
