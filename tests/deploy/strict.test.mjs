// strict.mjs: a misspelt field anywhere in an object fails, naming its path; maps take any key;
// what kubernetes-models checks by itself still fails.
//   ACCORD_DEPLOY_TOOLS=DIR node --test strict.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";
import { validateStrict } from "./strict.mjs";

const deployment = () => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "account", labels: { "app.kubernetes.io/name": "account", anything: "goes" } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "account" } },
    template: {
      metadata: { labels: { app: "account" }, annotations: { "prometheus.io/scrape": "true" } },
      spec: {
        containers: [
          {
            name: "account",
            image: "accord@sha256:" + "0".repeat(64),
            resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "256Mi" } },
            readinessProbe: { grpc: { port: 50051 }, periodSeconds: 5 },
            env: [{ name: "ACCORD_LOG_LEVEL", value: "info" }],
          },
        ],
      },
    },
  },
});

test("a valid Deployment, with labels, annotations and resources as maps, passes", () => {
  assert.deepEqual(validateStrict(deployment()), []);
});

test("a misspelt field fails, at whatever depth, naming its path", () => {
  const cases = [
    [(d) => (d.spec.replicass = 2), "unknown field spec.replicass"],
    [(d) => (d.metadata.lables = {}), "unknown field metadata.lables"],
    [(d) => (d.spec.template.spec.containers[0].readinesProbe = d.spec.template.spec.containers[0].readinessProbe),
      "unknown field spec.template.spec.containers[0].readinesProbe"],
    [(d) => (d.spec.template.spec.containers[0].readinessProbe.grpc.prot = 1),
      "unknown field spec.template.spec.containers[0].readinessProbe.grpc.prot"],
    [(d) => (d.spec.template.spec.containers[0].env[0].valeu = "x"),
      "unknown field spec.template.spec.containers[0].env[0].valeu"],
  ];
  for (const [spoil, expected] of cases) {
    const object = deployment();
    spoil(object);
    assert.deepEqual(validateStrict(object), [expected]);
  }
});

test("what kubernetes-models itself checks still fails", () => {
  const object = deployment();
  delete object.spec.selector;
  const problems = validateStrict(object);
  assert.equal(problems.length, 1);
  assert.match(problems[0], /selector/);
  const wrongType = deployment();
  wrongType.spec.replicas = "two";
  assert.match(validateStrict(wrongType).join(), /integer/);
});

test("a kind without a schema fails", () => {
  assert.deepEqual(validateStrict({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } }), [
    "no schema for example.com/v1 Widget",
  ]);
});

test("ConfigMap data and Secret stringData are maps", () => {
  const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { ACCORD_ANY: "1" } };
  assert.deepEqual(validateStrict(configMap), []);
  const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, stringData: { key: "v" }, typ: "Opaque" };
  assert.deepEqual(validateStrict(secret), ["unknown field typ"]);
});

test("Secret data folded into lines (kustomize's secretGenerator) is base64 still; anything else is not", () => {
  const folded = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { token: "ZXlKaGJH\nY2lPaUpJ\n" } };
  assert.deepEqual(validateStrict(folded), []);
  const notBase64 = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { token: "not base64!" } };
  assert.match(validateStrict(notBase64).join(), /byte/);
});
