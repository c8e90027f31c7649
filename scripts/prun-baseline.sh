#!/bin/sh
# The original system's way of starting a party, for benchmarks only: e3
# does this itself (crates/prun). Written from the description of prun.sh
# (../shared/docs/mission.md, step 9), weaknesses included: it stops at the
# first blank line and matches hostnames exactly.
#
# Usage (on every host at once, e.g. through parallel-ssh):
#   cd <synced dir> && ./prun-baseline.sh PROGRAM [ARGS...]
# Reads hosts.pssh from the current folder. PYTHON picks the interpreter.
PORT=11599
PYTHON=${PYTHON:-python3}
PROGRAM=$1
shift
me=$(uname -n)
parties=""
index=""
i=0
while IFS= read -r line; do
  [ -z "$line" ] && break
  [ "$i" -ge 600 ] && break
  host=${line#root@}
  parties="$parties -P $host:$PORT"
  [ "$host" = "$me" ] && index=$i
  i=$((i + 1))
done < hosts.pssh
if [ -z "$index" ]; then
  echo "$me does not participate ($i hosts)"
  exit 0
fi
# shellcheck disable=SC2086
exec "$PYTHON" "$PROGRAM" "$@" -I "$index" $parties
