package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// reachOutcome is what one AWS call of the diagnosis got back.
type reachOutcome int

const (
	// reachAnswered: AWS answered, with a result or an error of its own
	// (a denial is an answer).
	reachAnswered reachOutcome = iota
	// reachUnreachable: the request never got an HTTP answer: connection
	// refused or reset, DNS failure, TLS failure.
	reachUnreachable
	// reachFault: an answer that says nothing about access: throttling, a
	// 5xx, a body the SDK could not read, no answer within the budget.
	reachFault
	// reachLocal: the call failed before it left the machine (no
	// credentials to sign with, an invalid parameter): not AWS's doing.
	reachLocal
)

// classifyReach sorts a call's final error (after the SDK's retries).
func classifyReach(err error) reachOutcome {
	if err == nil {
		return reachAnswered
	}
	var send *smithyhttp.RequestSendError
	var dns *net.DNSError
	if errors.As(err, &send) || errors.As(err, &dns) {
		return reachUnreachable
	}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) && (resp.HTTPStatusCode() == 429 || resp.HTTPStatusCode() >= 500) {
		return reachFault
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		if _, throttled := retry.DefaultThrottleErrorCodes[api.ErrorCode()]; throttled {
			return reachFault
		}
		if _, timeout := retry.DefaultRetryableErrorCodes[api.ErrorCode()]; timeout {
			return reachFault
		}
		return reachAnswered
	}
	var deser *smithy.DeserializationError
	if errors.As(err, &deser) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return reachFault
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return reachUnreachable
	}
	return reachLocal
}

// reachability counts, over every AWS call the diagnosis makes, which got
// an answer from AWS. A diagnosis none of whose calls got one knows nothing
// about access, whatever its checks concluded from the failures, so the
// CLI must not print a denied layer for it.
type reachability struct {
	mu       sync.Mutex
	counts   [4]int
	examples [4]string // the first failure of each kind, for the message
}

// record notes one call's outcome.
func (r *reachability) record(service, operation string, err error) {
	o := classifyReach(err)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[o]++
	if o != reachAnswered && r.examples[o] == "" {
		r.examples[o] = strings.TrimSpace(service+" "+operation) + ": " + err.Error()
	}
}

// instrument returns a copy of cfg whose every client records its calls'
// outcomes in r. The middleware sits in the Initialize step, outside the
// retry loop, so it sees each operation's final error once.
func (r *reachability) instrument(cfg aws.Config) aws.Config {
	c := cfg.Copy()
	c.APIOptions = append(cfg.APIOptions[:len(cfg.APIOptions):len(cfg.APIOptions)], func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("bedrockdoctor-cli-reachability",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				r.record(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), err)
				return out, md, err
			}), middleware.After)
	})
	return c
}

// unreached is why the diagnosis could not reach AWS, and the exit code it
// calls for.
type unreached struct {
	code    int // exitUsage: the network (an environment error); exitUndecided: AWS's side
	summary string
	detail  string
	fix     string
}

// verdict returns nil when some call got an answer from AWS (or none
// failed to reach it), else why none did.
func (r *reachability) verdict() *unreached {
	r.mu.Lock()
	defer r.mu.Unlock()
	unreach, faults := r.counts[reachUnreachable], r.counts[reachFault]
	if r.counts[reachAnswered] > 0 || unreach+faults == 0 {
		return nil
	}
	u := &unreached{}
	if unreach > 0 {
		u.code = exitUsage
		u.summary = "AWS could not be reached: no diagnostic call got an answer, so nothing is known about access"
		u.fix = "check the network path to the AWS endpoints (DNS, proxy settings such as HTTPS_PROXY, firewall, AWS_ENDPOINT_URL*) and run the check again"
	} else {
		u.code = exitUndecided
		u.summary = "AWS answered every diagnostic call with throttling, a service error or no answer in time, so nothing is known about access"
		u.fix = "run the check again later, or with a longer --budget"
	}
	u.detail = fmt.Sprintf("no AWS call got an answer: %d could not connect, %d were throttled, failed on AWS's side or timed out", unreach, faults)
	for _, ex := range []string{r.examples[reachUnreachable], r.examples[reachFault]} {
		if ex != "" {
			u.detail += "; e.g. " + ex
			break
		}
	}
	return u
}

// apply rewrites a report whose checks could not reach AWS: the layer is
// unknown whatever the checks made of their failures, and a check named
// aws.reach says why.
func (u *unreached) apply(r *diagnose.Report) *diagnose.Report {
	out := *r
	out.Layer = diagnose.LayerUnknown
	out.Candidates = nil
	out.Summary = u.summary
	out.Fix = u.fix
	out.FixPolicy = ""
	out.Checks = append([]diagnose.Check{{
		Name: "aws.reach", Layer: diagnose.LayerUnknown, Status: diagnose.StatusUnknown,
		Detail: u.detail, Needs: "network access to the STS, IAM and Bedrock endpoints",
	}}, r.Checks...)
	return &out
}
