package diagnose

import (
	"strings"

	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// knownContext is the request context the diagnosis can vouch for when it
// evaluates a policy itself: the keys it supplies, and the key families it
// knows to be absent from the real request. Every other key is unknown
// (iampolicy.Request.Open): a decision that depends on one is undetermined,
// never a denial. The list of keys is in the package doc.
type knownContext struct {
	keys map[string][]string
	// absent are lower-case key names, or prefixes ending in "/", that the
	// real request does not carry unless keys sets them.
	absent []string
}

func newKnownContext() knownContext { return knownContext{keys: map[string][]string{}} }

func (k knownContext) set(key string, values ...string) { k.keys[key] = values }

// request builds an open request whose context closes, for every key the
// policies test, the ones known to be absent.
func (k knownContext) request(p iampolicy.Principal, action, resource, resourceAccount string, policies ...*iampolicy.Policy) iampolicy.Request {
	ctx := make(map[string][]string, len(k.keys))
	for key, v := range k.keys {
		ctx[key] = v
	}
	for _, pol := range policies {
		if pol == nil {
			continue
		}
		for _, st := range pol.Statements {
			for _, c := range st.Condition {
				if _, ok := lookupFold(ctx, c.Key); !ok && k.knownAbsent(c.Key) {
					ctx[c.Key] = nil
				}
			}
		}
	}
	return iampolicy.Request{Principal: p, Action: action, Resource: resource, ResourceAccount: resourceAccount, Context: ctx, Open: true}
}

func (k knownContext) knownAbsent(key string) bool {
	lk := strings.ToLower(key)
	for _, a := range k.absent {
		if lk == a || strings.HasSuffix(a, "/") && strings.HasPrefix(lk, a) {
			return true
		}
	}
	return false
}

// lookupFold finds a key case-insensitively, as IAM compares keys.
func lookupFold(m map[string][]string, key string) ([]string, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// policiesOf lists the parsed policies of a set, for closing a context.
func policiesOf(set iampolicy.PolicySet) []*iampolicy.Policy {
	var out []*iampolicy.Policy
	add := func(nps []iampolicy.NamedPolicy) {
		for _, np := range nps {
			out = append(out, np.Policy)
		}
	}
	add(set.Identity)
	add(set.Session)
	add(set.Resource)
	if set.Boundary != nil {
		out = append(out, set.Boundary.Policy)
	}
	return out
}

// dependsOn words an undetermined result for a check's detail.
func dependsOn(res iampolicy.Result) string {
	return "depends on " + strings.Join(res.DependsOn, ", ") + ", which the diagnosis cannot know"
}
