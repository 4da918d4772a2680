#!/usr/bin/env bash
# Browser tests need Debian's Chromium (Playwright's own download cannot run offline) and CJK fonts.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "ensure-browser: installing ${need[*]} with apt"
  if [ ! -f /var/lib/apt/lists/.riskmap-updated ]; then apt-get update -qq && touch /var/lib/apt/lists/.riskmap-updated; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "ensure-browser: missing ${need[*]}; install them (Debian: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
