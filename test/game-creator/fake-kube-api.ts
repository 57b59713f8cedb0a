/**
 * An in-test HTTP server speaking the Kubernetes API for what the game-creator uses: Deployments,
 * Services, Pods (GET item and list with labelSelector, POST, DELETE), Ingresses and Gateway API
 * HTTPRoutes (GET, JSON PATCH),
 * with uids, resourceVersions, 404/409/422 Status answers, the garbage collector's cascade through
 * ownerReferences, and the game-creator's Role enforced (a verb it was not granted is 403).
 *
 * Every POST body is validated with kubernetes-models; every JSON patch is applied by an independent
 * RFC 6902 implementation (fast-json-patch) and the result must validate as an Ingress or an HTTPRoute
 * (@kubernetes-models/gateway-api: 16 rules at most, among the rest). `conflictsToInject` makes the next
 * PATCHes find the route object changed by someone else (resourceVersion bumped first).
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { applyPatch, deepClone, type Operation } from "fast-json-patch";
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1";
import { Pod, Service } from "kubernetes-models/v1";

type Obj = { apiVersion: string; kind: string; metadata: Record<string, any>; spec?: any; status?: any };

const RESOURCES: Record<string, { kind: string; apiVersion: string; validate: (o: unknown) => void }> = {
  deployments: { kind: "Deployment", apiVersion: "apps/v1", validate: (o) => new Deployment(o as never).validate() },
  services: { kind: "Service", apiVersion: "v1", validate: (o) => new Service(o as never).validate() },
  pods: { kind: "Pod", apiVersion: "v1", validate: (o) => new Pod(o as never).validate() },
  ingresses: { kind: "Ingress", apiVersion: "networking.k8s.io/v1", validate: (o) => new Ingress(o as never).validate() },
  httproutes: { kind: "HTTPRoute", apiVersion: "gateway.networking.k8s.io/v1", validate: (o) => new HTTPRoute(o as never).validate() },
};
/** The objects whose entries the creator patches. */
const ROUTE_RESOURCES = ["ingresses", "httproutes"];

/** The Role of infra/manifests/game-creator.ts (the contract), for either route object (`routeObjectName`). */
const ROLE: Record<string, { verbs: string[]; names?: string[] }> = {
  deployments: { verbs: ["get", "list", "watch", "create", "patch", "delete"] },
  services: { verbs: ["get", "list", "create", "delete"] },
  pods: { verbs: ["get", "list", "watch", "create", "delete"] },
};

const PATH = /^\/(?:api\/v1|apis\/(?:apps|networking\.k8s\.io|gateway\.networking\.k8s\.io)\/v1)\/namespaces\/([^/]+)\/(deployments|services|pods|ingresses|httproutes)(?:\/([^/]+))?$/;

export interface RecordedRequest {
  readonly method: string;
  readonly resource: string;
  readonly name?: string;
  readonly status: number;
}

export class FakeKubeApi {
  readonly objects = new Map<string, Obj>();
  readonly requests: RecordedRequest[] = [];
  /** Bodies that failed schema validation (every one is also answered 422). */
  readonly invalidBodies: string[] = [];
  /** The route object after each applied patch, validated. */
  readonly routeHistory: Obj[] = [];
  conflictsToInject = 0;
  conflictsAnswered = 0;
  private resourceVersion = 1000;
  private server: http.Server | undefined;

  url = "";

  /** The Role grants get and patch on this one object: `ingresses/<name>` or `httproutes/<name>`. */
  constructor(private readonly routeObject: { resource: "ingresses" | "httproutes"; name: string }) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => this.handle(req, res, Buffer.concat(chunks).toString("utf8")));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Seeds an object as a kubectl/Pulumi would have created it. */
  seed(resource: string, object: Obj): Obj {
    RESOURCES[resource].validate(object);
    const stored = { ...deepClone(object), metadata: { ...object.metadata, uid: randomUUID(), resourceVersion: this.nextVersion(), creationTimestamp: new Date().toISOString() } };
    this.objects.set(key(resource, stored.metadata.namespace, stored.metadata.name), stored);
    return stored;
  }

  get(resource: string, namespace: string, name: string): Obj | undefined {
    return this.objects.get(key(resource, namespace, name));
  }

  list(resource: string): Obj[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${resource}/`)).map(([, o]) => o);
  }

  /** What the kubelet and controllers would report: every Deployment's replicas ready, every Pod running and Ready with an IP. */
  markReady(): void {
    let ip = 10;
    for (const deployment of this.list("deployments")) deployment.status = { replicas: deployment.spec.replicas, readyReplicas: deployment.spec.replicas, availableReplicas: deployment.spec.replicas };
    for (const pod of this.list("pods")) pod.status = { phase: "Running", podIP: `10.0.0.${ip++}`, conditions: [{ type: "Ready", status: "True" }] };
  }

  private nextVersion(): string {
    return String(++this.resourceVersion);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = new URL(req.url ?? "/", "http://x");
    const match = PATH.exec(url.pathname);
    const send = (status: number, payload: unknown, resource = "?", name?: string) => {
      this.requests.push({ method: req.method ?? "?", resource, ...(name === undefined ? {} : { name }), status });
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(payload));
    };
    const failure = (status: number, reason: string, message: string, resource?: string, name?: string) =>
      send(status, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", reason, message, code: status }, resource, name);
    if (req.headers.authorization !== "Bearer test-service-account-token") return failure(401, "Unauthorized", "Unauthorized");
    if (match === null) return failure(404, "NotFound", `no route ${url.pathname}`);
    const [, namespace, resource, name] = match;
    const verb = req.method === "GET" ? (name === undefined ? (url.searchParams.get("watch") ? "watch" : "list") : "get") : req.method === "POST" ? "create" : req.method === "PATCH" ? "patch" : req.method === "DELETE" ? "delete" : req.method === "PUT" ? "update" : "?";
    const grant = resource === this.routeObject.resource ? { verbs: ["get", "patch"], names: [this.routeObject.name] } : ROLE[resource];
    if (grant === undefined) return failure(403, "Forbidden", `${resource} is forbidden: the game-creator's Role grants nothing on it`, resource, name);
    if (!grant.verbs.includes(verb) || (grant.names !== undefined && (name === undefined || !grant.names.includes(name)))) {
      return failure(403, "Forbidden", `${resource} "${name ?? ""}" is forbidden: the game-creator's Role cannot ${verb} it`, resource, name);
    }
    const spec = RESOURCES[resource];
    const id = (n: string) => key(resource, namespace, n);

    if (verb === "list") {
      const selector = parseSelector(url.searchParams.get("labelSelector") ?? "");
      const items = this.list(resource).filter((o) => o.metadata.namespace === namespace && selector.every(([k, v]) => o.metadata.labels?.[k] === v));
      return send(200, { apiVersion: spec.apiVersion, kind: `${spec.kind}List`, metadata: { resourceVersion: String(this.resourceVersion) }, items }, resource);
    }
    if (verb === "get") {
      const object = this.objects.get(id(name!));
      return object === undefined ? failure(404, "NotFound", `${resource} "${name}" not found`, resource, name) : send(200, object, resource, name);
    }
    if (verb === "create") {
      let object: Obj;
      try {
        object = JSON.parse(body) as Obj;
        spec.validate(object);
      } catch (error) {
        this.invalidBodies.push(`${resource}: ${(error as Error).message}`);
        return failure(422, "Invalid", `${spec.kind} is invalid: ${(error as Error).message}`, resource);
      }
      const objectName = object.metadata?.name as string;
      if (object.metadata.namespace !== undefined && object.metadata.namespace !== namespace) return failure(400, "BadRequest", "namespace of the body does not match the URL", resource, objectName);
      if (this.objects.has(id(objectName))) return failure(409, "AlreadyExists", `${resource} "${objectName}" already exists`, resource, objectName);
      const stored: Obj = { ...object, metadata: { ...object.metadata, namespace, uid: randomUUID(), resourceVersion: this.nextVersion(), creationTimestamp: new Date().toISOString() } };
      this.objects.set(id(objectName), stored);
      return send(201, stored, resource, objectName);
    }
    if (verb === "delete") {
      const object = this.objects.get(id(name!));
      if (object === undefined) return failure(404, "NotFound", `${resource} "${name}" not found`, resource, name);
      this.objects.delete(id(name!));
      this.collectGarbage(object.metadata.uid as string);
      return send(200, { kind: "Status", apiVersion: "v1", status: "Success", details: { name, kind: resource } }, resource, name);
    }
    if (verb === "patch") {
      if (req.headers["content-type"] !== "application/json-patch+json") return failure(415, "UnsupportedMediaType", `unsupported patch type ${req.headers["content-type"]}`, resource, name);
      const stored = this.objects.get(id(name!));
      if (stored === undefined) return failure(404, "NotFound", `${resource} "${name}" not found`, resource, name);
      if (ROUTE_RESOURCES.includes(resource) && this.conflictsToInject > 0) {
        // Someone else wrote the route object between the creator's read and its patch.
        this.conflictsToInject--;
        stored.metadata.annotations = { ...stored.metadata.annotations, "example.com/touched": this.nextVersion() };
        stored.metadata.resourceVersion = this.nextVersion();
      }
      let patched: Obj;
      try {
        patched = applyPatch(deepClone(stored), JSON.parse(body) as Operation[], true, false).newDocument as Obj;
      } catch (error) {
        return failure(422, "Invalid", `the JSON patch cannot be applied: ${(error as Error).message}`, resource, name);
      }
      if (patched.metadata.resourceVersion !== stored.metadata.resourceVersion) {
        this.conflictsAnswered++;
        return failure(409, "Conflict", `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`, resource, name);
      }
      try {
        spec.validate(patched);
      } catch (error) {
        this.invalidBodies.push(`${resource} after patch: ${(error as Error).message}`);
        return failure(422, "Invalid", `${spec.kind} is invalid after the patch: ${(error as Error).message}`, resource, name);
      }
      patched.metadata.resourceVersion = this.nextVersion();
      this.objects.set(id(name!), patched);
      if (ROUTE_RESOURCES.includes(resource)) this.routeHistory.push(deepClone(patched));
      return send(200, patched, resource, name);
    }
    return failure(405, "MethodNotAllowed", `${req.method} not supported`, resource, name);
  }

  /** Deletes, recursively, what `ownerUid` owned (the garbage collector, background propagation). */
  private collectGarbage(ownerUid: string): void {
    for (const [k, object] of [...this.objects]) {
      if ((object.metadata.ownerReferences as Array<{ uid: string }> | undefined)?.some((ref) => ref.uid === ownerUid)) {
        this.objects.delete(k);
        this.collectGarbage(object.metadata.uid as string);
      }
    }
  }
}

function key(resource: string, namespace: string, name: string): string {
  return `${resource}/${namespace}/${name}`;
}

function parseSelector(text: string): Array<[string, string]> {
  return text
    .split(",")
    .filter(Boolean)
    .map((term) => term.split("=") as [string, string]);
}
