#!/usr/bin/env bash
# Fuzzes one target with afl-fuzz (Debian's afl++) through SharpFuzz for a given number of seconds.
#   fuzz/run.sh codec|hub <seconds>
# Installs what it needs (afl++, the sharpfuzz tool from .config/dotnet-tools.json), publishes the target, instruments the
# Meowstik assemblies, fuzzes from fuzz/corpus/<target>, prints executions and crashes, and exits 1 on a crash or hang
# (the inputs are copied to fuzz/findings/<target>/).
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:-}
seconds=${2:-}
case "$target" in
  # timeout_ms: afl-fuzz calls an execution that runs longer a hang. The first executions include JIT compilation; a
  # steady-state codec execution is well under a millisecond, a hub execution about one, and the hub target's own
  # liveness checks give up after 5-15 s, so its limit sits above them (a stall is reported by the check, with a message).
  codec) project=Meowstik.Fuzz.Codec; instrument=(Meowstik.Protocol.dll); timeout_ms=10000 ;;
  hub) project=Meowstik.Fuzz.Hub; instrument=(Meowstik.Protocol.dll Meowstik.Hub.Core.dll); timeout_ms=30000 ;;
  *) echo "usage: fuzz/run.sh codec|hub <seconds>" >&2; exit 2 ;;
esac
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: fuzz/run.sh codec|hub <seconds>" >&2; exit 2; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v afl-fuzz >/dev/null 2>&1; then
  echo "== installing afl++"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
fi
dotnet tool restore >/dev/null

out=fuzz/out/$target
rm -rf "$out"
mkdir -p "$out"
echo "== publishing $project"
dotnet publish "fuzz/$project" -c Release -o "$out/bin" -nologo -v quiet
# Only our own assemblies are instrumented: coverage of the runtime or of SharpFuzz would steer the fuzzer nowhere useful.
for dll in "${instrument[@]}"; do
  echo "== instrumenting $dll"
  dotnet tool run sharpfuzz "$out/bin/$dll"
done

# afl-fuzz runs `dotnet`, which carries no AFL instrumentation of its own (SharpFuzz speaks the fork-server protocol from
# managed code): skip that check. No core-pattern or CPU-governor tuning is possible in a container; no CPU pinning either,
# since the cores are shared.
export AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1
export AFL_SKIP_CRASHES=1 AFL_SHUFFLE_QUEUE=0
echo "== fuzzing $target for $seconds s"
set +e
afl-fuzz -i "fuzz/corpus/$target" -o "$out/afl" -x fuzz/meowstik.dict -t "$timeout_ms" -m none -V "$seconds" \
  -- dotnet "$out/bin/$project.dll" > "$out/afl.log" 2>&1
status=$?
set -e
stats=$out/afl/default/fuzzer_stats
if [ ! -f "$stats" ]; then
  echo "afl-fuzz did not start (exit $status); its log:"
  tail -n 40 "$out/afl.log"
  exit 1
fi
stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
crashes=$(stat saved_crashes)
hangs=$(stat saved_hangs)
echo "$target: $(stat execs_done) executions in $(( $(stat last_update) - $(stat start_time) )) s ($(stat execs_per_sec) exec/s at the end), corpus $(stat corpus_count), stability $(stat stability), crashes ${crashes:-?}, hangs ${hangs:-?}"

found=0
for kind in crashes hangs; do
  for input in "$out/afl/default/$kind"/id*; do
    [ -e "$input" ] || continue
    mkdir -p "fuzz/findings/$target"
    cp "$input" "fuzz/findings/$target/$kind-$(basename "$input" | tr ':,' '__')"
    found=1
  done
done
if [ "$found" -ne 0 ]; then
  # CI keeps no files: print each finding (base64) and what replaying it throws, so the log alone reproduces it.
  for input in fuzz/findings/$target/*; do
    echo "finding $(basename "$input"), base64: $(base64 -w0 "$input")"
  done
  dotnet run -c Release --project "fuzz/$project" -- replay "fuzz/findings/$target" 2>&1 | head -n 60 || true
  echo "findings saved under fuzz/findings/$target/; replay one with:"
  echo "  dotnet run -c Release --project fuzz/$project -- replay fuzz/findings/$target"
  exit 1
fi
[ "$status" -eq 0 ] || { echo "afl-fuzz exited $status"; tail -n 20 "$out/afl.log"; exit 1; }
