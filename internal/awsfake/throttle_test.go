package awsfake

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// fakeClock is a settable clock for the buckets' refill.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func throttled(f *fixture, quotas map[string]Quota) *fakeClock {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	f.s.SetThrottling(quotas)
	f.s.throttle.mu.Lock()
	f.s.throttle.now = clock.Now
	f.s.throttle.mu.Unlock()
	return clock
}

func TestThrottleSTSPerAccountPerRegion(t *testing.T) {
	f := newFixture(t)
	sess := f.session(t) // before throttling: the role's session in the target account
	clock := throttled(f, map[string]Quota{FamilySTS: {Rate: 1, Burst: 2, PerRegion: true}})
	ctx := context.Background()
	app := sts.NewFromConfig(f.cfg(f.appKey))
	for i := range 2 {
		if _, err := app.GetCallerIdentity(ctx, nil); err != nil {
			t.Fatalf("call %d within the burst: %v", i, err)
		}
	}
	_, err := app.GetCallerIdentity(ctx, nil)
	apiErr(t, err, "Throttling", "Rate exceeded", 400)
	// A cross-account AssumeRole draws on the caller's account only.
	_, err = app.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s")})
	apiErr(t, err, "Throttling", "Rate exceeded", 400)
	if _, err := sts.NewFromConfig(f.cfg(sess)).GetCallerIdentity(ctx, nil); err != nil {
		t.Errorf("the target account's STS quota was spent by the source account: %v", err)
	}
	// Another Region has its own bucket.
	if _, err := sts.NewFromConfig(f.s.Config("us-west-2", f.appKey)).GetCallerIdentity(ctx, nil); err != nil {
		t.Errorf("us-west-2 shares us-east-1's bucket: %v", err)
	}
	clock.Add(time.Second)
	if _, err := app.GetCallerIdentity(ctx, nil); err != nil {
		t.Errorf("a second refills one token: %v", err)
	}
	n := 0
	for _, e := range f.s.Log() {
		if e.Decision == "throttled" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d requests logged as throttled, want 2", n)
	}
}

func TestThrottleIAMGlobalAndBedrock(t *testing.T) {
	f := newFixture(t)
	sess := f.session(t)
	throttled(f, map[string]Quota{FamilyIAM: {Rate: 0.001, Burst: 1}, FamilyBedrock: {Rate: 0.001, Burst: 1, PerRegion: true}})
	ctx := context.Background()
	getRole := func(region string) error {
		_, err := iam.NewFromConfig(f.s.Config(region, sess)).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("BedrockInvoker")})
		return err
	}
	_ = getRole("us-east-1") // allowed or denied, it takes the only token
	apiErr(t, getRole("us-west-2"), "Throttling", "Rate exceeded", 400)

	br := bedrock.NewFromConfig(f.cfg(sess))
	_, _ = br.GetFoundationModel(ctx, &bedrock.GetFoundationModelInput{ModelIdentifier: aws.String(haiku)})
	_, err := br.GetFoundationModel(ctx, &bedrock.GetFoundationModelInput{ModelIdentifier: aws.String(haiku)})
	apiErr(t, err, "ThrottlingException", "Too many requests, please wait before trying again.", 429)

	// STS has no quota here; nil turns throttling off.
	if _, err := sts.NewFromConfig(f.cfg(sess)).GetCallerIdentity(ctx, nil); err != nil {
		t.Errorf("a family without a quota was throttled: %v", err)
	}
	f.s.SetThrottling(nil)
	if err := getRole("us-east-1"); err != nil && isThrottle(err) {
		t.Errorf("SetThrottling(nil) still throttles: %v", err)
	}
}

func isThrottle(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "Throttling" || ae.ErrorCode() == "ThrottlingException")
}

func TestDefaultQuotas(t *testing.T) {
	q := DefaultQuotas()
	if sts := q[FamilySTS]; sts.Rate != 600 || !sts.PerRegion {
		t.Errorf("sts = %+v, want AWS's published 600 per second per account per Region", sts)
	}
	if _, ok := q[FamilyBedrockRuntime]; ok {
		t.Errorf("bedrock-runtime is metered per model in tokens, not by family")
	}
	q[FamilySTS] = Quota{Rate: 1}
	if DefaultQuotas()[FamilySTS].Rate != 600 {
		t.Errorf("DefaultQuotas returns a shared map")
	}
}
