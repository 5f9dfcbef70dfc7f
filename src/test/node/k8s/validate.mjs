// Validates the rendered kustomize overlays of k8s/ (ManifestsTest runs it from Maven):
//  1. each resource against its JSON schema: the Kubernetes API's (kubernetes-models) or CloudNativePG's CRD
//     (@kubernetes-models/cloudnative-pg): types, required fields, enums, formats;
//  2. each resource as a TypeScript object literal of its model's interface, type-checked by tsc: an excess
//     property is an error there, so a misspelt or misplaced field fails, as the API server's strict field
//     validation (kubectl's default) would refuse it;
//  3. cross-references inside an overlay: selectors match their pod templates, HPA and PDB name existing targets.
// Usage: node k8s/validate.mjs <repo root> <overlay dir>...   prints a JSON summary as its last line.
//        node k8s/validate.mjs --render <overlay dir>          prints the rendered resources as a JSON array.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { build } from "./kustomize.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

if (process.argv[2] === "--render") {
  console.log(JSON.stringify(build(path.resolve(process.argv[3]))));
  process.exit(0);
}

const root = path.resolve(process.argv[2]);
const overlays = process.argv.slice(3);
const errors = [];
const summary = {};

function moduleOf(apiVersion) {
  if (apiVersion === "postgresql.cnpg.io/v1") return "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1";
  if (/^[a-z0-9.]*\/?v[0-9a-z]+$/.test(apiVersion)) return "kubernetes-models/" + apiVersion;
  return null;
}

const typed = [];
for (const overlay of overlays) {
  const resources = build(path.join(root, overlay));
  summary[overlay] = resources.map((r) => `${r.kind}/${r.metadata?.name}`).sort();
  for (const r of resources) {
    const where = `${overlay}: ${r.kind}/${r.metadata?.name}`;
    const mod = moduleOf(r.apiVersion ?? "");
    if (!mod) {
      errors.push(`${where}: no schema for apiVersion ${r.apiVersion}`);
      continue;
    }
    let models;
    try {
      models = await import(mod);
    } catch (e) {
      errors.push(`${where}: no schema for apiVersion ${r.apiVersion} (${e.message})`);
      continue;
    }
    const Model = models[r.kind];
    if (!Model) {
      errors.push(`${where}: ${r.apiVersion} has no kind ${r.kind}`);
      continue;
    }
    try {
      new Model(r).validate();
    } catch (e) {
      errors.push(`${where}: ${e.message}`);
    }
    if (!r.metadata?.namespace) errors.push(`${where}: no namespace (the overlay must set one)`);
    typed.push({ where, mod, type: "I" + r.kind, value: r });
  }
  crossCheck(overlay, resources);
}

// the TypeScript check: one file of typed literals, compiled without emitting
const dir = fs.mkdtempSync(path.join(here, ".typecheck-"));
try {
  const file = path.join(dir, "manifests.ts");
  const imports = new Map();
  const lines = [];
  typed.forEach((t, i) => {
    const alias = `${t.type}_${[...imports.keys()].length}`;
    const key = `${t.mod}#${t.type}`;
    if (!imports.has(key)) imports.set(key, { mod: t.mod, type: t.type, alias });
    lines.push(`// ${t.where}\nexport const m${i}: ${imports.get(key).alias} = ${JSON.stringify(t.value, null, 2)};`);
  });
  const header = [...imports.values()].map((i) => `import type { ${i.type} as ${i.alias} } from "${i.mod}";`);
  fs.writeFileSync(file, header.join("\n") + "\n" + lines.join("\n") + "\n");
  const program = ts.createProgram([file], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, noEmit: true, skipLibCheck: true, types: [],
  });
  const text = fs.readFileSync(file, "utf8").split("\n");
  for (const d of ts.getPreEmitDiagnostics(program)) {
    let where = "";
    if (d.file && d.start != null) {
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      for (let l = line; l >= 0; l--) {
        if (text[l].startsWith("// ")) { where = text[l].slice(3); break; }
      }
      where += ` (line ${line + 1} of the typed manifests)`;
    }
    errors.push(`${where}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

function crossCheck(overlay, resources) {
  const find = (kind, name) => resources.find((r) => r.kind === kind && r.metadata?.name === name);
  const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
  for (const r of resources) {
    const where = `${overlay}: ${r.kind}/${r.metadata?.name}`;
    if (r.kind === "Deployment" && !matches(r.spec.selector.matchLabels, r.spec.template.metadata?.labels)) {
      errors.push(`${where}: the selector does not match the pod template's labels`);
    }
    if (r.kind === "Service" || r.kind === "PodDisruptionBudget") {
      const selector = r.kind === "Service" ? r.spec.selector : r.spec.selector?.matchLabels;
      const pods = resources.filter((d) => d.kind === "Deployment" && matches(selector, d.spec.template.metadata?.labels));
      if (pods.length === 0) errors.push(`${where}: selects no Deployment's pods`);
      const jobs = resources.filter((d) => d.kind === "Job" && matches(selector, d.spec.template.metadata?.labels));
      if (jobs.length > 0) errors.push(`${where}: also selects the pods of Job ${jobs[0].metadata.name}`);
    }
    if (r.kind === "HorizontalPodAutoscaler" && !find(r.spec.scaleTargetRef.kind, r.spec.scaleTargetRef.name)) {
      errors.push(`${where}: scales ${r.spec.scaleTargetRef.kind}/${r.spec.scaleTargetRef.name}, which is not there`);
    }
    if (r.kind === "ScheduledBackup" && !find("Cluster", r.spec.cluster.name)) {
      errors.push(`${where}: backs up cluster ${r.spec.cluster.name}, which is not there`);
    }
  }
}

for (const e of errors) console.error(e);
console.log(JSON.stringify({ overlays: summary, errors: errors.length }));
process.exit(errors.length ? 1 : 0);
