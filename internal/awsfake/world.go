package awsfake

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// World is the state of the fake AWS: accounts, organizations, principals,
// credentials and Bedrock. Build it with the methods below, before or while
// a server serves it (they take the world's lock; assigning exported fields
// directly is for setup before serving). The server mutates it only to issue
// sessions and record Marketplace subscriptions.
type World struct {
	mu sync.Mutex
	// Partition is the partition every ARN is built in ("aws" by default).
	Partition string

	accounts  map[string]*Account
	orgs      map[string]*Organization
	keys      map[string]*credential // access key id → credential
	bearers   map[string]*credential // bearer token → credential
	endpoints map[string]*Endpoint
	models    map[string]*FoundationModel
	profiles  map[string]*SystemProfile
	routes    map[string]string
	routed    routedKinds // prompt routers, prompts, Marketplace endpoints (routed.go)
	// mkinds: provisioned, custom, deployed and imported models, and KMS
	// keys (modelkinds.go).
	mkinds *modelKindState
	// appRole is the role the app means to use (SetAppRole), "" unknown.
	appRole string

	// Messages selects the access-denied wording for Bedrock, IAM and the
	// control plane; the zero value is AWS's current one.
	Messages MessageStyle
}

// MessageStyle switches parts of AWS's access-denied grammar off, to
// reproduce services and dates that do not emit them (AWS.md §3.8: the
// reason suffix dates from 2021 and "some AWS services do not support this
// format"; the policy ARN suffix is "gradually rolling out" since 2025).
type MessageStyle struct {
	// OmitReason drops "because no ... allows ..." and "with an explicit
	// deny in ...": the bare "User: P is not authorized to perform: A on
	// resource: R".
	OmitReason bool
	// OmitPolicyARN drops ": <policy ARN>" after an explicit deny.
	OmitPolicyARN bool
}

// locked runs f under the world's lock: the builder methods may be called
// while a server serves the world.
func (w *World) locked(f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f()
}

// NewWorld returns an empty world in the aws partition.
func NewWorld() *World {
	return &World{
		Partition: "aws",
		accounts:  map[string]*Account{},
		orgs:      map[string]*Organization{},
		keys:      map[string]*credential{},
		bearers:   map[string]*credential{},
		endpoints: map[string]*Endpoint{},
		models:    map[string]*FoundationModel{},
		profiles:  map[string]*SystemProfile{},
		routes:    map[string]string{},
	}
}

// Route fixes the destination region of a cross-Region inference profile
// for every request (a server's SetRouter takes precedence).
func (w *World) Route(profileID, region string) {
	w.mu.Lock()
	w.routes[profileID] = region
	w.mu.Unlock()
}

// Credentials are access keys the fake issued.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string    // empty for long-term keys
	Expires         time.Time // zero for long-term keys
}

// credential is one access key (or bearer token) and who it belongs to.
type credential struct {
	Credentials
	user     *User    // long-term user key
	root     *Account // account root key
	session  *Session // temporary key of a role session
	endpoint string   // VPC endpoint its requests go through, "" none
	// bearer is the bedrock:BearerTokenType of a Bedrock API key AWS
	// authorizes with bedrock:CallWithBearerToken (bearer.go); "" for the
	// keys of User.BearerToken, authorized without it.
	bearer string
}

// Session is a role session issued by AssumeRole.
type Session struct {
	Role        *Role
	Name        string            // RoleSessionName
	SourceIdent string            // SourceIdentity, "" none
	Tags        map[string]string // session tags, transitive ones included
	Policy      string            // inline session policy JSON, "" none
	PolicyARNs  []string          // managed session policies
	Expires     time.Time
	Chained     bool   // assumed by another role session (1-hour cap)
	SourceArn   string // the caller that assumed it
	MFAPresent  bool   // SerialNumber and TokenCode were given
	// TransitiveTK are the transitive tag keys passed on to chained
	// sessions.
	TransitiveTK []string
}

// ARN is the session's assumed-role ARN (no role path, AWS.md §2.2).
func (s *Session) ARN() string {
	return fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", s.Role.account.world.Partition, s.Role.account.ID, s.Role.Name, s.Name)
}

// randomID returns n characters of upper-case hex-like base32 for ids and
// keys; the fake's keys are random so that no two worlds share them.
func randomID(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand never fails on supported platforms (Go 1.24+ panics
		// itself); keep a deterministic fallback rather than a panic here.
		return strings.Repeat("0", n)
	}
	return strings.ToUpper(hex.EncodeToString(b))[:n]
}

func randomSecret() string {
	b := make([]byte, 30)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:40]
}

// Organization is an AWS Organizations organization.
type Organization struct {
	ID                string // o-...
	ManagementAccount string
	Root              *OU
	world             *World
}

// OU is an organizational unit (the root is one too). SCPs and RCPs attached
// at each level apply to every account below it.
type OU struct {
	ID       string
	Name     string
	Parent   *OU
	org      *Organization
	SCPs     []*Policy
	RCPs     []*Policy
	children []*OU
}

// Policy is a named policy document.
type Policy struct {
	ARN      string // managed policies, SCPs, RCPs; "" for inline
	Name     string
	Document string
	Path     string
	account  *Account
	created  time.Time
}

// Organization creates an organization whose management account is mgmt
// (created if absent). SCPs never restrict the management account.
func (w *World) Organization(id, mgmt string) *Organization {
	w.mu.Lock()
	defer w.mu.Unlock()
	o := &Organization{ID: id, ManagementAccount: mgmt, world: w}
	o.Root = &OU{ID: "r-" + strings.ToLower(randomID(4)), Name: "Root", org: o}
	w.orgs[id] = o
	a := w.accountLocked(mgmt)
	a.org, a.ou = o, o.Root
	return o
}

// OU adds an organizational unit under the root.
func (o *Organization) OU(id, name string) *OU { return o.Root.OU(id, name) }

// OU adds a child organizational unit.
func (u *OU) OU(id, name string) *OU {
	c := &OU{ID: id, Name: name, Parent: u, org: u.org}
	u.org.world.locked(func() { u.children = append(u.children, c) })
	return c
}

// SCP attaches a service control policy at this level.
func (u *OU) SCP(policyID, doc string) *OU {
	u.org.world.mu.Lock()
	defer u.org.world.mu.Unlock()
	u.SCPs = append(u.SCPs, &Policy{
		ARN:      fmt.Sprintf("arn:%s:organizations::%s:policy/%s/service_control_policy/%s", u.org.world.Partition, u.org.ManagementAccount, u.org.ID, policyID),
		Name:     policyID,
		Document: doc,
	})
	return u
}

// RCP attaches a resource control policy at this level.
func (u *OU) RCP(policyID, doc string) *OU {
	u.org.world.mu.Lock()
	defer u.org.world.mu.Unlock()
	u.RCPs = append(u.RCPs, &Policy{
		ARN:      fmt.Sprintf("arn:%s:organizations::%s:policy/%s/resource_control_policy/%s", u.org.world.Partition, u.org.ManagementAccount, u.org.ID, policyID),
		Name:     policyID,
		Document: doc,
	})
	return u
}

// SCP attaches a service control policy at the root.
func (o *Organization) SCP(policyID, doc string) *Organization { o.Root.SCP(policyID, doc); return o }

// RCP attaches a resource control policy at the root.
func (o *Organization) RCP(policyID, doc string) *Organization { o.Root.RCP(policyID, doc); return o }

// Account is one AWS account.
type Account struct {
	ID    string
	world *World
	org   *Organization
	ou    *OU
	// account-level SCPs/RCPs
	SCPs     []*Policy
	RCPs     []*Policy
	users    map[string]*User
	roles    map[string]*Role
	policies map[string]*Policy // managed policies by ARN
	bedrock  map[string]*Bedrock
	// UseCaseForm is the Anthropic first-time-use form the account
	// submitted (GetUseCaseForModelAccess), "" for none.
	UseCaseForm string
	// DisabledRegions are opt-in regions not enabled for the account.
	DisabledRegions map[string]bool
}

// Account returns the account with the id, creating it.
func (w *World) Account(id string) *Account {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.accountLocked(id)
}

func (w *World) accountLocked(id string) *Account {
	if a, ok := w.accounts[id]; ok {
		return a
	}
	a := &Account{ID: id, world: w, users: map[string]*User{}, roles: map[string]*Role{},
		policies: map[string]*Policy{}, bedrock: map[string]*Bedrock{}, DisabledRegions: map[string]bool{}}
	w.accounts[id] = a
	return a
}

// In places the account in an organizational unit.
func (a *Account) In(u *OU) *Account {
	a.world.locked(func() { a.org, a.ou = u.org, u })
	return a
}

// InOrg places the account at the root of an organization.
func (a *Account) InOrg(o *Organization) *Account { return a.In(o.Root) }

// SCP attaches a service control policy directly to the account.
func (a *Account) SCP(policyID, doc string) *Account {
	a.world.mu.Lock()
	defer a.world.mu.Unlock()
	if a.org == nil {
		return a
	}
	a.SCPs = append(a.SCPs, &Policy{ARN: fmt.Sprintf("arn:%s:organizations::%s:policy/%s/service_control_policy/%s", a.world.Partition, a.org.ManagementAccount, a.org.ID, policyID), Name: policyID, Document: doc})
	return a
}

// RCP attaches a resource control policy directly to the account.
func (a *Account) RCP(policyID, doc string) *Account {
	a.world.mu.Lock()
	defer a.world.mu.Unlock()
	if a.org == nil {
		return a
	}
	a.RCPs = append(a.RCPs, &Policy{ARN: fmt.Sprintf("arn:%s:organizations::%s:policy/%s/resource_control_policy/%s", a.world.Partition, a.org.ManagementAccount, a.org.ID, policyID), Name: policyID, Document: doc})
	return a
}

// ManagedPolicy creates a customer managed policy and returns its ARN.
func (a *Account) ManagedPolicy(name, doc string) string {
	arn := fmt.Sprintf("arn:%s:iam::%s:policy/%s", a.world.Partition, a.ID, name)
	a.world.locked(func() {
		a.policies[arn] = &Policy{ARN: arn, Name: name, Document: doc, Path: "/", account: a, created: time.Now().UTC()}
	})
	return arn
}

// RootCredentials issues access keys for the account root user.
func (a *Account) RootCredentials() Credentials {
	c := &credential{Credentials: Credentials{AccessKeyID: "AKIA" + randomID(16), SecretAccessKey: randomSecret()}, root: a}
	a.world.mu.Lock()
	a.world.keys[c.AccessKeyID] = c
	a.world.mu.Unlock()
	return c.Credentials
}

// principalBase holds what users and roles share.
type principalBase struct {
	Name     string
	Path     string
	UniqueID string
	Tags     map[string]string
	account  *Account
	inline   map[string]string // policy name → document
	attached []string          // managed policy ARNs
	boundary string            // managed policy ARN
	created  time.Time
}

// snapshot copies the mutable parts, for reading outside the lock.
func (p *principalBase) snapshot() principalBase {
	c := *p
	c.inline = make(map[string]string, len(p.inline))
	for k, v := range p.inline {
		c.inline[k] = v
	}
	c.attached = append([]string(nil), p.attached...)
	c.Tags = copyTags(p.Tags)
	return c
}

func (p *principalBase) inlineNames() []string {
	names := make([]string, 0, len(p.inline))
	for n := range p.inline {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// User is an IAM user.
type User struct{ principalBase }

// ARN is the user's ARN.
func (u *User) ARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:user%s%s", u.account.world.Partition, u.account.ID, u.Path, u.Name)
}

// User creates an IAM user (path "/").
func (a *Account) User(name string) *User {
	u := &User{principalBase{Name: name, Path: "/", UniqueID: "AIDA" + randomID(17), account: a, inline: map[string]string{}, created: time.Now().UTC()}}
	a.world.locked(func() { a.users[name] = u })
	return u
}

// Inline adds an inline policy.
func (u *User) Inline(name, doc string) *User {
	u.account.world.locked(func() { u.inline[name] = doc })
	return u
}

// Attach attaches managed policies by ARN.
func (u *User) Attach(arns ...string) *User {
	u.account.world.locked(func() { u.attached = append(u.attached, arns...) })
	return u
}

// Boundary sets the permissions boundary (a managed policy ARN).
func (u *User) Boundary(arn string) *User {
	u.account.world.locked(func() { u.boundary = arn })
	return u
}

// AccessKey issues a long-term access key for the user.
func (u *User) AccessKey() Credentials {
	c := &credential{Credentials: Credentials{AccessKeyID: "AKIA" + randomID(16), SecretAccessKey: randomSecret()}, user: u}
	u.account.world.mu.Lock()
	u.account.world.keys[c.AccessKeyID] = c
	u.account.world.mu.Unlock()
	return c.Credentials
}

// BearerToken issues a Bedrock API key (bearer token) acting as the user.
func (u *User) BearerToken() string {
	tok := "ABSK" + randomSecret()
	c := &credential{Credentials: Credentials{AccessKeyID: "bearer:" + u.Name}, user: u}
	u.account.world.mu.Lock()
	u.account.world.bearers[tok] = c
	u.account.world.mu.Unlock()
	return tok
}

// Role is an IAM role.
type Role struct {
	principalBase
	Trust              string // trust policy document
	MaxSessionDuration time.Duration
	Description        string
}

// ARN is the role's ARN, with its path.
func (r *Role) ARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:role%s%s", r.account.world.Partition, r.account.ID, r.Path, r.Name)
}

// Role creates a role with a trust policy (MaxSessionDuration one hour, path
// "/").
func (a *Account) Role(name, trust string) *Role {
	r := &Role{principalBase: principalBase{Name: name, Path: "/", UniqueID: "AROA" + randomID(17), account: a, inline: map[string]string{}, created: time.Now().UTC()},
		Trust: trust, MaxSessionDuration: time.Hour}
	a.world.locked(func() { a.roles[name] = r })
	return r
}

// WithPath sets the role's path ("/team/").
func (r *Role) WithPath(path string) *Role {
	r.account.world.locked(func() { r.Path = path })
	return r
}

// Inline adds an inline policy.
func (r *Role) Inline(name, doc string) *Role {
	r.account.world.locked(func() { r.inline[name] = doc })
	return r
}

// SetTrust replaces the trust policy.
func (r *Role) SetTrust(doc string) *Role {
	r.account.world.locked(func() { r.Trust = doc })
	return r
}

// RemoveInline deletes an inline policy.
func (r *Role) RemoveInline(name string) *Role {
	r.account.world.locked(func() { delete(r.inline, name) })
	return r
}

// Attach attaches managed policies by ARN.
func (r *Role) Attach(arns ...string) *Role {
	r.account.world.locked(func() { r.attached = append(r.attached, arns...) })
	return r
}

// Boundary sets the permissions boundary (a managed policy ARN).
func (r *Role) Boundary(arn string) *Role {
	r.account.world.locked(func() { r.boundary = arn })
	return r
}

// MaxSession sets MaxSessionDuration.
func (r *Role) MaxSession(d time.Duration) *Role {
	r.account.world.locked(func() { r.MaxSessionDuration = d })
	return r
}

// Tag sets a role tag.
func (r *Role) Tag(k, v string) *Role {
	r.account.world.locked(func() {
		if r.Tags == nil {
			r.Tags = map[string]string{}
		}
		r.Tags[k] = v
	})
	return r
}

// RemoveInline deletes an inline policy.
func (u *User) RemoveInline(name string) *User {
	u.account.world.locked(func() { delete(u.inline, name) })
	return u
}

// Endpoint is a VPC endpoint with its policy. Requests of Service that go
// through it are also authorized by Policy.
type Endpoint struct {
	ID      string // vpce-...
	Service string // "bedrock-runtime", "sts", "bedrock", "iam"
	Policy  string
}

// VPCEndpoint registers a VPC endpoint.
func (w *World) VPCEndpoint(id, service, policy string) *Endpoint {
	w.mu.Lock()
	defer w.mu.Unlock()
	e := &Endpoint{ID: id, Service: service, Policy: policy}
	w.endpoints[id] = e
	return e
}

// RouteThroughEndpoint makes every request signed with the access key (and
// every session it assumes, which inherits its network) go through the VPC
// endpoint. A request may also name one with the X-Awsfake-Vpce header.
func (w *World) RouteThroughEndpoint(accessKeyID, vpceID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.keys[accessKeyID]; ok {
		c.endpoint = vpceID
	}
}
