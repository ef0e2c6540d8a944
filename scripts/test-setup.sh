#!/usr/bin/env bash
# Installs what the test suite needs beyond Python packages (idempotent).
# - Debian's chromium for the browser tests (tests/api/test_browser.py drive it headless with
#   Playwright's Python API; Playwright never downloads a browser of its own).
set -euo pipefail

if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "test-setup: /usr/bin/chromium is missing and installing it needs root:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2
        exit 1
    fi
    echo "test-setup: installing Debian's chromium for the browser tests"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
/usr/bin/chromium --version
