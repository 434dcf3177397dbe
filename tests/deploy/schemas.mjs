// Every rendered object validates against the Kubernetes OpenAPI schemas (kubernetes-models:
// types, enums, required fields, formats), offline.
//   ACCORD_DEPLOY_TOOLS=DIR node schemas.mjs RENDERED_DIR
import { idOf, loadRendered, report, requireTool } from "./lib.mjs";

const results = [];
for (const { overlay, objects } of loadRendered(process.argv[2])) {
  for (const object of objects) {
    const what = `${overlay} ${idOf(object)}`;
    const apiVersion = object.apiVersion ?? "";
    let Model;
    try {
      Model = requireTool(`kubernetes-models/${apiVersion}`)[object.kind];
    } catch {
      Model = undefined;
    }
    if (typeof Model !== "function") {
      results.push({ ok: false, what, why: `no schema for ${apiVersion} ${object.kind}` });
      continue;
    }
    try {
      new Model(object).validate();
      results.push({ ok: true, what });
    } catch (error) {
      results.push({ ok: false, what, why: String(error.message).slice(0, 500) });
    }
  }
}
report("schemas", results);
