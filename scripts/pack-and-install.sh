#!/usr/bin/env bash
# Packs every published package with `pnpm pack` (catalog and workspace ranges written as users will see them),
# installs the tarballs into a blank project with npm (third-party dependencies from the npm registry), and runs
# there what a new user would: `npx longsora generate … --offline`, a small SDK script, and an import of an
# internal module that must fail. Needs the npm registry (as `./task test`'s install does) and takes about 15 s;
# `./task test` runs it (packages/cli/test/PackAndInstall.test.ts), and `pnpm pack-and-install` alone. Prints
# "pack-and-install: ok" at the end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/longsora-pack-XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$root"
export TURBO_TELEMETRY_DISABLED=1
# The test run builds first; rebuilding here would rewrite dist/ under the tests running beside this one.
[ "${LONGSORA_PACK_BUILT:-}" = 1 ] || turbo run build --output-logs=errors-only >/dev/null

mkdir -p "$work/tarballs" "$work/project"
for package in packages/*/; do
  [ "$(node -p "require('./${package}package.json').private === true")" = true ] && continue
  (cd "$package" && pnpm pack --pack-destination "$work/tarballs" >/dev/null)
done
ls "$work/tarballs" >&2

cd "$work/project"
npm init -y >/dev/null
# Every tarball at once, so npm takes @longsora/* from them rather than from the registry.
npm install --no-audit --no-fund --loglevel=error "$work"/tarballs/*.tgz

# Each package has its licence and repository metadata, and asks effect as a range, not one exact version.
node --input-type=module -e '
  import { readdirSync, existsSync, readFileSync } from "node:fs"
  for (const name of readdirSync("node_modules/@longsora")) {
    const dir = `node_modules/@longsora/${name}`
    const pkg = JSON.parse(readFileSync(`${dir}/package.json`, "utf8"))
    if (!existsSync(`${dir}/LICENSE`)) throw new Error(`${pkg.name}: no LICENSE`)
    if (!pkg.repository?.directory || !pkg.homepage || !pkg.bugs?.url) throw new Error(`${pkg.name}: no repository metadata`)
    const effect = pkg.peerDependencies?.effect
    if (effect !== undefined && !effect.startsWith("^")) throw new Error(`${pkg.name}: effect peer ${effect}`)
  }
  console.log("metadata: ok")
'

# The CLI from the tarball, offline (the embedded emulator renders real MP4s).
npx --no-install longsora --version
npx --no-install longsora generate "A paper boat drifts down a rain gutter." --seconds 8 --segments 2 --offline \
  --output cli-out </dev/null
test -s cli-out/output.mp4

# The SDK from the tarball, as its README shows.
cat >sdk.mjs <<'JS'
import { Emulator } from "@longsora/emulator"
import { OpenAI } from "@longsora/sdk"
const emu = await Emulator.start()
try {
  const client = new OpenAI({ apiKey: emu.apiKey, baseURL: emu.baseURL })
  const result = await client.createVideo({ prompt: "A cat on a windowsill.", seconds: 8, numGenerations: 2, outputDir: "sdk-out" })
  console.log(`sdk: ${result.output} (${result.durations.join(" + ")} s, ${result.joinMethod})`)
} finally {
  await emu.close()
}
JS
node sdk.mjs
test -s sdk-out/output.mp4

# Internal modules are closed from outside.
for internal in "@longsora/ffmpeg-combiner/internal/mp4" "@longsora/ffmpeg-combiner/internal/mp4/index" "@longsora/core/internal/x"; do
  if node --input-type=module -e "await import('$internal')" 2>err.txt; then
    echo "$internal is importable from outside" >&2
    exit 1
  fi
  grep -q "ERR_PACKAGE_PATH_NOT_EXPORTED" err.txt || { cat err.txt >&2; exit 1; }
done
echo "pack-and-install: ok"
