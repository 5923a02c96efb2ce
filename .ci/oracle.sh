#!/usr/bin/env bash
# Installs the outside oracle of internal/iampolicy (@cloud-copilot/iam-simulate,
# AGPL, never vendored) exactly as pinned by its committed package-lock.json.
# Fails hard: the differential test run with BEDROCKDOCTOR_ORACLE=1 must never
# pass silently without it.
set -euo pipefail
cd "$(dirname "$0")/../internal/iampolicy/oracle"
npm ci --no-audit --no-fund
