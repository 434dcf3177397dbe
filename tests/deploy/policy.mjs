// The rules every rendered overlay must keep (README "Deploying"):
//  - every Accord container has native gRPC probes (startup and liveness on "liveness", readiness
//    on "") on its gRPC port, requests and a memory limit, runs as non-root with a read-only root
//    filesystem, no privilege escalation, no capabilities, the RuntimeDefault seccomp profile;
//  - terminationGracePeriodSeconds exceeds the drain delay plus the shutdown deadline;
//  - images carry a tag or digest, never `latest`;
//  - each PodDisruptionBudget and HorizontalPodAutoscaler selects a Deployment that exists, and
//    every Deployment has both (the autoscaler owns its replica count); each Service selects pods that exist;
//  - a default-deny NetworkPolicy exists; every policy selects pods that exist and every allowed
//    flow names a real peer (pods in the render, a named namespace, or an address block) on a
//    port that peer has;
//  - every service has a migration Job named for the release, running its image;
//  - no secret value in a ConfigMap; scrape annotations point at the metrics port.
//   ACCORD_DEPLOY_TOOLS=DIR node policy.mjs RENDERED_DIR
import { idOf, loadRendered, report } from "./lib.mjs";

const results = [];
const check = (what, ok, why) => results.push({ ok: Boolean(ok), what, why });

const templateOf = (o) =>
  o.kind === "Deployment" || o.kind === "StatefulSet" || o.kind === "Job"
    ? o.spec?.template
    : undefined;
const selects = (selector, labels = {}) => {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    if (operator === "In" && !(has && values.includes(labels[key]))) return false;
    if (operator === "NotIn" && has && values.includes(labels[key])) return false;
    if (operator === "Exists" && !has) return false;
    if (operator === "DoesNotExist" && has) return false;
  }
  return true;
};
const isEmptySelector = (s) =>
  s && Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;
const portsOf = (template) =>
  (template.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p));
const hasPort = (template, port) =>
  portsOf(template).some((p) => p.name === port || p.containerPort === port);
const msOf = (value, fallback) => (value === undefined ? fallback : Number(value));

const SECRET_KEY = /(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|_KEY|_KEYS)$/i;
const SECRET_VALUE = [/:\/\/[^/\s:@]+:[^/\s@]+@/, /-----BEGIN [A-Z ]*PRIVATE KEY-----/];

for (const { overlay, objects } of loadRendered(process.argv[2])) {
  const at = (o) => `${overlay} ${idOf(o)}`;
  const ofKind = (kind) => objects.filter((o) => o.kind === kind);
  const workloads = objects.filter(templateOf);
  const deployments = ofKind("Deployment");
  const configMaps = new Map(ofKind("ConfigMap").map((c) => [c.metadata.name, c.data ?? {}]));

  // Containers: security, resources, images; Accord's: probes and grace.
  for (const workload of workloads) {
    const template = templateOf(workload);
    const pod = template.spec ?? {};
    const accord = workload.metadata?.labels?.["app.kubernetes.io/part-of"] === "accord";
    for (const container of pod.containers ?? []) {
      const what = `${at(workload)} container ${container.name}`;
      const security = container.securityContext ?? {};
      check(what, security.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, "not runAsNonRoot");
      check(what, security.readOnlyRootFilesystem === true, "root filesystem not read-only");
      check(what, security.allowPrivilegeEscalation === false, "privilege escalation allowed");
      check(what, security.capabilities?.drop?.includes("ALL"), "capabilities not dropped");
      const seccomp = security.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
      check(what, seccomp === "RuntimeDefault", "seccomp profile is not RuntimeDefault");
      const resources = container.resources ?? {};
      check(what, resources.requests?.cpu && resources.requests?.memory, "no cpu/memory request");
      check(what, resources.limits?.memory, "no memory limit");
      const image = container.image ?? "";
      const tagged = /@sha256:[0-9a-f]{64}$/.test(image) || /:[\w][\w.-]*$/.test(image.split("/").pop());
      check(what, tagged, `image ${image} has no tag or digest`);
      check(what, !/:latest(@|$)/.test(image), `image ${image} is latest`);
      if (workload.kind === "StatefulSet") {
        check(what, container.readinessProbe && container.livenessProbe, "no readiness/liveness probe");
      }
      if (workload.kind !== "Deployment") continue;
      const grpcPort = (container.ports ?? []).find((p) => p.name === "grpc")?.containerPort;
      check(what, grpcPort, "no port named grpc");
      for (const [probe, service] of [
        ["startupProbe", "liveness"],
        ["readinessProbe", ""],
        ["livenessProbe", "liveness"],
      ]) {
        const grpc = container[probe]?.grpc;
        check(what, grpc, `${probe} is not a gRPC probe`);
        if (!grpc) continue;
        check(what, grpc.port === grpcPort, `${probe} port ${grpc.port} is not the grpc port`);
        check(what, (grpc.service ?? "") === service, `${probe} asks for "${grpc.service ?? ""}", not "${service}"`);
      }
      // Grace: drain delay + shutdown deadline from the settings the container gets.
      const settings = {};
      for (const source of container.envFrom ?? []) {
        Object.assign(settings, configMaps.get(source.configMapRef?.name) ?? {});
      }
      for (const env of container.env ?? []) if (env.value !== undefined) settings[env.name] = env.value;
      const needed = msOf(settings.ACCORD_DRAIN_DELAY_MS, 2000) + msOf(settings.ACCORD_SHUTDOWN_DEADLINE_MS, 10000);
      const grace = pod.terminationGracePeriodSeconds ?? 30;
      check(what, grace * 1000 > needed, `terminationGracePeriodSeconds ${grace} s <= drain + shutdown ${needed} ms`);
      // Scraping.
      const annotations = template.metadata?.annotations ?? {};
      const metricsPort = (container.ports ?? []).find((p) => p.name === "metrics")?.containerPort;
      check(what, annotations["prometheus.io/scrape"] === "true", "no prometheus.io/scrape annotation");
      check(what, metricsPort && annotations["prometheus.io/port"] === String(metricsPort), "prometheus.io/port is not the metrics port");
    }
    if (accord && workload.kind !== "StatefulSet") {
      check(at(workload), pod.automountServiceAccountToken === false, "mounts a service account token");
    }
  }

  // Deployments: a PDB and an HPA each, selecting them.
  for (const pdb of ofKind("PodDisruptionBudget")) {
    const matched = deployments.filter((d) => selects(pdb.spec?.selector, d.spec.template.metadata?.labels));
    check(at(pdb), matched.length === 1, `selects ${matched.length} Deployments`);
  }
  for (const hpa of ofKind("HorizontalPodAutoscaler")) {
    const ref = hpa.spec?.scaleTargetRef ?? {};
    const target = deployments.find((d) => ref.kind === "Deployment" && d.metadata.name === ref.name);
    check(at(hpa), target, `scales ${ref.kind}/${ref.name}, which does not exist`);
    check(at(hpa), hpa.spec?.metrics?.some((m) => m.resource?.name === "cpu"), "does not scale on CPU");
    // Applying a Deployment with replicas would reset what the autoscaler chose.
    if (target) check(at(hpa), target.spec.replicas === undefined, "its Deployment sets replicas");
  }
  for (const deployment of deployments) {
    const labels = deployment.spec.template.metadata?.labels;
    check(at(deployment), ofKind("PodDisruptionBudget").some((p) => selects(p.spec?.selector, labels)), "no PodDisruptionBudget");
    check(at(deployment), ofKind("HorizontalPodAutoscaler").some((h) => h.spec?.scaleTargetRef?.name === deployment.metadata.name), "no HorizontalPodAutoscaler");
    check(at(deployment), selects(deployment.spec.selector, labels), "selector does not match its own pods");
  }
  for (const service of ofKind("Service")) {
    const pods = workloads.filter((w) => w.kind !== "Job" && selects({ matchLabels: service.spec?.selector }, templateOf(w).metadata?.labels));
    check(at(service), pods.length > 0, "selects no pods");
    for (const port of service.spec?.ports ?? []) {
      const target = port.targetPort ?? port.port;
      check(at(service), pods.every((w) => hasPort(templateOf(w), target)), `target port ${target} missing on its pods`);
    }
  }

  // Migration Jobs: one per service and release, running the service's image.
  const release = deployments[0]?.metadata?.labels?.["app.kubernetes.io/version"];
  check(`${overlay} release`, release, "Deployments carry no app.kubernetes.io/version");
  for (const deployment of deployments.filter((d) => d.spec.template.metadata?.labels?.["app.kubernetes.io/component"] === "backend")) {
    const name = deployment.metadata.name;
    const job = ofKind("Job").find((j) => j.metadata.name === `${name}-migrate-${release}`);
    check(at(deployment), job, `no migration Job ${name}-migrate-${release}`);
    if (!job) continue;
    const server = deployment.spec.template.spec.containers[0];
    const migrate = job.spec.template.spec.containers[0];
    check(at(job), migrate.image === server.image, "runs another image than its service");
    check(at(job), migrate.args?.[0] === server.args?.[0] && migrate.args?.[1] === "migrate", `args ${migrate.args} do not migrate ${server.args?.[0]}`);
    check(at(job), job.metadata.name.length <= 63, "name longer than 63 characters");
  }

  // NetworkPolicies.
  const policies = ofKind("NetworkPolicy");
  const podTemplates = workloads.map(templateOf);
  check(`${overlay} NetworkPolicy`, policies.some((p) => isEmptySelector(p.spec?.podSelector) && ["Ingress", "Egress"].every((t) => p.spec?.policyTypes?.includes(t)) && !p.spec?.ingress && !p.spec?.egress), "no default-deny (all pods, Ingress and Egress, no rules)");
  for (const policy of policies) {
    const selected = podTemplates.filter((t) => selects(policy.spec?.podSelector, t.metadata?.labels));
    check(at(policy), selected.length > 0, "selects no pods");
    const flows = [
      ...(policy.spec?.ingress ?? []).map((rule) => ({ rule, peers: rule.from, direction: "ingress" })),
      ...(policy.spec?.egress ?? []).map((rule) => ({ rule, peers: rule.to, direction: "egress" })),
    ];
    for (const { rule, peers, direction } of flows) {
      check(at(policy), peers?.length > 0, `${direction} rule allows every peer`);
      check(at(policy), rule.ports?.length > 0, `${direction} rule allows every port`);
      for (const peer of peers ?? []) {
        if (peer.ipBlock) {
          check(at(policy), peer.ipBlock.cidr && peer.ipBlock.cidr !== "0.0.0.0/0", `${direction} to every address`);
          continue;
        }
        if (peer.namespaceSelector) {
          check(at(policy), peer.namespaceSelector.matchLabels?.["kubernetes.io/metadata.name"], `${direction} peer namespace is not named`);
          continue;
        }
        const peerPods = podTemplates.filter((t) => selects(peer.podSelector, t.metadata?.labels));
        check(at(policy), peerPods.length > 0, `${direction} peer ${JSON.stringify(peer.podSelector)} matches no pods`);
        if (direction === "egress") {
          for (const { port } of rule.ports ?? []) {
            check(at(policy), peerPods.every((t) => hasPort(t, port)), `egress port ${port} missing on its peers`);
          }
        }
      }
      if (direction === "ingress") {
        for (const { port } of rule.ports ?? []) {
          check(at(policy), selected.every((t) => hasPort(t, port)), `ingress port ${port} missing on the selected pods`);
        }
      }
    }
  }

  // ConfigMaps hold no secrets.
  for (const configMap of ofKind("ConfigMap")) {
    for (const [key, value] of Object.entries(configMap.data ?? {})) {
      const what = `${at(configMap)} ${key}`;
      check(what, key.endsWith("_FILE") || !SECRET_KEY.test(key), "looks like a secret (belongs in a Secret)");
      check(what, !SECRET_VALUE.some((p) => p.test(String(value))), "value carries a credential");
    }
  }
}
report("policy", results);
