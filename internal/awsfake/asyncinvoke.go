package awsfake

import (
	"regexp"
	"strings"

	"github.com/bedrockdoctor/bedrockdoctor/internal/iampolicy"
)

// StartAsyncInvoke (POST /async-invoke, API_runtime_StartAsyncInvoke.html)
// is authorized as bedrock:InvokeModel on its modelId, like InvokeModel,
// and Bedrock then writes the output to the S3 location with the caller's
// own permissions: "Because Amazon Bedrock writes a file to an Amazon S3
// bucket on your behalf, the AWS role that you use needs permissions
// configured to allow ... the s3:PutObject action. The minimum action
// permissions required to generate a video are: bedrock:InvokeModel,
// s3:PutObject" (Amazon Nova User Guide, video-gen-access.html). The write
// starts with the request (a folder and manifest.json appear at once, boto3
// issue 4623), and a caller that may not write is answered
// ValidationException "Invalid Output Config/Credentials" (the text that
// public code handling Nova Reel's failures matches; its exact wording and
// status are otherwise UNCONFIRMED). The fake authorizes s3:PutObject on the
// object under the output prefix with the caller's identity-side policies,
// its organization's SCPs and RCPs, called via Bedrock (aws:CalledVia); it
// keeps no buckets, so a bucket policy is not modelled.

// msgAsyncOutput is Bedrock's answer when the output location cannot be
// written.
const msgAsyncOutput = "Invalid Output Config/Credentials"

// s3URIPattern is AsyncInvokeS3OutputDataConfig.s3Uri's pattern
// (API_runtime_AsyncInvokeS3OutputDataConfig.html).
var s3URIPattern = regexp.MustCompile(`^s3://[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9](/.*)?$`)

type asyncInvokeInput struct {
	ModelID          string         `json:"modelId"`
	ModelInput       map[string]any `json:"modelInput"`
	OutputDataConfig *struct {
		S3 *struct {
			S3URI       string `json:"s3Uri"`
			KMSKeyID    string `json:"kmsKeyId"`
			BucketOwner string `json:"bucketOwner"`
		} `json:"s3OutputDataConfig"`
	} `json:"outputDataConfig"`
	ClientRequestToken string `json:"clientRequestToken"`
	Tags               []any  `json:"tags"`
}

// AsyncOutputObjectARN is the S3 object ARN the fake authorizes
// s3:PutObject on for an output URI: an object under the URI's prefix, in
// the folder Bedrock makes for the invocation.
func AsyncOutputObjectARN(s3URI, invocationID string) string {
	rest := strings.TrimPrefix(s3URI, "s3://")
	bucket, prefix, _ := strings.Cut(rest, "/")
	prefix = strings.Trim(prefix, "/")
	key := invocationID + "/manifest.json"
	if prefix != "" {
		key = prefix + "/" + key
	}
	return "arn:aws:s3:::" + bucket + "/" + key
}

func rtStartAsyncInvoke(c *call) error {
	var in asyncInvokeInput
	if err := decodeJSON(c.body, &in); err != nil {
		return &apiError{Status: 400, Code: "SerializationException", Message: err.Error()}
	}
	if in.OutputDataConfig == nil || in.OutputDataConfig.S3 == nil || !s3URIPattern.MatchString(in.OutputDataConfig.S3.S3URI) {
		return validation("1 validation error detected: Value at 'outputDataConfig.s3OutputDataConfig.s3Uri' failed to satisfy constraint: Member must satisfy regular expression pattern: s3://[a-z0-9][\\.\\-a-z0-9]{1,61}[a-z0-9](/.*)?")
	}
	if in.ModelInput == nil {
		return validation("1 validation error detected: Value null at 'modelInput' failed to satisfy constraint: Member must not be null")
	}
	id := newRequestID()[:12]
	object := AsyncOutputObjectARN(in.OutputDataConfig.S3.S3URI, id)
	if p := c.s.World.Partition; p != "aws" {
		object = "arn:" + p + strings.TrimPrefix(object, "arn:aws")
	}
	write := authLeg{"s3:PutObject", object, calledViaBedrock(c.region)}

	_, invokeErr := c.invoke(in.ModelID, "StartAsyncInvoke")
	// The output leg joins the model's ground truth: every layer that
	// would deny the call on its own.
	set, err := c.policySet(nil, nil)
	if err != nil {
		return err
	}
	c.addLegTruth(write, set)
	if invokeErr != nil {
		return invokeErr
	}
	if res := c.authorize(write.action, write.resource, "", cloneCtx(write.ctx), set); res.Decision != iampolicy.Allow {
		c.entry.Resource = write.resource
		return validation(msgAsyncOutput)
	}
	w := c.s.World
	return c.writeJSON(200, map[string]string{"invocationArn": "arn:" + w.Partition + ":bedrock:" + c.region + ":" + c.principal.Account + ":async-invoke/" + id})
}

// addLegTruth adds to the call's ground truth the layers that deny one
// more leg on their own.
func (c *call) addLegTruth(l authLeg, set iampolicy.PolicySet) {
	if c.scriptedAllow {
		return
	}
	ts := truthSet{}
	ts.add(c.entry.Truth...)
	ts.addBlocked(c.evaluate(l.action, l.resource, "", cloneCtx(l.ctx), set), false)
	w := c.s.World
	w.mu.Lock()
	defer w.mu.Unlock()
	c.entry.Truth = c.routedSignerTruthLocked(ts)
}
