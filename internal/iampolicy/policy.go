package iampolicy

// Policy is a parsed IAM policy document.
type Policy struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one statement of a policy. (placeholder: the parser owns it)
type Statement struct {
	Sid    string
	Effect string
}
