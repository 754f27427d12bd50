#!/usr/bin/env bash
# Runs the official LlamaCloud TypeScript SDK against `classifyd serve`, in
# two versions: 2.4.1 (sdk-test.mjs: the v1 classifier jobs) and 2.16.0
# (sdk-test-v2.mjs, installed as llama-cloud-2.16: Classify v2). It
# builds classifyd, starts it on a free loopback port with a temporary data
# directory and a random API key (and --allow-private-webhooks, so that the
# script's webhook receiver on loopback is reachable), runs both scripts,
# and stops the server.
#
#   test/sdk/run.sh            # from anywhere; needs go, node >= 18, npm
#
# Everything is bounded in time (SDK_TEST_TIMEOUT seconds, default 120).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
limit="${SDK_TEST_TIMEOUT:-120}"

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
	if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

if [[ ! -d "$here/node_modules/@llamaindex/llama-cloud" || ! -d "$here/node_modules/llama-cloud-2.16" ]]; then
	echo "installing the SDK (npm ci)..."
	(cd "$here" && timeout "$limit" npm ci --no-audit --no-fund --silent)
fi

echo "building classifyd..."
(cd "$root" && timeout "$limit" go build -o "$tmp/classifyd" ./cmd/classifyd)

key="sdk-test-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
mkdir "$tmp/data"
CLASSIFYD_API_KEY="$key" "$tmp/classifyd" serve --listen 127.0.0.1:0 --data "$tmp/data" --allow-private-webhooks \
	--log-format text --log-level warn 2>"$tmp/server.log" &
server_pid=$!

# The server prints "listening on http://ADDR" once it accepts connections.
url=""
for _ in $(seq 100); do
	url="$(grep -o 'listening on http://[^ ]*' "$tmp/server.log" | head -n1 | cut -d' ' -f3 || true)"
	[[ -n "$url" ]] && break
	if ! kill -0 "$server_pid" 2>/dev/null; then
		echo "classifyd serve exited:"
		cat "$tmp/server.log"
		exit 1
	fi
	sleep 0.1
done
if [[ -z "$url" ]]; then
	echo "classifyd serve did not start in 10s:"
	cat "$tmp/server.log"
	exit 1
fi
echo "classifyd serve at $url"

status=0
echo "--- SDK 2.4.1 (v1 classifier jobs) ---"
LLAMA_CLOUD_BASE_URL="$url" LLAMA_CLOUD_API_KEY="$key" \
	timeout "$limit" node "$here/sdk-test.mjs" || status=$?
echo "--- SDK 2.16.0 (Classify v2) ---"
LLAMA_CLOUD_BASE_URL="$url" LLAMA_CLOUD_API_KEY="$key" \
	timeout "$limit" node "$here/sdk-test-v2.mjs" || status=$?

if [[ $status -ne 0 ]]; then
	echo "--- server log ---"
	cat "$tmp/server.log"
fi
exit $status
