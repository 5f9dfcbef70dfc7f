// A small kustomize for the manifests under k8s/: renders a kustomization directory the way `kustomize build`
// (or `kubectl kustomize`) does, for the subset of kustomize that k8s/ uses, and refuses anything else, so an
// overlay cannot use a feature this renderer would silently get wrong. No kustomize binary can be installed from
// the package registries this project uses; ManifestsTest compares this output with `kubectl kustomize` wherever
// that command exists.
//
// Supported: resources (files, and directories holding a kustomization), namespace, images (name, newName,
// newTag, digest), patches (a file with a strategic-merge patch, aimed by its own apiVersion/kind/metadata.name or
// by target kind/name). Strategic merge: maps merge key by key, null deletes a key, the lists Kubernetes merges by
// key merge by it (containers, initContainers, env and volumes by name, volumeMounts by mountPath,
// topologySpreadConstraints by topologyKey; the patch's items first); every other list, and every list of a custom resource, is replaced.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";

const SUPPORTED = new Set(["apiVersion", "kind", "resources", "namespace", "images", "patches"]);
const BUILT_IN_GROUPS = /^(v1|apps\/v1|batch\/v1|policy\/v1|autoscaling\/v2|networking\.k8s\.io\/v1|rbac\.authorization\.k8s\.io\/v1)$/;
const MERGE_KEYS = {
  containers: "name", initContainers: "name", env: "name", volumes: "name",
  volumeMounts: "mountPath", topologySpreadConstraints: "topologyKey", imagePullSecrets: "name",
};

export function readDocuments(file) {
  return YAML.parseAllDocuments(fs.readFileSync(file, "utf8")).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
    return d.toJSON();
  }).filter((d) => d != null);
}

export function build(dir) {
  const file = ["kustomization.yaml", "kustomization.yml", "Kustomization"].map((f) => path.join(dir, f))
    .find((f) => fs.existsSync(f));
  if (!file) throw new Error(`${dir}: no kustomization.yaml`);
  const k = YAML.parse(fs.readFileSync(file, "utf8"));
  for (const key of Object.keys(k)) {
    if (!SUPPORTED.has(key)) throw new Error(`${file}: '${key}' is not supported by this renderer (k8s/README.md)`);
  }
  let resources = [];
  for (const r of k.resources ?? []) {
    const p = path.join(dir, r);
    if (fs.statSync(p).isDirectory()) resources.push(...build(p));
    else resources.push(...readDocuments(p));
  }
  for (const patch of k.patches ?? []) {
    if (!patch.path || patch.patch || (patch.target && Object.keys(patch.target).some((t) => !["kind", "name"].includes(t)))) {
      throw new Error(`${file}: only patches with a path (and a target by kind and name) are supported`);
    }
    for (const doc of readDocuments(path.join(dir, patch.path))) {
      const kind = patch.target?.kind ?? doc.kind;
      const name = patch.target?.name ?? doc.metadata?.name;
      const matches = resources.filter((r) => r.kind === kind && r.metadata?.name === name);
      if (matches.length !== 1) throw new Error(`${file}: patch ${patch.path} matches ${matches.length} resources (${kind}/${name})`);
      const target = matches[0];
      const builtIn = BUILT_IN_GROUPS.test(target.apiVersion);
      resources[resources.indexOf(target)] = merge(target, doc, builtIn);
    }
  }
  if (k.namespace) {
    resources = resources.map((r) => ({ ...r, metadata: { ...r.metadata, namespace: k.namespace } }));
  }
  for (const image of k.images ?? []) {
    resources = resources.map((r) => retag(r, image));
  }
  return resources;
}

function merge(base, patch, builtIn, field) {
  if (Array.isArray(base) && Array.isArray(patch)) {
    const key = builtIn ? MERGE_KEYS[field] : undefined;
    if (!key) return patch;
    // as kustomize orders a merged list: the patch's items first (merged into the base's item of the same key),
    // in the patch's order, then the base's other items in theirs
    const patched = patch.map((item) => {
      const b = base.find((x) => x[key] === item[key]);
      return b ? merge(b, item, builtIn) : item;
    });
    return [...patched, ...base.filter((b) => !patch.some((item) => item[key] === b[key]))];
  }
  if (isMap(base) && isMap(patch)) {
    const out = { ...base };
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = k in base ? merge(base[k], v, builtIn, k) : v;
    }
    return out;
  }
  return patch;
}

function isMap(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The images transformer: every image field of a container or init container whose name matches. */
function retag(node, image, field) {
  if (Array.isArray(node)) return node.map((n) => retag(n, image, field));
  if (!isMap(node)) return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "image" && typeof v === "string" && (field === "containers" || field === "initContainers")) {
      const [name] = v.split(/[@]/)[0].split(/:(?=[^/]*$)/);
      if (name === image.name) {
        let next = image.newName ?? name;
        if (image.digest) next += "@" + image.digest;
        else if (image.newTag) next += ":" + image.newTag;
        else if (v.includes(":") && !v.slice(name.length).startsWith("@")) next += v.slice(name.length);
        out[k] = next;
        continue;
      }
    }
    out[k] = retag(v, image, k);
  }
  return out;
}
