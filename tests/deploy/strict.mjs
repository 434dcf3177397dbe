// Strict validation against the Kubernetes schemas of kubernetes-models: its validators check
// types, enums, required fields and formats, but let unknown fields through (a misspelt
// `readinesProbe` is silently dropped by the API server's non-strict decoding, and the pod runs
// without a probe). So each object is validated through a Proxy that records which properties the
// schema's validator looked at; an own property of an object that the validator never read is not
// in the schema. Objects whose keys the validator enumerates (maps: labels, ConfigMap data,
// resources) are maps, and any key is allowed there.
import { requireTool } from "./lib.mjs";

// The kubernetes-models class for an object, or undefined.
function modelOf(object) {
  try {
    const Model = requireTool(`kubernetes-models/${object.apiVersion ?? ""}`)[object.kind];
    return typeof Model === "function" ? Model : undefined;
  } catch {
    return undefined;
  }
}

// kustomize's secretGenerator folds a long base64 value into lines; the API server decodes it as
// Go's base64 does, ignoring line breaks, but the schema's "byte" format does not.
function withoutLineBreaksInSecretData(object) {
  if (object.kind !== "Secret" || !isObject(object.data)) return object;
  const data = Object.fromEntries(Object.entries(object.data).map(([k, v]) => [k, typeof v === "string" ? v.replace(/[\r\n]/g, "") : v]));
  return { ...object, data };
}

const isObject = (value) => value !== null && typeof value === "object";

// Validates `object`; returns the list of problems (empty when it is valid and has no unknown
// field).
export function validateStrict(input) {
  const object = withoutLineBreaksInSecretData(input);
  const Model = modelOf(object);
  if (!Model) return [`no schema for ${object.apiVersion} ${object.kind}`];
  // Per plain object: the keys read, and whether its keys were enumerated (a map).
  const seen = new Map();
  const proxies = new WeakMap();
  const track = (target, path) => {
    if (proxies.has(target)) return proxies.get(target);
    const record = { path, read: new Set(), enumerated: false };
    if (!Array.isArray(target)) seen.set(target, record);
    const child = (key) => (Array.isArray(target) ? `${path}[${String(key)}]` : `${path}.${String(key)}`);
    const proxy = new Proxy(target, {
      get(t, key, receiver) {
        if (typeof key === "string") record.read.add(key);
        const value = Reflect.get(t, key, receiver);
        return isObject(value) && typeof key === "string" ? track(value, child(key)) : value;
      },
      has(t, key) {
        if (typeof key === "string") record.read.add(key);
        return Reflect.has(t, key);
      },
      ownKeys(t) {
        record.enumerated = true;
        return Reflect.ownKeys(t);
      },
    });
    proxies.set(target, proxy);
    return proxy;
  };
  const problems = [];
  try {
    Model.prototype.validate.call(track(object, ""));
  } catch (error) {
    problems.push(String(error.message).slice(0, 500));
  }
  for (const [target, { path, read, enumerated }] of seen) {
    if (enumerated) continue;
    for (const key of Object.keys(target)) {
      if (!read.has(key)) problems.push(`unknown field ${path}.${key}`.replace(/^unknown field \./, "unknown field "));
    }
  }
  return problems;
}
