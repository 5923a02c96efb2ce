package awsfake

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

const (
	stsVersion = "2011-06-15"
	iamVersion = "2010-05-08"
)

type protocol int

const (
	protoQuery protocol = iota + 1 // awsQuery: STS, IAM
	protoJSON                      // restJson1: Bedrock
)

// call is one request in flight.
type call struct {
	s       *Server
	w       http.ResponseWriter
	r       *http.Request
	body    []byte
	reqID   string
	proto   protocol
	service string
	action  string
	version string
	region  string
	form    url.Values
	params  []string // unescaped path labels
	entry   LogEntry

	scriptedAllow bool
	streamFault   *Fault
	cred          *credential
	principal     iampolicy.Principal
	callerARN     string
	vpce          string
	wrote         bool
	// regionDisabled: the caller's account has not enabled the request's
	// region (for the ground truth: region, not credentials).
	regionDisabled bool
	// bearerTruth is the ground truth of a Bedrock API key refused before
	// the operation ran (bearer.go); nil: credentials.
	bearerTruth []string
}

// apiError is an AWS error answer.
type apiError struct {
	Status  int
	Code    string
	Message string
	// Resource is what a denial named, for the log.
	Resource string
	// Bare writes the JSON error as {"Message": ...} without an error
	// type, as Bedrock answers an API key it cannot use (bearer.go).
	Bare bool
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func (c *call) header() {
	h := c.w.Header()
	h.Set("x-amzn-RequestId", c.reqID)
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
}

// fail writes err in the protocol's error shape (AWS.md §1.6).
func (c *call) fail(err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{Status: 500, Code: "InternalFailure", Message: err.Error()}
		if c.proto == protoJSON {
			ae.Code = "InternalServerException"
		}
	}
	if ae.Status == 0 {
		ae.Status = 400
	}
	c.entry.Status, c.entry.ErrorCode = ae.Status, ae.Code
	if ae.Resource != "" {
		c.entry.Resource = ae.Resource
	}
	if c.wrote {
		return
	}
	c.wrote = true
	c.header()
	if c.proto == protoQuery {
		typ := "Sender"
		if ae.Status >= 500 {
			typ = "Receiver"
		}
		var b bytes.Buffer
		b.WriteString("<ErrorResponse xmlns=\"https://" + c.service + ".amazonaws.com/doc/" + c.version + "/\">\n  <Error>\n    <Type>" + typ + "</Type>\n    <Code>")
		_ = xml.EscapeText(&b, []byte(ae.Code))
		b.WriteString("</Code>\n    <Message>")
		_ = xml.EscapeText(&b, []byte(ae.Message))
		b.WriteString("</Message>\n  </Error>\n  <RequestId>" + c.reqID + "</RequestId>\n</ErrorResponse>\n")
		c.w.Header().Set("Content-Type", "text/xml")
		c.w.WriteHeader(ae.Status)
		_, _ = c.w.Write(b.Bytes())
		return
	}
	if ae.Bare {
		body, _ := json.Marshal(struct {
			Message string `json:"Message"`
		}{ae.Message})
		c.w.Header().Set("Content-Type", "application/json")
		c.w.WriteHeader(ae.Status)
		_, _ = c.w.Write(body)
		return
	}
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{ae.Code, ae.Message})
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("X-Amzn-ErrorType", ae.Code)
	c.w.WriteHeader(ae.Status)
	_, _ = c.w.Write(body)
}

// writeQuery writes an awsQuery success: <OpResponse><OpResult>inner</OpResult>.
func (c *call) writeQuery(inner string) error {
	c.wrote = true
	c.entry.Status = 200
	c.header()
	var b strings.Builder
	b.WriteString("<" + c.action + "Response xmlns=\"https://" + c.service + ".amazonaws.com/doc/" + c.version + "/\">\n  <" + c.action + "Result>")
	b.WriteString(inner)
	b.WriteString("</" + c.action + "Result>\n  <ResponseMetadata>\n    <RequestId>" + c.reqID + "</RequestId>\n  </ResponseMetadata>\n</" + c.action + "Response>\n")
	c.w.Header().Set("Content-Type", "text/xml")
	c.w.WriteHeader(200)
	_, _ = c.w.Write([]byte(b.String()))
	return nil
}

// writeJSON writes a JSON success.
func (c *call) writeJSON(status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	c.wrote = true
	c.entry.Status = status
	c.header()
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(body)
	return nil
}

// x escapes text for XML element content.
func x(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// el writes <name>escaped</name>, or nothing for an empty value.
func el(name, v string) string {
	if v == "" {
		return ""
	}
	return "<" + name + ">" + x(v) + "</" + name + ">"
}

// decodeForm parses an awsQuery body strictly: a bad escape is an error, not
// a dropped field.
func decodeForm(body []byte) (url.Values, error) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("decode form body: %w", err)
	}
	return v, nil
}

// formList reads Name.member.1, Name.member.2, ... until the first gap.
func formList(f url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		k := name + ".member." + strconv.Itoa(i)
		if _, ok := f[k]; !ok {
			return out
		}
		out = append(out, f.Get(k))
	}
}

// decodeJSON parses a JSON request body into v; an empty body is {}.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode json body: %w", err)
	}
	return nil
}

// sigV4 is a parsed SigV4 Authorization header.
type sigV4 struct {
	accessKeyID   string
	date          string
	region        string
	service       string
	signedHeaders []string
	signature     string
}

// parseAuthorization parses a SigV4 header; it returns nil, nil for a bearer
// token or no header (authenticate decides).
func parseAuthorization(h string) (*sigV4, error) {
	if h == "" || strings.HasPrefix(h, "Bearer ") {
		return nil, nil
	}
	const algo = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(h, algo) {
		return nil, &apiError{Status: 400, Code: "IncompleteSignature", Message: "Authorization header requires the AWS4-HMAC-SHA256 algorithm"}
	}
	s := &sigV4{}
	for _, part := range strings.Split(h[len(algo):], ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			f := strings.Split(v, "/")
			if len(f) != 5 || f[4] != "aws4_request" {
				return nil, &apiError{Status: 400, Code: "IncompleteSignature", Message: "Authorization header has a malformed Credential"}
			}
			s.accessKeyID, s.date, s.region, s.service = f[0], f[1], f[2], f[3]
		case "SignedHeaders":
			s.signedHeaders = strings.Split(v, ";")
		case "Signature":
			s.signature = v
		}
	}
	if s.accessKeyID == "" || s.signature == "" || len(s.signedHeaders) == 0 {
		return nil, &apiError{Status: 400, Code: "IncompleteSignature", Message: "Authorization header requires Credential, SignedHeaders and Signature"}
	}
	return s, nil
}

// The authentication texts (AWS.md §2.3, §6.3).
const (
	msgInvalidToken = "The security token included in the request is invalid"
	msgExpired      = "The security token included in the request is expired"
	msgSignature    = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

func (c *call) authError(kind string) *apiError {
	switch kind {
	case "invalid":
		if c.proto == protoQuery {
			return &apiError{Status: 403, Code: "InvalidClientTokenId", Message: msgInvalidToken}
		}
		return &apiError{Status: 403, Code: "UnrecognizedClientException", Message: msgInvalidToken + "."}
	case "expired":
		if c.proto == protoQuery {
			return &apiError{Status: 403, Code: "ExpiredToken", Message: msgExpired}
		}
		return &apiError{Status: 403, Code: "ExpiredTokenException", Message: msgExpired}
	default:
		if c.proto == protoQuery {
			return &apiError{Status: 403, Code: "SignatureDoesNotMatch", Message: msgSignature}
		}
		return &apiError{Status: 403, Code: "InvalidSignatureException", Message: msgSignature}
	}
}

// authenticate finds the caller from the SigV4 access key (verifying the
// signature with the secret the world issued) or the bearer token.
func (c *call) authenticate(sig *sigV4, auth string) error {
	w := c.s.World
	if sig == nil {
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			if c.proto == protoQuery {
				return &apiError{Status: 403, Code: "MissingAuthenticationToken", Message: "Request is missing Authentication Token"}
			}
			return &apiError{Status: 403, Code: "MissingAuthenticationTokenException", Message: "Missing Authentication Token"}
		}
		return c.authenticateBearer(tok)
	}
	w.mu.Lock()
	cred := w.keys[sig.accessKeyID]
	w.mu.Unlock()
	if cred == nil {
		return c.authError("invalid")
	}
	c.entry.AccessKeyID = sig.accessKeyID
	if cred.SessionToken != "" && subtle.ConstantTimeCompare([]byte(c.r.Header.Get("X-Amz-Security-Token")), []byte(cred.SessionToken)) != 1 {
		return c.authError("invalid")
	}
	if err := c.verify(sig, cred); err != nil {
		return err
	}
	if !cred.Expires.IsZero() && time.Now().After(cred.Expires) {
		return c.authError("expired")
	}
	c.cred = cred
	return c.identify()
}

// verify recomputes the signature from the headers the client signed
// (sigv4.go): "host" from HTTP/1.1 clients, ":authority" from HTTP/2 ones.
func (c *call) verify(sig *sigV4, cred *credential) error {
	return c.verifyAt(sig, cred, time.Now().UTC())
}

// verifyAt is verify with the server's clock at now.
func (c *call) verifyAt(sig *sigV4, cred *credential, now time.Time) error {
	r := c.r
	t, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return &apiError{Status: 400, Code: "IncompleteSignature", Message: "X-Amz-Date is missing or malformed"}
	}
	if sig.date != t.Format("20060102") {
		return c.authError("signature")
	}
	if !signsHost(sig.signedHeaders) {
		e := c.authError("signature")
		e.Message = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
		return e
	}
	canonical, err := canonicalRequest(r, c.body, sig.signedHeaders)
	if err != nil {
		return c.authError("signature")
	}
	want := signature(cred.SecretAccessKey, r.Header.Get("X-Amz-Date"), sig.date, sig.region, sig.service, canonical)
	if subtle.ConstantTimeCompare([]byte(want), []byte(sig.signature)) != 1 {
		return c.authError("signature")
	}
	return c.checkSkew(t, now)
}

// signsHost reports whether the signed headers include the host, in either
// form.
func signsHost(signed []string) bool {
	for _, h := range signed {
		if h == "host" || h == ":authority" {
			return true
		}
	}
	return false
}

// checkSkew refuses a signing time outside the service's window: 15
// minutes for STS and IAM ("SignatureDoesNotMatch: Signature expired:
// 20220127T001427Z is now earlier than 20220127T014428Z (20220127T015928Z -
// 15 min.)", https://github.com/aws/aws-cli/issues/6676; "Signature not yet
// current: ... (... + 15 min.)",
// https://github.com/QT-DevOps/DevOpsIssues/issues/989), 5 minutes for the
// JSON services (InvalidSignatureException, 403,
// https://github.com/serverless/serverless/issues/27; Bedrock's own window
// is UNCONFIRMED).
func (c *call) checkSkew(signed, now time.Time) error {
	window, code := 5*time.Minute, "InvalidSignatureException"
	if c.proto == protoQuery {
		window, code = 15*time.Minute, "SignatureDoesNotMatch"
	}
	const f = "20060102T150405Z"
	mins := strconv.Itoa(int(window / time.Minute))
	switch {
	case signed.Before(now.Add(-window)):
		return &apiError{Status: 403, Code: code, Message: "Signature expired: " + signed.Format(f) + " is now earlier than " + now.Add(-window).Format(f) + " (" + now.Format(f) + " - " + mins + " min.)"}
	case signed.After(now.Add(window)):
		return &apiError{Status: 403, Code: code, Message: "Signature not yet current: " + signed.Format(f) + " is still later than " + now.Add(window).Format(f) + " (" + now.Format(f) + " + " + mins + " min.)"}
	}
	return nil
}
