#!/bin/bash
# pluma serve in a real browser: headless Chromium + chromedriver + Selenium (tools/install-deps installs
# them, for Debian's /usr/bin/python3). The checks are in tests/serve/browser.py; screenshots go to
# serve-screenshots/ beside the binary.
PLUMA=$1
SRC=$2
for need in /usr/bin/chromium /usr/bin/chromedriver; do
  [ -x "$need" ] || { echo "FAIL: $need is missing: run tools/install-deps"; exit 1; }
done
/usr/bin/python3 -c 'import selenium' 2>/dev/null || { echo "FAIL: python3-selenium is missing: run tools/install-deps"; exit 1; }
exec timeout 240 /usr/bin/python3 "$SRC/tests/serve/browser.py" "$PLUMA" "$SRC" "$(dirname "$PLUMA")/serve-screenshots"
