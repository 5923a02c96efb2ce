package awsfake

// IssuedSecrets returns every secret the world has issued so far: secret
// access keys, session tokens and bearer tokens. Tests scan their output
// for them: none may ever appear in an error, a report or a log.
func (w *World) IssuedSecrets() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, 2*len(w.keys)+len(w.bearers))
	for _, c := range w.keys {
		if c.SecretAccessKey != "" {
			out = append(out, c.SecretAccessKey)
		}
		if c.SessionToken != "" {
			out = append(out, c.SessionToken)
		}
	}
	for tok := range w.bearers {
		out = append(out, tok)
	}
	return out
}
