#!/usr/bin/env bash
# Installs the client that is not ours for cmd/bedrock-doctor's TestJSClient:
# the stock AWS SDK for JavaScript v3 (@aws-sdk/client-sts,
# @aws-sdk/client-bedrock-runtime), exactly as pinned by its committed
# package-lock.json. Fails hard: with BEDROCKDOCTOR_JSCLIENT=1 the test must
# never pass silently without it.
set -euo pipefail
cd "$(dirname "$0")/../cmd/bedrock-doctor/testdata/jsclient"
npm ci --no-audit --no-fund
