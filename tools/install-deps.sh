#!/usr/bin/env bash
# Installs what llmcache builds and tests against, only what is missing. Idempotent: safe to run
# before every build. Needs root (or sudo) only when a system package is missing.
#   - system libraries: liblmdb-dev, libzstd-dev, zlib1g-dev, pkg-config (apt-get)
#   - postgresql: the server the shared-tier tests start a throwaway cluster of (they run it as
#     the `postgres` user the package creates when the tests run as root)
#   - chromium: the headless browser the dashboard's test drives (tools/browser/)
#   - python3 and the official OpenAI and Anthropic Python SDKs, for the end-to-end tests that
#     drive the proxy with the clients our users run, and pytest + pytest-xdist for the pytest
#     plugin's suite (pip)
set -euo pipefail

packages=(liblmdb-dev libzstd-dev zlib1g-dev pkg-config postgresql chromium)
command -v python3 >/dev/null 2>&1 || packages+=(python3 python3-pip)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The official SDKs, pinned: the end-to-end tests drive the proxy with the clients users run;
# pytest and pytest-xdist for the pytest plugin's own suite (integrations/pytest). MODULE=SPEC.
for pair in 'openai=openai==1.109.1' 'anthropic=anthropic==2.15.0' 'pytest=pytest==8.3.5' 'xdist=pytest-xdist==3.6.1'; do
  module="${pair%%=*}"
  sdk="${pair#*=}"
  if ! python3 -c "import $module" >/dev/null 2>&1; then
    echo "install-deps: installing $sdk (pip)" >&2
    python3 -m pip install --quiet --disable-pip-version-check "$sdk" 2>/dev/null \
      || python3 -m pip install --quiet --disable-pip-version-check --user --break-system-packages "$sdk"
  fi
done
