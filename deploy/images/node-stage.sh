# Sourced by deploy/images/*.sh: stages Node and npm from the npm registry (npm's `node@N`
# ships the binary) as /usr/local of an image, in the build context given.
# stage_node <cache dir> <node major> <npm major> <context dir>
stage_node() {
  local dir="$1/node$2-npm$3" ctx=$4
  if [ ! -x "$dir/node_modules/node/bin/node" ] || [ ! -f "$dir/node_modules/npm/package.json" ]; then
    npm install --prefix "$dir" --no-save --no-audit --no-fund "node@$2" "npm@$3" >"$dir-install.log" 2>&1 ||
      {
        tail -20 "$dir-install.log" >&2
        return 1
      }
  fi
  mkdir -p "$ctx/stage/usr/local/bin" "$ctx/stage/usr/local/lib/node_modules"
  cp "$dir/node_modules/node/bin/node" "$ctx/stage/usr/local/bin/node"
  cp -a "$dir/node_modules/npm" "$ctx/stage/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ctx/stage/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ctx/stage/usr/local/bin/npx"
}
