package awsfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/smithy-go/encoding/httpbinding"
)

// SigV4 verification (AWS.md §1.2), written out rather than delegated to
// the Go SDK's signer: that signer always signs "host", while HTTP/2
// clients such as the AWS SDK for JavaScript v3 sign the ":authority"
// pseudo-header in its place. AWS accepts both forms; so does the fake.
// The canonical request is rebuilt from the header names the client lists
// in SignedHeaders, with the values the server received.

// unsignedPayload is the payload hash of a request whose body is not signed.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// canonicalRequest returns the SigV4 canonical request of r as a client
// signing the headers named in signed would have built it. body is the
// request body the server read. In Go's server r.Host carries the Host
// header of HTTP/1.1 and the :authority pseudo-header of HTTP/2, so both
// "host" and ":authority" take its value.
func canonicalRequest(r *http.Request, body []byte, signed []string) (string, error) {
	u, err := url.Parse(r.RequestURI)
	if err != nil {
		return "", err
	}
	path := u.EscapedPath()
	if u.Opaque != "" {
		// "*" or an absolute-form target: sign the path part.
		path = u.Opaque
		if i := strings.Index(path, "/"); i >= 0 {
			path = path[i:]
		}
	}
	if path == "" {
		path = "/"
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	// Every AWS service but S3 signs the path escaped once more.
	b.WriteString(httpbinding.EscapePath(path, false))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(query))
	b.WriteByte('\n')
	for _, h := range signed {
		b.WriteString(h)
		b.WriteByte(':')
		switch h {
		case "host", ":authority":
			b.WriteString(collapseSpaces(r.Host))
		case "content-length":
			b.WriteString(strconv.Itoa(len(body)))
		default:
			for i, v := range r.Header.Values(h) {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(collapseSpaces(v))
			}
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	if r.Header.Get("X-Amz-Content-Sha256") == unsignedPayload {
		b.WriteString(unsignedPayload)
	} else {
		b.WriteString(sha256Hex(body))
	}
	return b.String(), nil
}

// canonicalQuery encodes the query as SigV4 wants it: every name and value
// percent-encoded outside the unreserved set (a space as %20), sorted by
// name, then value.
func canonicalQuery(q url.Values) string {
	type param struct{ k, v string }
	var ps []param
	for k, vs := range q {
		for _, v := range vs {
			ps = append(ps, param{sigEscape(k), sigEscape(v)})
		}
	}
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].k != ps[j].k {
			return ps[i].k < ps[j].k
		}
		return ps[i].v < ps[j].v
	})
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k + "=" + p.v)
	}
	return b.String()
}

func sigEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// collapseSpaces trims a header value and folds runs of spaces into one.
func collapseSpaces(v string) string {
	return strings.TrimSpace(strings.Join(strings.FieldsFunc(v, func(r rune) bool { return r == ' ' }), " "))
}

// signature is the SigV4 signature of a canonical request for the scope
// date/region/service, signed at amzDate with secret.
func signature(secret, amzDate, date, region, service, canonical string) string {
	scope := date + "/" + region + "/" + service + "/aws4_request"
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + sha256Hex([]byte(canonical))
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, "aws4_request")
	return hex.EncodeToString(hmacSHA256(k, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
