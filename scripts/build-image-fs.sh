#!/usr/bin/env bash
# Builds the file tree of Piaoma's container image into OUT_DIR: the built web pages, the program
# (bin/, src/ without tests, drizzle/ migrations) and its production dependencies only — no page
# sources, no build tools, no test libraries. The Dockerfile's build stage runs this script, and so
# does CI (test/e2e/image.test.ts builds into a temporary folder, starts the tree and checks
# /health), so the image's steps are tested on every run without a container engine.
#
# Usage: scripts/build-image-fs.sh OUT_DIR      (run from anywhere; needs the repository's
#        node_modules with dev dependencies, i.e. after `npm ci`)
set -euo pipefail
out=${1:?usage: scripts/build-image-fs.sh OUT_DIR}
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -n "$(ls -A "$out")" ]; then
  echo "build-image-fs: $out is not empty" >&2
  exit 1
fi

# 1. The console and the consumer page, built by Vite (the only step that needs dev dependencies).
echo "build-image-fs: web pages"
(cd "$repo" && NODE_ENV=production node_modules/.bin/vite build --logLevel warn --outDir "$out/dist/web" --emptyOutDir)

# 2. The program: run by tsx from its TypeScript sources, as `npm start` runs it.
echo "build-image-fs: program"
cp "$repo/package.json" "$repo/package-lock.json" "$repo/README.md" "$out/"
[ -f "$repo/LICENSE" ] && cp "$repo/LICENSE" "$out/"
cp -R "$repo/bin" "$repo/drizzle" "$out/"
(cd "$repo" && find src -type f ! -name '*.test.ts' -print0) |
  while IFS= read -r -d '' f; do
    mkdir -p "$out/$(dirname "$f")"
    cp "$repo/$f" "$out/$f"
  done

# 3. Production dependencies only, exactly as locked.
echo "build-image-fs: production dependencies"
(cd "$out" && npm ci --omit=dev --no-audit --no-fund --prefer-offline --loglevel=error)

echo "build-image-fs: done ($(du -sh "$out" | cut -f1) in $out)"
