#!/usr/bin/env bash
# Installs the Debian packages that the test suite needs (npm test runs this first, as `pretest`).
# Each line below is "command package": the package is installed when the command is missing.
# As root, missing packages are installed with apt-get; otherwise the script says what to install
# and exits 1, so a missing tool is a clear message, never a silently skipped test.
set -euo pipefail

# command            Debian package       needed by
REQUIRED=(
  "redis-server       redis-server         test/support/redis-server.ts (RedisKeyStore, replicas)"
  "chromium           chromium             test/web/demo-browser.test.ts (the demo page in a real browser)"
)

missing=()
for entry in "${REQUIRED[@]}"; do
  read -r command package _ <<<"$entry"
  command -v "$command" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "privinfer tests need Debian packages that are missing: ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}" >&2
