#!/bin/sh
# Builds the web UI into web/dist (served by `doorstep serve --static web/dist`).
# Needs Node.js and npm at build time only; the packages come from
# web/package-lock.json (npm ci), and nothing is fetched at run time.
set -eu
cd "$(dirname "$0")/../web"
if ! command -v npm >/dev/null 2>&1; then
	echo "build-web.sh: npm not found: install Node.js and npm (Debian: apt-get install nodejs npm)" >&2
	exit 1
fi
npm ci --no-audit --no-fund
npx vite build
echo "build-web.sh: built $(pwd)/dist"
