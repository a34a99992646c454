// Builds the committed front-end assets from node_modules (run `npm ci && npm run build`, or `make assets`).
// - static/vendor/socket.io.min.js: the Socket.IO browser client, for live pages;
// - static/vendor/*.bundle.js: our editors, bundled with esbuild from static/src/*.js (one entry each);
// - tests/browser/vendor/axe.min.js: axe-core, for the accessibility tests.
import { copyFile, mkdir, readFile, readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

async function version(name) {
  return JSON.parse(await readFile(join(root, "node_modules", name, "package.json"), "utf8")).version;
}

async function copy(from, to) {
  const source = join(root, from);
  const target = join(root, to);
  await mkdir(dirname(target), { recursive: true });
  await copyFile(source, target);
  console.log(`${from} -> ${to}`);
}

async function bundles() {
  const sourceDir = join(root, "static/src");
  let entries = [];
  try {
    entries = (await readdir(sourceDir)).filter((name) => name.endsWith(".js"));
  } catch {
    return;
  }
  if (!entries.length) return;
  const esbuild = await import("esbuild");
  for (const entry of entries) {
    const outfile = join(root, "static/vendor", entry.replace(/\.js$/, ".bundle.js"));
    await esbuild.build({
      entryPoints: [join(sourceDir, entry)],
      bundle: true,
      minify: true,
      format: "iife",
      target: ["es2020"],
      legalComments: "eof",
      outfile,
    });
    console.log(`static/src/${entry} -> ${outfile.slice(root.length + 1)}`);
  }
}

async function main() {
  await copy("node_modules/axe-core/axe.min.js", "tests/browser/vendor/axe.min.js");
  await copy("node_modules/socket.io-client/dist/socket.io.min.js", "static/vendor/socket.io.min.js");
  await bundles();
  console.log(`axe-core ${await version("axe-core")}, socket.io-client ${await version("socket.io-client")}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
