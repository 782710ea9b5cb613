#!/usr/bin/env bash
# The main job: set up, then run autocut-native's end-to-end demo on built-in media.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/autocut-native demo "$@"
