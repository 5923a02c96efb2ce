package client

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/callctx"
)

// MiddlewareID is the stable ID of the diagnosis middleware in the
// Initialize step.
const MiddlewareID = "bedrockdoctor.Diagnosis"

// diagnosisMiddleware sits first in the Initialize step, outside the retry
// loop (Finalize), so it sees each operation's final error once. It is built
// once per client: the success path allocates nothing of ours.
type diagnosisMiddleware struct {
	diagnoser     *diagnose.Diagnoser
	roleARN       string
	bearerIgnored bool
	role          *roleProvider // nil without WithRole
	roleCreds     aws.CredentialsProvider
	assumeOpts    []func(*stscreds.AssumeRoleOptions)
	// bearer is the Bedrock API key the client sends in place of SigV4
	// (bearer.go), nil when it signs.
	bearer *bearerSource
}

var _ middleware.InitializeMiddleware = (*diagnosisMiddleware)(nil)

// ID implements middleware.InitializeMiddleware.
func (m *diagnosisMiddleware) ID() string { return MiddlewareID }

// install adds m to a stack once, however often the options are applied.
func (m *diagnosisMiddleware) install(stack *middleware.Stack) error {
	if _, ok := stack.Initialize.Get(MiddlewareID); ok {
		return nil
	}
	return stack.Initialize.Add(m, middleware.Before)
}

// HandleInitialize implements middleware.InitializeMiddleware.
func (m *diagnosisMiddleware) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	out middleware.InitializeOutput, metadata middleware.Metadata, err error,
) {
	out, metadata, err = next.HandleInitialize(ctx, in)
	if err == nil {
		return out, metadata, nil
	}
	// Never when the caller gave up, never for our own calls, only for
	// Bedrock Runtime (AppendDiagnosis reaches every client of a config).
	if ctx.Err() != nil || callctx.InDiagnosis(ctx) || awsmiddleware.GetServiceID(ctx) != bedrockruntime.ServiceID {
		return out, metadata, err
	}
	call := callFromInput(in.Parameters)
	call.Operation = awsmiddleware.GetOperationName(ctx)
	call.Region = awsmiddleware.GetRegion(ctx)
	call.RoleARN = m.roleARN
	call.BearerTokenIgnored = m.bearerIgnored
	call.BearerToken, call.BearerKey = m.bearerKey(ctx)
	if m.role != nil {
		call.Notes = m.role.notes()
		call.RoleCredentials = m.roleCreds
		call.AssumeRoleOptions = m.assumeOpts
	}
	if derr := m.diagnoser.Diagnose(ctx, err, call); derr != nil {
		err = derr
	}
	return out, metadata, err
}

// callFromInput reads the model and guardrail from an operation's input.
func callFromInput(params any) diagnose.Call {
	var c diagnose.Call
	switch in := params.(type) {
	case *bedrockruntime.InvokeModelInput:
		c.ModelID = deref(in.ModelId)
		c.GuardrailID, c.GuardrailVersion = deref(in.GuardrailIdentifier), deref(in.GuardrailVersion)
	case *bedrockruntime.InvokeModelWithResponseStreamInput:
		c.ModelID = deref(in.ModelId)
		c.GuardrailID, c.GuardrailVersion = deref(in.GuardrailIdentifier), deref(in.GuardrailVersion)
	case *bedrockruntime.ConverseInput:
		c.ModelID = deref(in.ModelId)
		if in.GuardrailConfig != nil {
			c.GuardrailID, c.GuardrailVersion = deref(in.GuardrailConfig.GuardrailIdentifier), deref(in.GuardrailConfig.GuardrailVersion)
		}
	case *bedrockruntime.ConverseStreamInput:
		c.ModelID = deref(in.ModelId)
		if in.GuardrailConfig != nil {
			c.GuardrailID, c.GuardrailVersion = deref(in.GuardrailConfig.GuardrailIdentifier), deref(in.GuardrailConfig.GuardrailVersion)
		}
	case *bedrockruntime.CountTokensInput:
		c.ModelID = deref(in.ModelId)
	case *bedrockruntime.StartAsyncInvokeInput:
		c.ModelID = deref(in.ModelId)
		if out, ok := in.OutputDataConfig.(*types.AsyncInvokeOutputDataConfigMemberS3OutputDataConfig); ok {
			c.OutputS3URI = deref(out.Value.S3Uri)
		}
	case *bedrockruntime.InvokeModelWithBidirectionalStreamInput:
		c.ModelID = deref(in.ModelId)
	case *bedrockruntime.ApplyGuardrailInput:
		c.GuardrailID, c.GuardrailVersion = deref(in.GuardrailIdentifier), deref(in.GuardrailVersion)
	}
	return c
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
