// Shared by the deploy checks: the installed tools (ACCORD_DEPLOY_TOOLS, from install-tools.sh)
// and the rendered overlays (one multi-document YAML file per overlay).
import { createRequire } from "node:module";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const tools = process.env.ACCORD_DEPLOY_TOOLS;
if (!tools) {
  console.error("ACCORD_DEPLOY_TOOLS is not set (run tests/deploy/install-tools.sh DIR)");
  process.exit(2);
}
// Packages resolve from the tools directory, not from this source tree.
export const requireTool = createRequire(path.join(tools, "package.json"));
const YAML = requireTool("yaml");

// [{overlay, objects: [...]}] for every DIR/*.yaml; fails on a YAML error.
export function loadRendered(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();
  if (files.length === 0) throw new Error(`no rendered overlays in ${dir}`);
  return files.map((file) => {
    const documents = YAML.parseAllDocuments(readFileSync(path.join(dir, file), "utf8"));
    const objects = [];
    for (const document of documents) {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0].message}`);
      const object = document.toJS();
      if (object !== null) objects.push(object);
    }
    return { overlay: path.basename(file, ".yaml"), objects };
  });
}

export const idOf = (o) => `${o.kind}/${o.metadata?.name}`;

// Runs `check(record)` and prints one line per failure, then the closing count; exits non-zero
// when anything failed.
export function report(name, results) {
  let failed = 0;
  for (const { ok, what, why } of results) {
    if (!ok) {
      failed += 1;
      console.log(`FAIL ${what}: ${why}`);
    }
  }
  console.log(`${name}: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}
