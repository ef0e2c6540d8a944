#!/usr/bin/env bash
# Vendor the Swagger UI and ReDoc assets that /docs and /redoc serve (no CDN at run time).
#
# Takes the npm packages swagger-ui-dist and redoc at the pinned versions below (npm pack: the
# published tarballs, no install scripts run) and copies the files the pages load into
# maps/static/vendor/, with each package's licence. Run it again after changing a version;
# commit the result. The app serves them from /static/vendor/ (api/app.py).
set -euo pipefail

# ReDoc stays on 2.x: the 3.x standalone bundle uses import.meta and needs a module script,
# which FastAPI's get_redoc_html does not write.
SWAGGER_UI_VERSION="5.35.0"
REDOC_VERSION="2.5.4"

repo="$(cd "$(dirname "$0")/.." && pwd)"
dest="$repo/maps/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "swagger-ui-dist@${SWAGGER_UI_VERSION}" "redoc@${REDOC_VERSION}" >/dev/null
mkdir swagger redoc
tar -xzf "swagger-ui-dist-${SWAGGER_UI_VERSION}.tgz" -C swagger
tar -xzf "redoc-${REDOC_VERSION}.tgz" -C redoc

mkdir -p "$dest/swagger-ui" "$dest/redoc"
for f in swagger-ui-bundle.js swagger-ui.css favicon-32x32.png LICENSE; do
    cp "swagger/package/$f" "$dest/swagger-ui/$f"
done
# ReDoc's "powered by" footer loads its logo from the vendor's CDN: point it at a blank inline
# image so the page makes no request off the machine (the text link stays).
sed 's#https://cdn\.redoc\.ly/redoc/logo-mini\.svg#data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E#' \
    redoc/package/bundles/redoc.standalone.js > "$dest/redoc/redoc.standalone.js"
if grep -q 'https://cdn\.' "$dest/redoc/redoc.standalone.js"; then
    echo "redoc.standalone.js still names a CDN: update the substitution above" >&2
    exit 1
fi
cp redoc/package/LICENSE "$dest/redoc/LICENSE"
printf 'swagger-ui-dist %s\nredoc %s\n' "$SWAGGER_UI_VERSION" "$REDOC_VERSION" > "$dest/VERSIONS"
echo "vendored swagger-ui-dist ${SWAGGER_UI_VERSION} and redoc ${REDOC_VERSION} into $dest" >&2
