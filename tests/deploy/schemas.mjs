// Every rendered object validates against the Kubernetes OpenAPI schemas (kubernetes-models:
// types, enums, required fields, formats), offline, and holds no field the schema does not know
// (strict.mjs).
//   ACCORD_DEPLOY_TOOLS=DIR node schemas.mjs RENDERED_DIR
import { idOf, loadRendered, report } from "./lib.mjs";
import { validateStrict } from "./strict.mjs";

const results = [];
for (const { overlay, objects } of loadRendered(process.argv[2])) {
  for (const object of objects) {
    const problems = validateStrict(object);
    results.push({ ok: problems.length === 0, what: `${overlay} ${idOf(object)}`, why: problems.join("; ") });
  }
}
report("schemas", results);
