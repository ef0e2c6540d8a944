#!/usr/bin/env bash
# Installs what the test suite needs beyond Python packages (idempotent).
# - Debian's chromium for the browser tests (tests/api/test_browser.py drive it headless with
#   Playwright's Python API; Playwright never downloads a browser of its own);
# - a Japanese font (IPA Gothic), so that screenshots of the Japanese pages show glyphs;
# - Debian's mosquitto MQTT broker: the collector tests start their own on free loopback ports
#   (tests/sensors/test_collect_mqtt.py), `make live` too when none listens on 1883;
# - Debian's nodejs/npm and the npm test tools pinned in tests/package.json (axe-core for the
#   accessibility tests, Lighthouse for bench/pages.py) into tests/node_modules.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/share/fonts/opentype/ipafont-gothic/ipag.ttf ] || need+=(fonts-ipafont-gothic)
[ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v npm >/dev/null || need+=(nodejs npm)

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

# axe-core (tests/api/test_a11y.py injects it into every page) and Lighthouse (bench/pages.py),
# pinned in tests/package.json and tests/package-lock.json, installed into tests/node_modules
# with `npm ci`; reinstalled only when the lock file changed (its digest is kept beside).
npm_dir="$(cd "$(dirname "$0")/.." && pwd)/tests"
lock_digest=$(sha256sum "$npm_dir/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$npm_dir/node_modules/.kaiteki-lock.sha256" 2>/dev/null)" != "$lock_digest" ]; then
    echo "test-setup: installing the npm test tools (axe-core, lighthouse) into tests/node_modules"
    (cd "$npm_dir" && npm ci --no-audit --no-fund --ignore-scripts)
    echo "$lock_digest" > "$npm_dir/node_modules/.kaiteki-lock.sha256"
fi

# PostgreSQL 15 + PostGIS for the store tests (tests/sensors/conftest.py): when nothing answers
# on 127.0.0.1:5432, install Debian's postgresql and start a cluster (trust auth on the
# loopback, as on CI); always make sure the PostGIS package of the server's major version is
# installed.
pg_answers() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if [ "$(id -u)" -eq 0 ]; then
    if ! command -v pg_isready >/dev/null || ! pg_answers; then
        if ! command -v pg_ctlcluster >/dev/null; then
            echo "test-setup: installing Debian's postgresql for the store tests"
            apt-get update
            DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
        fi
        major=$(ls /usr/lib/postgresql | sort -n | tail -1)
        if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "$major/main"; then
            pg_createcluster "$major" main -- --auth-host=trust --auth-local=trust
        fi
        pg_ctlcluster "$major" main start || true
        for _ in $(seq 1 30); do pg_answers && break; sleep 1; done
    fi
    major=$(psql -h 127.0.0.1 -U postgres -Atc "SHOW server_version_num" | cut -c1-2)
    if ! dpkg -s "postgresql-$major-postgis-3" >/dev/null 2>&1; then
        echo "test-setup: installing postgresql-$major-postgis-3 for the store tests"
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y "postgresql-$major-postgis-3"
    fi
elif ! pg_answers; then
    echo "test-setup: no PostgreSQL on 127.0.0.1:5432; as root this script installs it:" >&2
    echo "  sudo scripts/test-setup.sh" >&2
    exit 1
fi
pg_isready -h 127.0.0.1 -p 5432
