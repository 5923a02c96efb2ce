package diagnose

import (
	"log/slog"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxOriginalText caps how much of the original error text Error() repeats:
// remote text is untrusted and a log line must stay a line.
const maxOriginalText = 4 << 10

// Error is a denied call's error, enriched with the diagnosis. It wraps the
// original error unchanged: errors.As still finds the SDK's own types
// (*types.AccessDeniedException, smithy.APIError, *awshttp.ResponseError).
type Error struct {
	// Report is the diagnosis. Never nil for an Error built by this module.
	Report *Report

	err    error
	redact bool
}

// NewError wraps err with report. redact masks account ids and ARNs in
// Error(); the wrapped error and the report are left exact.
func NewError(err error, report *Report, redact bool) *Error {
	if report == nil {
		report = &Report{SchemaVersion: SchemaVersion, Layer: LayerUnknown, Checks: []Check{}}
	}
	return &Error{Report: report, err: err, redact: redact}
}

// Error returns one line: the original text with control characters replaced
// and capped, then "; diagnosis: <layer>: <summary>".
func (e *Error) Error() string {
	var orig string
	if e.err != nil {
		orig = e.err.Error()
	}
	var b strings.Builder
	b.Grow(min(len(orig), maxOriginalText) + 64 + len(e.Report.Summary))
	writeSanitized(&b, orig, maxOriginalText)
	b.WriteString("; diagnosis: ")
	b.WriteString(string(e.Report.Layer))
	if e.Report.Summary != "" {
		b.WriteString(": ")
		writeSanitized(&b, e.Report.Summary, maxOriginalText)
	}
	s := b.String()
	if e.redact {
		s = Redact(s)
	}
	return s
}

// Unwrap returns the original error, unchanged, and only it.
func (e *Error) Unwrap() error { return e.err }

// Layer returns the layer the diagnosis named.
func (e *Error) Layer() Layer { return e.Report.Layer }

// LogValue renders the error for log/slog as a group: the original error,
// the layer, the summary, the fix and the identities involved.
func (e *Error) LogValue() slog.Value {
	r := e.Report
	attrs := make([]slog.Attr, 0, 12)
	if e.err != nil {
		orig := sanitize(e.err.Error(), maxOriginalText)
		if e.redact {
			orig = Redact(orig)
		}
		attrs = append(attrs, slog.String("error", orig))
	}
	attrs = append(attrs, slog.String("layer", string(r.Layer)))
	add := func(k, v string) {
		if v == "" {
			return
		}
		if e.redact {
			v = Redact(v)
		}
		attrs = append(attrs, slog.String(k, v))
	}
	add("summary", r.Summary)
	add("fix", r.Fix)
	add("principal", r.Principal)
	add("action", r.Action)
	add("resource", r.Resource)
	add("region", r.Region)
	add("role_arn", r.RoleARN)
	add("model_id", r.ModelID)
	add("operation", r.Operation)
	add("request_id", r.RequestID)
	return slog.GroupValue(attrs...)
}

var (
	arnPattern     = regexp.MustCompile(`arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{0,12}:[^\s,;"'()<>]+`)
	accountPattern = regexp.MustCompile(`\b[0-9]{12}\b`)
	// IAM names its own resources without an ARN in its denials: "on
	// resource: role BedrockAccess", "on resource: user app".
	iamNamePattern = regexp.MustCompile(`(?i)\b(resource:\s+(?:role|user|group|policy|instance-profile))\s+[\w+=,.@/-]+`)
)

// Redact masks account ids and the names in IAM, STS and Organizations ARNs
// (role, user, session, policy names) in s, for logs shared beyond the
// accounts' owners. What carries no identity stays readable: the partition,
// service, region and resource type of every ARN, and Bedrock's model and
// profile ids (public names).
func Redact(s string) string {
	s = arnPattern.ReplaceAllStringFunc(s, func(a string) string {
		parts := strings.SplitN(a, ":", 6)
		if len(parts) < 6 {
			return "arn:***"
		}
		if parts[4] != "" {
			parts[4] = "************"
		}
		switch parts[2] {
		case "iam", "sts", "organizations":
			typ := parts[5]
			if i := strings.IndexAny(typ, "/:"); i >= 0 {
				typ = typ[:i]
			}
			parts[5] = typ + "/***"
		}
		return strings.Join(parts, ":")
	})
	s = iamNamePattern.ReplaceAllString(s, "$1 ***")
	return accountPattern.ReplaceAllString(s, "************")
}

// sanitize returns s with control characters (including newlines and
// terminal escapes) replaced by spaces, invalid UTF-8 replaced, and at most
// max bytes kept (then "…").
func sanitize(s string, max int) string {
	var b strings.Builder
	writeSanitized(&b, s, max)
	return b.String()
}

func writeSanitized(b *strings.Builder, s string, max int) {
	n := 0
	for i, r := range s {
		if n >= max {
			b.WriteString("…")
			return
		}
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				b.WriteRune(unicode.ReplacementChar)
				n++
				continue
			}
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			r = ' '
		}
		n += utf8.RuneLen(r)
		b.WriteRune(r)
	}
}
