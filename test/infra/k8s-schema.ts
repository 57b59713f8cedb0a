/**
 * Validation of rendered manifests against the Kubernetes schemas of `kubernetes-models` 4.x (and its
 * Gateway API, prometheus-operator and cert-manager siblings), plus a strict check those schemas do
 * not make: every field of every object must be one the type declares. The strict check reads the
 * models' own TypeScript declarations with the compiler API, so it follows the same schema version.
 */
import path from "node:path";
import ts from "typescript";
import type { Manifest } from "../../infra/offline/evaluate";

interface ModelRef {
  /** Module exporting the model class (named like the kind) and `I<Kind>` interface. */
  module: string;
}

const GROUP_MODULES: Record<string, string> = {
  v1: "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "policy/v1": "kubernetes-models/policy/v1",
  "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
  "rbac.authorization.k8s.io/v1": "kubernetes-models/rbac.authorization.k8s.io/v1",
  "admissionregistration.k8s.io/v1": "kubernetes-models/admissionregistration.k8s.io/v1",
  "gateway.networking.k8s.io/v1": "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1",
  "monitoring.coreos.com/v1": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
  "cert-manager.io/v1": "@kubernetes-models/cert-manager/cert-manager.io/v1",
};

export function modelFor(manifest: Pick<Manifest, "apiVersion" | "kind">): ModelRef {
  const group = GROUP_MODULES[manifest.apiVersion];
  if (group === undefined) throw new Error(`no kubernetes-models schema registered for apiVersion ${manifest.apiVersion} (kind ${manifest.kind})`);
  return { module: `${group}/${manifest.kind}` };
}

/** `new Deployment(obj).validate()` and friends: throws with the schema's message. */
export function validateWithModel(manifest: Manifest): void {
  const module = require(modelFor(manifest).module) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = module[manifest.kind];
  if (Model === undefined) throw new Error(`${modelFor(manifest).module} exports no ${manifest.kind}`);
  new Model(manifest).validate();
}

const ROOT = path.resolve(__dirname, "..", "..");
const ENTRY = path.join(ROOT, "test", "infra", "__strict_models__.ts");

/** One TypeScript program over the model declarations of the given kinds. */
class StrictChecker {
  private readonly checker: ts.TypeChecker;
  private readonly types = new Map<string, ts.Type>();

  constructor(kinds: Array<Pick<Manifest, "apiVersion" | "kind">>) {
    const unique = [...new Map(kinds.map((k) => [`${k.apiVersion} ${k.kind}`, k])).values()];
    const lines = unique.map((k, i) => `import type { I${k.kind} as T${i} } from "${modelFor(k).module}";`);
    lines.push(`export interface Models { ${unique.map((k, i) => `"${k.apiVersion} ${k.kind}": T${i};`).join(" ")} }`);
    const source = lines.join("\n");
    const options: ts.CompilerOptions = { strict: true, skipLibCheck: true, noEmit: true, types: [], moduleResolution: ts.ModuleResolutionKind.Node10, module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (file, language) => (path.resolve(file) === ENTRY ? ts.createSourceFile(file, source, language) : getSourceFile(file, language));
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (file) => path.resolve(file) === ENTRY || fileExists(file);
    const program = ts.createProgram([ENTRY], options, host);
    this.checker = program.getTypeChecker();
    const entry = program.getSourceFile(ENTRY)!;
    const models = this.checker.getExportsOfModule(this.checker.getSymbolAtLocation(entry)!).find((symbol) => symbol.name === "Models")!;
    const modelsType = this.checker.getDeclaredTypeOfSymbol(models);
    for (const property of this.checker.getPropertiesOfType(modelsType)) this.types.set(property.name, this.checker.getTypeOfSymbol(property));
  }

  /** Paths of fields the schema does not declare (`spec.template.spec.containers[0].bogus`). */
  unknownFields(manifest: Manifest): string[] {
    const type = this.types.get(`${manifest.apiVersion} ${manifest.kind}`);
    if (type === undefined) throw new Error(`strict checker was not built for ${manifest.apiVersion} ${manifest.kind}`);
    const found: string[] = [];
    this.walk(manifest, type, "", found);
    return found;
  }

  private objectTypes(type: ts.Type): ts.Type[] {
    const parts = type.isUnion() ? type.types : [type];
    return parts.filter((part) => (part.flags & ts.TypeFlags.Object) !== 0 || part.isIntersection());
  }

  private walk(value: unknown, type: ts.Type, at: string, found: string[]): void {
    if (value === null || typeof value !== "object") return;
    const candidates = this.objectTypes(this.checker.getNonNullableType(type));
    if (candidates.length === 0) return;
    if (Array.isArray(value)) {
      const arrayType = candidates.find((candidate) => this.checker.isArrayType(candidate));
      if (arrayType === undefined) return;
      const element = this.checker.getTypeArguments(arrayType as ts.TypeReference)[0]!;
      value.forEach((item, index) => this.walk(item, element, `${at}[${index}]`, found));
      return;
    }
    const indexed = candidates.map((candidate) => this.checker.getIndexTypeOfType(candidate, ts.IndexKind.String)).find((t) => t !== undefined);
    const properties = new Map<string, ts.Symbol>();
    for (const candidate of candidates) for (const property of this.checker.getPropertiesOfType(candidate)) properties.set(property.name, property);
    for (const [key, item] of Object.entries(value)) {
      const where = at ? `${at}.${key}` : key;
      const property = properties.get(key);
      if (property !== undefined) this.walk(item, this.checker.getTypeOfSymbol(property), where, found);
      else if (indexed !== undefined) this.walk(item, indexed, where, found);
      else found.push(where);
    }
  }
}

let cached: { key: string; checker: StrictChecker } | undefined;

/** Unknown-field paths of each manifest (one checker for the whole set). */
export function unknownFields(manifests: Manifest[]): Map<Manifest, string[]> {
  const key = [...new Set(manifests.map((m) => `${m.apiVersion} ${m.kind}`))].sort().join("|");
  if (cached?.key !== key) cached = { key, checker: new StrictChecker(manifests) };
  return new Map(manifests.map((m) => [m, cached!.checker.unknownFields(m)]));
}
