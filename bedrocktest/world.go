package bedrocktest

import (
	"fmt"
	"strings"

	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// Account returns the account with this 12-digit id, creating it.
func (w *World) Account(id string) *Account { return &Account{w, w.w.Account(id)} }

// Organization creates an organization whose management account is
// managementAccount (created if absent). SCPs never restrict the
// management account, as in AWS.
func (w *World) Organization(id, managementAccount string) *Organization {
	return &Organization{w, w.w.Organization(id, managementAccount)}
}

// Model adds a foundation model to the catalog.
func (w *World) Model(m Model) *World {
	w.w.Model(awsfake.FoundationModel{ID: m.ID, Name: m.Name, Provider: m.Provider, Regions: m.Regions,
		OnDemand: m.OnDemand, Legacy: m.Legacy, Marketplace: m.Marketplace})
	return w
}

// Profile adds a system-defined cross-Region inference profile.
func (w *World) Profile(p Profile) *World {
	w.w.Profile(awsfake.SystemProfile{ID: p.ID, ModelID: p.Model, Sources: p.Sources, Destinations: p.Destinations})
	return w
}

// Route fixes the destination region that serves every call of a
// cross-Region inference profile. By default the caller's region serves
// when it is a destination, else the first destination.
func (w *World) Route(profileID, region string) *World {
	w.w.Route(profileID, region)
	return w
}

// VPCEndpoint adds a VPC endpoint of service ("bedrock-runtime", "sts",
// "bedrock" or "iam") with its policy: requests that go through it
// (User.ThroughEndpoint) are also authorized by the policy.
func (w *World) VPCEndpoint(id, service, policy string) *World {
	w.w.VPCEndpoint(id, service, policy)
	return w
}

// App returns the app a scenario file describes; it is zero for a world
// built in Go.
func (w *World) App() App {
	if w.sc == nil {
		return App{}
	}
	t, a := w.sc.Target, w.sc.App
	return App{
		Principal: w.userARN(t.Principal), RoleARN: t.RoleARN, ModelID: t.ModelID, Region: t.Region, Operation: t.Operation,
		ExternalID: a.ExternalID, Auditor: w.userARN(a.DiagnosticUser), Expect: w.sc.Expect["layer"],
	}
}

// userARN turns a scenario's "ACCOUNT/USER" into the user's ARN.
func (w *World) userARN(acctUser string) string {
	acct, name, ok := strings.Cut(acctUser, "/")
	if !ok {
		return ""
	}
	return fmt.Sprintf("arn:%s:iam::%s:user/%s", w.w.Partition, acct, name)
}

// SCP attaches a service control policy at the organization's root.
func (o *Organization) SCP(id, policy string) *Organization { o.o.SCP(id, policy); return o }

// RCP attaches a resource control policy at the organization's root.
func (o *Organization) RCP(id, policy string) *Organization { o.o.RCP(id, policy); return o }

// OU adds an organizational unit under the root.
func (o *Organization) OU(id, name string) *OU { return &OU{o.w, o.o.OU(id, name)} }

// Account places the account with this id (created if absent) at the
// organization's root.
func (o *Organization) Account(id string) *Account {
	return &Account{o.w, o.w.w.Account(id).InOrg(o.o)}
}

// SCP attaches a service control policy to the unit.
func (u *OU) SCP(id, policy string) *OU { u.u.SCP(id, policy); return u }

// RCP attaches a resource control policy to the unit.
func (u *OU) RCP(id, policy string) *OU { u.u.RCP(id, policy); return u }

// OU adds an organizational unit under this one.
func (u *OU) OU(id, name string) *OU { return &OU{u.w, u.u.OU(id, name)} }

// Account places the account with this id (created if absent) in the unit.
func (u *OU) Account(id string) *Account { return &Account{u.w, u.w.w.Account(id).In(u.u)} }

// SCP attaches a service control policy directly to the account; it has no
// effect on an account outside any organization.
func (a *Account) SCP(id, policy string) *Account { a.a.SCP(id, policy); return a }

// RCP attaches a resource control policy directly to the account; it has no
// effect on an account outside any organization.
func (a *Account) RCP(id, policy string) *Account { a.a.RCP(id, policy); return a }

// ManagedPolicy creates a customer managed policy and returns its ARN, for
// User.Attach, Role.Attach and the Boundary methods.
func (a *Account) ManagedPolicy(name, policy string) string { return a.a.ManagedPolicy(name, policy) }

// User creates an IAM user (path "/").
func (a *Account) User(name string) *User {
	u := a.a.User(name)
	a.w.mu.Lock()
	a.w.user[u.ARN()] = u
	a.w.mu.Unlock()
	return &User{a.w, u}
}

// Role creates an IAM role with its trust policy (path "/", maximum
// session one hour).
func (a *Account) Role(name, trust string) *Role { return &Role{a.w, a.a.Role(name, trust)} }

// ModelAccess sets a model's access state in the account and region. A
// model with no state set is AccessAuthorized.
func (a *Account) ModelAccess(region, modelID string, s AccessState) *Account {
	st, ok := accessStates[s]
	if !ok {
		panic(fmt.Sprintf("bedrocktest: unknown access state %q", s))
	}
	a.a.Bedrock(region).Access(modelID, st)
	return a
}

var accessStates = map[AccessState]awsfake.AccessState{
	AccessAuthorized:         awsfake.AccessAuthorized,
	AccessNeedsSubscription:  awsfake.AccessNeedsSubscription,
	AccessSubscriptionFailed: awsfake.AccessSubscriptionFailed,
	AccessAgreementPending:   awsfake.AccessAgreementPending,
	AccessUseCaseMissing:     awsfake.AccessUseCaseMissing,
	AccessNotAvailable:       awsfake.AccessNotAvailable,
}

// ARN returns the user's ARN.
func (u *User) ARN() string { return u.u.ARN() }

// Inline adds an inline policy.
func (u *User) Inline(name, policy string) *User { u.u.Inline(name, policy); return u }

// Attach attaches managed policies by ARN.
func (u *User) Attach(policyARNs ...string) *User { u.u.Attach(policyARNs...); return u }

// Boundary sets the permissions boundary (a managed policy ARN).
func (u *User) Boundary(policyARN string) *User { u.u.Boundary(policyARN); return u }

// ThroughEndpoint sends the user's requests, and those of every role
// session it assumes, through the VPC endpoint (World.VPCEndpoint).
func (u *User) ThroughEndpoint(vpceID string) *User {
	c := u.w.userKey(u.ARN())
	u.w.w.RouteThroughEndpoint(c.AccessKeyID, vpceID)
	return u
}

// ARN returns the role's ARN.
func (r *Role) ARN() string { return r.r.ARN() }

// Inline adds an inline policy.
func (r *Role) Inline(name, policy string) *Role { r.r.Inline(name, policy); return r }

// Attach attaches managed policies by ARN.
func (r *Role) Attach(policyARNs ...string) *Role { r.r.Attach(policyARNs...); return r }

// Boundary sets the permissions boundary (a managed policy ARN).
func (r *Role) Boundary(policyARN string) *Role { r.r.Boundary(policyARN); return r }

// userKey returns the access key of the user with this ARN, issuing it on
// first use; it panics when the world has no such user.
func (w *World) userKey(arn string) awsfake.Credentials {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.keys[arn]; ok {
		return c
	}
	var c awsfake.Credentials
	if u, ok := w.user[arn]; ok {
		c = u.AccessKey()
	} else if w.sc != nil && principalAccount(arn) != "" {
		// A scenario issued its users' keys when it loaded (its VPC
		// endpoints route them).
		name := arn[strings.LastIndex(arn, "/")+1:]
		var found bool
		if c, found = w.sc.Credentials(principalAccount(arn) + "/" + name); !found {
			panic("bedrocktest: the world has no user " + arn)
		}
	} else {
		panic("bedrocktest: the world has no user " + arn)
	}
	w.keys[arn] = c
	return c
}

// principalAccount returns the account id of an IAM or STS ARN.
func principalAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return ""
	}
	return parts[4]
}
