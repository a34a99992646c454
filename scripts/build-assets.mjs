// Builds the committed front-end assets from node_modules (run `npm ci && npm run build`, or `make assets`).
// For now: copy axe-core's browser bundle for the accessibility tests (tests/browser/vendor/axe.min.js).
// Later steps (esbuild bundles into static/vendor/) go here too.
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

async function copy(from, to) {
  const source = join(root, from);
  const target = join(root, to);
  await mkdir(dirname(target), { recursive: true });
  await copyFile(source, target);
  console.log(`${from} -> ${to}`);
}

async function main() {
  const axe = JSON.parse(await readFile(join(root, "node_modules/axe-core/package.json"), "utf8"));
  await copy("node_modules/axe-core/axe.min.js", "tests/browser/vendor/axe.min.js");
  console.log(`axe-core ${axe.version}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
