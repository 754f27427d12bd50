#!/usr/bin/env bash
# Checks the unit files with systemd-analyze verify.
#
# verify insists that ExecStart's binary exists, and the units name the
# installed path /usr/local/bin/classifyd. Rather than install anything, this
# builds classifyd into a temporary folder and verifies copies of the units
# whose ExecStart points there (set CLASSIFYD_BIN to check a binary you built).
# Everything else in the units is verified as written.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
installed=/usr/local/bin/classifyd

command -v systemd-analyze >/dev/null || { echo "verify.sh: systemd-analyze not found (apt-get install systemd)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bin=${CLASSIFYD_BIN:-}
if [ -z "$bin" ]; then
  bin=$tmp/bin/classifyd
  (cd "$root" && go build -o "$bin" ./cmd/classifyd)
fi
help=$("$bin" run --help 2>&1) || { echo "verify.sh: $bin run --help failed" >&2; exit 1; }

units=()
for u in "$here"/*.service; do
  name=$(basename "$u")
  grep -q "^ExecStart=$installed " "$u" || { echo "verify.sh: $name: ExecStart does not start with $installed" >&2; exit 1; }
  grep -q '^Type=notify$' "$u" || { echo "verify.sh: $name: want Type=notify" >&2; exit 1; }
  grep -q '^WatchdogSec=' "$u" || { echo "verify.sh: $name: want WatchdogSec=" >&2; exit 1; }
  sed "s|$installed|$bin|g" "$u" >"$tmp/$name"
  units+=("$tmp/$name")
done

# The flags ExecStart passes must exist: classifyd exits 2 on an unknown flag.
for u in "${units[@]}"; do
  args=$(sed -n 's/^ExecStart=[^ ]* run //p' "$u" | sed 's/%i/example/g; s/\${CLASSIFYD_ADMIN}//g')
  for a in $args; do
    case $a in
      --*) flag=${a%%=*}; grep -q -- "^  -${flag#--}\b" <<<"$help" || { echo "verify.sh: $(basename "$u"): unknown flag $flag" >&2; exit 1; } ;;
    esac
  done
done

echo "systemd-analyze verify ${units[*]##*/}"
# --man=no: Documentation= names man:classifyd(1), which only an install puts
# in place (build/deb/check.sh verifies the installed units with it).
# verify exits 0 on many problems it only warns about: any output fails too.
out=$(systemd-analyze verify --man=no "${units[@]}" 2>&1) || { echo "$out" >&2; exit 1; }
if [ -n "$out" ]; then
  echo "$out" >&2
  echo "verify.sh: systemd-analyze verify warned (above)" >&2
  exit 1
fi
echo "systemd units OK"
