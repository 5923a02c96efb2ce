// A client that is not ours: the stock AWS SDK for JavaScript v3, configured
// only by the environment bedrock-doctor serve prints (AWS_ENDPOINT_URL_*,
// AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). It assumes the role
// with STS, then makes one Converse call per model id with the role's
// credentials; its Bedrock Runtime client speaks HTTP/2 (h2c) by default and
// signs ":authority". No handler, endpoint or signer is overridden.
//
// usage: node client.mjs ROLE_ARN MODEL_ID...
// prints one JSON object per line: the caller, then each call's outcome.
import { STSClient, AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";

const [roleArn, ...models] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");

const sts = new STSClient({});
const me = await sts.send(new GetCallerIdentityCommand({}));
out({ step: "caller", arn: me.Arn });
const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "jsclient" }));
out({ step: "assumed", roleArn });

const br = new BedrockRuntimeClient({
  credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
  maxAttempts: 1,
});
for (const modelId of models) {
  try {
    const r = await br.send(new ConverseCommand({
      modelId,
      messages: [{ role: "user", content: [{ text: "Say hello." }] }],
      inferenceConfig: { maxTokens: 16 },
    }));
    out({ step: "converse", modelId, ok: true, stopReason: r.stopReason, text: r.output?.message?.content?.[0]?.text });
  } catch (e) {
    out({ step: "converse", modelId, ok: false, name: e.name, status: e.$metadata?.httpStatusCode, message: e.message });
  }
}
br.destroy();
sts.destroy();
