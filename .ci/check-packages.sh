#!/usr/bin/env bash
# Packs the solution the way a release would and checks every package (rules listed in .ci/check-packages.cs):
# only the src/ libraries are packed, with no warnings; each ships its own README with absolute links, license
# metadata, XML docs next to each assembly, symbols with SourceLink and deterministic paths; only Meowstik.Hub.Sqlite
# depends on SQLite. Prints one line per package; exits non-zero on any failure. Then a consumer app (.ci/consumer)
# installs the packages and runs. Needs only the .NET SDK.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
out=artifacts/packages
rm -rf "$out"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet pack Meowstik.Sdk.sln -c Release -o "$out" -p:ContinuousIntegrationBuild=true >"$log" 2>&1
status=$?
set -e
fallbacks=$(grep -c 'SourceLink: no http(s) URL' "$log" || true)
if [ "$fallbacks" -gt 0 ]; then
  echo "pack: no http(s) git origin here; SourceLink linked to RepositoryUrl instead ($fallbacks projects)"
fi
if [ "$status" -ne 0 ]; then
  cat "$log"
  echo "check-packages: dotnet pack failed (exit $status)"
  exit "$status"
fi
# NU1603 (a dependency's exact version is not served, the next one is taken) is expected for Iot.Device.Bindings and is
# not an error anywhere in the build (Directory.Build.props WarningsNotAsErrors); every other warning fails the check.
warnings=$(grep -E ': warning ' "$log" | grep -v ': warning NU1603:' | sed 's/^ *//' | sort -u || true)
if [ -n "$warnings" ]; then
  echo "$warnings"
  echo "check-packages: dotnet pack printed warnings (it must print none)"
  exit 1
fi

dotnet run --file .ci/check-packages.cs -- "$out" src

# A fresh app installs the packages from $out (its own package folder, so a stale 0.1.0 in the machine's cache can
# never stand in) and runs a hub with two agents, using only `using Meowstik.Agent;` and `using Meowstik.Hub.Core;`.
rm -rf artifacts/consumer-packages .ci/consumer/bin .ci/consumer/obj
dotnet run --project .ci/consumer -c Release -p:RestorePackagesPath="$PWD/artifacts/consumer-packages" 2>&1 | tail -n 5
