// Regenerates the typed bindings into a temp dir and fails if they differ from the checked-in ones,
// so src/generated can never drift from proto/seniority.proto or from the generator's options.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const out = mkdtempSync(join(tmpdir(), "proto-gen-"));
try {
  const cmd = pkg.scripts.gen.replace("-O src/generated", `-O ${out}`);
  const [bin, ...args] = cmd.split(" ");
  execFileSync(join(root, "../../node_modules/.bin", bin), args, { cwd: root, stdio: "inherit" });
  const committed = join(root, "src/generated");
  const a = readdirSync(committed).sort();
  const b = readdirSync(out).sort();
  const problems = [];
  if (a.join() !== b.join()) problems.push(`file list differs: committed [${a}] vs regenerated [${b}]`);
  for (const f of b) {
    if (a.includes(f) && readFileSync(join(committed, f), "utf8") !== readFileSync(join(out, f), "utf8")) {
      problems.push(`${f} differs`);
    }
  }
  if (problems.length > 0) {
    console.error(
      `libs/proto/src/generated is stale (run \`npm run proto:gen\`):\n  ${problems.join("\n  ")}`,
    );
    process.exit(1);
  }
  console.log(`libs/proto/src/generated matches proto/seniority.proto (${b.length} files)`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
