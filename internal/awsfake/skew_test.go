package awsfake

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestClockSkew signs requests with a skewed clock, as a machine with a
// wrong time does; the SDK cannot be given a clock, so the request is
// signed by hand with the SDK's signer.
func TestClockSkew(t *testing.T) {
	f := newFixture(t)
	send := func(t *testing.T, method, path, body, service string, skew time.Duration) (int, string, string) {
		t.Helper()
		req, err := http.NewRequest(method, f.s.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if service == "sts" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
		creds := aws.Credentials{AccessKeyID: f.appKey.AccessKeyID, SecretAccessKey: f.appKey.SecretAccessKey}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sha256Hex([]byte(body)), service, "us-east-1", time.Now().Add(skew)); err != nil {
			t.Fatal(err)
		}
		resp, err := f.s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.Header.Get("Content-Type") == "text/xml" {
			var e struct {
				Error struct{ Code, Message string }
			}
			_ = xml.Unmarshal(raw, &e)
			return resp.StatusCode, e.Error.Code, e.Error.Message
		}
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &e)
		return resp.StatusCode, e.Type, e.Message
	}
	ts := `\d{8}T\d{6}Z`
	tests := []struct {
		name, method, path, body, service string
		skew                              time.Duration
		code                              string
		msg                               *regexp.Regexp
	}{
		{"sts slow clock", "POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", "sts", -20 * time.Minute, "SignatureDoesNotMatch",
			regexp.MustCompile(`^Signature expired: ` + ts + ` is now earlier than ` + ts + ` \(` + ts + ` - 15 min\.\)$`)},
		{"sts fast clock", "POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", "sts", 20 * time.Minute, "SignatureDoesNotMatch",
			regexp.MustCompile(`^Signature not yet current: ` + ts + ` is still later than ` + ts + ` \(` + ts + ` \+ 15 min\.\)$`)},
		{"sts within window", "POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", "sts", -10 * time.Minute, "", nil},
		{"runtime slow clock", "POST", "/model/" + haiku + "/converse", `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`, "bedrock", -6 * time.Minute, "InvalidSignatureException",
			regexp.MustCompile(`^Signature expired: ` + ts + ` is now earlier than ` + ts + ` \(` + ts + ` - 5 min\.\)$`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, code, msg := send(t, tt.method, tt.path, tt.body, tt.service, tt.skew)
			if tt.code == "" {
				if status != 200 {
					t.Fatalf("status %d %s %s", status, code, msg)
				}
				return
			}
			if status != 403 || code != tt.code || !tt.msg.MatchString(msg) {
				t.Errorf("got %d %s %q", status, code, msg)
			}
		})
	}
}
