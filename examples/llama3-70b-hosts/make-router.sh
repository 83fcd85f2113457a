#!/usr/bin/env bash
# Rebuilds router.json from thefastest.ai's measurements (needs ../shared and python3 with numpy):
#   examples/llama3-70b-hosts/make-router.sh [path/to/llm_api_latency_runs.csv]
# The same input gives the same requests.csv and the same model coefficients.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${1:-$here/../../../shared/datasets/thefastest-ai-latency/llm_api_latency_runs.csv}"
mosaic="${MOSAIC:-mosaic}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 "$here/make_requests.py" "$data" "$tmp/requests.csv"
"$mosaic" ingest requests "$tmp/requests.csv" --db "$tmp/store.sqlite" --catalog "$here/catalog.yaml" >/dev/null
"$mosaic" train routing --db "$tmp/store.sqlite" --out "$here/router.json"
