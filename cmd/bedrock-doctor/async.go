package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// startAsync starts one asynchronous invocation as a demo world's app does:
// a six-second Nova Reel text-to-video job whose output Bedrock writes to
// output with the caller's s3:PutObject (Amazon Nova User Guide,
// video-gen-access.html; API_runtime_StartAsyncInvoke.html).
func startAsync(ctx context.Context, br *bedrockruntime.Client, model, output string) error {
	_, err := br.StartAsyncInvoke(ctx, &bedrockruntime.StartAsyncInvokeInput{
		ModelId: aws.String(model),
		ModelInput: document.NewLazyDocument(map[string]any{
			"taskType":              "TEXT_VIDEO",
			"textToVideoParams":     map[string]string{"text": "A lighthouse at dawn."},
			"videoGenerationConfig": map[string]any{"durationSeconds": 6, "fps": 24, "dimension": "1280x720"},
		}),
		OutputDataConfig: &types.AsyncInvokeOutputDataConfigMemberS3OutputDataConfig{Value: types.AsyncInvokeS3OutputDataConfig{S3Uri: aws.String(output)}},
	})
	return err
}
