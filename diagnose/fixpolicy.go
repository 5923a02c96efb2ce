package diagnose

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// statement is one statement of a fix policy. Action and Resource hold one
// value or several; Condition maps an operator to its keys and values, and
// Kept holds the conditions of an existing statement the fix extends (a fix
// never drops one), rendered together with Condition.
type statement struct {
	Effect    string
	Principal string // an AWS principal ARN, for trust statements
	Action    []string
	Resource  []string // empty: no Resource element (trust statements)
	Condition map[string]map[string]string
	Kept      []iampolicy.Condition
}

// conditions merges Condition and Kept: operator → key → values.
func (st statement) conditions() map[string]map[string][]string {
	if len(st.Condition) == 0 && len(st.Kept) == 0 {
		return nil
	}
	out := map[string]map[string][]string{}
	add := func(op, key string, vs []string) {
		if out[op] == nil {
			out[op] = map[string][]string{}
		}
		for k := range out[op] {
			if strings.EqualFold(k, key) {
				key = k
			}
		}
		for _, v := range vs {
			if !slices.Contains(out[op][key], v) {
				out[op][key] = append(out[op][key], v)
			}
		}
	}
	for _, c := range st.Kept {
		add(c.Operator, c.Key, c.Values)
	}
	for op, kv := range st.Condition {
		for k, v := range kv {
			add(op, k, []string{v})
		}
	}
	return out
}

// nonEmpty is a one-value list, or none for "".
func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// policyJSON renders a policy document holding stmts, indented and ordered
// as IAM's console shows them (Effect, Principal, Action, Resource,
// Condition). It is written by hand: encoding/json's reflection and
// re-indenting cost more than the rest of Explain, which renders one on
// every denial. "" for no statement.
func policyJSON(stmts ...statement) string {
	if len(stmts) == 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(256 * len(stmts))
	b.WriteString("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [")
	for i, st := range stmts {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n    {\n      \"Effect\": ")
		b.WriteString(jsonQuote(st.Effect))
		if st.Principal != "" {
			b.WriteString(",\n      \"Principal\": {\n        \"AWS\": ")
			b.WriteString(jsonQuote(st.Principal))
			b.WriteString("\n      }")
		}
		b.WriteString(",\n      \"Action\": ")
		writeList(&b, st.Action)
		if len(st.Resource) > 0 {
			b.WriteString(",\n      \"Resource\": ")
			writeList(&b, st.Resource)
		}
		if conds := st.conditions(); len(conds) > 0 {
			b.WriteString(",\n      \"Condition\": {")
			for j, op := range slices.Sorted(maps.Keys(conds)) {
				if j > 0 {
					b.WriteString(",")
				}
				b.WriteString("\n        " + jsonQuote(op) + ": {")
				for k, key := range slices.Sorted(maps.Keys(conds[op])) {
					if k > 0 {
						b.WriteString(",")
					}
					b.WriteString("\n          " + jsonQuote(key) + ": ")
					if vs := conds[op][key]; len(vs) == 1 {
						b.WriteString(jsonQuote(vs[0]))
					} else {
						b.WriteString("[")
						for i, v := range vs {
							if i > 0 {
								b.WriteString(", ")
							}
							b.WriteString(jsonQuote(v))
						}
						b.WriteString("]")
					}
				}
				b.WriteString("\n        }")
			}
			b.WriteString("\n      }")
		}
		b.WriteString("\n    }")
	}
	b.WriteString("\n  ]\n}")
	return b.String()
}

// writeList writes one value as a string, several as an array.
func writeList(b *strings.Builder, vs []string) {
	if len(vs) == 1 {
		b.WriteString(jsonQuote(vs[0]))
		return
	}
	b.WriteString("[")
	for i, v := range vs {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n        ")
		b.WriteString(jsonQuote(v))
	}
	b.WriteString("\n      ]")
}

// jsonQuote renders s as a JSON string. It escapes what JSON requires
// (quote, backslash, control characters) and, as encoding/json does, the
// line and paragraph separators.
func jsonQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
