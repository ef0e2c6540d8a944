#!/usr/bin/env bash
# Installs what the test suite needs beyond Python packages (idempotent).
# - Debian's chromium for the browser tests (tests/api/test_browser.py drive it headless with
#   Playwright's Python API; Playwright never downloads a browser of its own);
# - a Japanese font (IPA Gothic), so that screenshots of the Japanese pages show glyphs.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf ] || need+=(fonts-ipafont-gothic)

if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "test-setup: missing ${need[*]}; installing needs root:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
        exit 1
    fi
    echo "test-setup: installing Debian's ${need[*]} for the browser tests"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}"
fi
/usr/bin/chromium --version
