#!/usr/bin/env bash
# Installs what the test suite needs beyond Python packages (idempotent).
set -euo pipefail
exit 0
