// Package bedrockid classifies the model identifiers Amazon Bedrock Runtime
// accepts in its modelId path label, and builds the ARNs Bedrock authorizes
// for them.
//
// # Sources
//
// The identifier forms come from the AWS SDK for Go v2 field docs
// (bedrockruntime api_op_InvokeModel.go, api_op_Converse.go: "modelId"), the
// service reference ARN templates for bedrock (foundation-model,
// inference-profile, application-inference-profile, provisioned-model,
// custom-model, custom-model-deployment, imported-model, prompt-router,
// default-prompt-router, prompt), and the Bedrock User Guide pages on
// geographic and global cross-Region inference
// (https://docs.aws.amazon.com/bedrock/latest/userguide/geographic-cross-region-inference.html,
// https://docs.aws.amazon.com/bedrock/latest/userguide/global-cross-region-inference.html).
//
// # Shape
//
// [Parse] returns an [ID]: its [Kind], the ARN parts when the input was an
// ARN, the resource id, and for foundation models and system-defined
// inference profiles the underlying foundation-model id. [ActionFor] maps a
// Bedrock Runtime operation to the IAM action it is authorized as.
package bedrockid
