package awsfake

// Edits a test makes to a world that is already built, the way an owner
// would change a live account (a fix applied, then the call retried). They
// take the world's lock, like the builder methods.

// RoleByARN returns the role with this ARN (path included), nil if none.
func (w *World) RoleByARN(arn string) *Role { return w.roleByARN(arn) }

// UserByARN returns the user with this ARN (path included), nil if none.
func (w *World) UserByARN(arn string) *User { return w.userByARN(arn) }

// PolicyDocument returns a customer managed policy's document, "" if there
// is no such policy.
func (w *World) PolicyDocument(arn string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if p := w.policyLocked(arn); p != nil {
		return p.Document
	}
	return ""
}

// SetPolicyDocument replaces a customer managed policy's document (a new
// default version); it reports whether the policy exists.
func (w *World) SetPolicyDocument(arn, doc string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.policyLocked(arn)
	if p == nil {
		return false
	}
	p.Document = doc
	return true
}

// InlinePolicy returns the role's inline policy document, "" if none.
func (r *Role) InlinePolicy(name string) string {
	r.account.world.mu.Lock()
	defer r.account.world.mu.Unlock()
	return r.inline[name]
}

// InlinePolicyNames lists the role's inline policies, sorted.
func (r *Role) InlinePolicyNames() []string {
	r.account.world.mu.Lock()
	defer r.account.world.mu.Unlock()
	return r.inlineNames()
}

// BoundaryARN is the role's permissions boundary, "" for none.
func (r *Role) BoundaryARN() string {
	r.account.world.mu.Lock()
	defer r.account.world.mu.Unlock()
	return r.boundary
}

// TrustPolicy is the role's trust policy document.
func (r *Role) TrustPolicy() string {
	r.account.world.mu.Lock()
	defer r.account.world.mu.Unlock()
	return r.Trust
}

// InlinePolicy returns the user's inline policy document, "" if none.
func (u *User) InlinePolicy(name string) string {
	u.account.world.mu.Lock()
	defer u.account.world.mu.Unlock()
	return u.inline[name]
}

// InlinePolicyNames lists the user's inline policies, sorted.
func (u *User) InlinePolicyNames() []string {
	u.account.world.mu.Lock()
	defer u.account.world.mu.Unlock()
	return u.inlineNames()
}

// BoundaryARN is the user's permissions boundary, "" for none.
func (u *User) BoundaryARN() string {
	u.account.world.mu.Lock()
	defer u.account.world.mu.Unlock()
	return u.boundary
}

// SubmitUseCaseForm records the Anthropic first-time-use form for the
// account (PutUseCaseForModelAccess) and, as AWS does once it has processed
// it, lifts the use-case-missing state of every model in every region.
func (a *Account) SubmitUseCaseForm(form string) {
	a.world.mu.Lock()
	defer a.world.mu.Unlock()
	a.UseCaseForm = form
	for _, b := range a.bedrock {
		for m, s := range b.access {
			if s == AccessUseCaseMissing {
				b.access[m] = AccessAuthorized
			}
		}
	}
}

// AccessState returns the model-access state of a model in a region.
func (a *Account) AccessState(region, modelID string) AccessState {
	a.world.mu.Lock()
	defer a.world.mu.Unlock()
	return a.bedrockLocked(region).access[modelID]
}
