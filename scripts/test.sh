#!/usr/bin/env bash
# The whole test suite, as CI runs it: type-check, build, package the VSIX,
# then one node:test run over unit, trainer, webview (headless Chromium) and
# end-to-end (code-server) tests. Run scripts/install-test-deps.sh once first.
set -euo pipefail
cd "$(dirname "$0")/.."

npm run --silent typecheck
npm run --silent package >/dev/null
node --import tsx --test --test-concurrency=1 \
  test/unit/*.test.ts \
  test/trainer/*.test.ts \
  test/webview/*.test.ts \
  test/e2e/*.e2e.test.ts
