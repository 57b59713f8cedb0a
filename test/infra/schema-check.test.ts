/**
 * The schema checks the stack tests rely on do catch what they claim to: kubernetes-models rejects a
 * wrong type, and the strict check rejects a misspelt field in a container, a pod spec and a Service.
 */
import assert from "node:assert/strict";
import type { Manifest } from "../../infra/offline/evaluate";
import { unknownFields, validateWithModel } from "./k8s-schema";
import { evaluateAllStacks, find, type Loose } from "./stacks";

describe("schema checks on deliberately bad manifests", function () {
  this.timeout(60_000);
  let dev: Manifest[];

  before(async () => {
    dev = (await evaluateAllStacks()).find((s) => s.stack === "dev")!.manifests;
  });

  const copy = (kind: string, name: string): Loose => structuredClone(find(dev, kind, name));

  it("kubernetes-models rejects a wrong type and an invalid enum", () => {
    const statefulSet = copy("StatefulSet", "connector");
    statefulSet.spec.replicas = "2";
    assert.throws(() => validateWithModel(statefulSet), /replicas must be integer/);
    const service = copy("Service", "gate");
    service.spec.type = "Public";
    assert.throws(() => validateWithModel(service), /type must be equal to one of the allowed values/);
  });

  it("the strict check names unknown fields in container, pod and service specs, and only those", () => {
    const statefulSet = copy("StatefulSet", "connector");
    statefulSet.spec.template.spec.containers[0].readinesProbe = statefulSet.spec.template.spec.containers[0].readinessProbe;
    statefulSet.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem = true;
    statefulSet.spec.template.spec.hostNetwrk = true;
    const service = copy("Service", "connectors");
    service.spec.publishNotReadyAddress = true;
    const ingress = copy("Ingress", "games");
    ingress.spec.rules[0].http.paths[0].backend.service.port.nmae = "http";
    assert.doesNotThrow(() => validateWithModel(statefulSet), "the schemas alone let these through");
    const found = unknownFields([statefulSet, service, ingress, find(dev, "Deployment", "gate")]);
    assert.deepEqual(found.get(statefulSet)!.sort(), [
      "spec.template.spec.containers[0].readinesProbe",
      "spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem",
      "spec.template.spec.hostNetwrk",
    ]);
    assert.deepEqual(found.get(service), ["spec.publishNotReadyAddress"]);
    assert.deepEqual(found.get(ingress), ["spec.rules[0].http.paths[0].backend.service.port.nmae"]);
    assert.deepEqual(found.get(find(dev, "Deployment", "gate")), []);
  });

  it("labels and annotations (free-form maps) are not mistaken for unknown fields", () => {
    const deployment = copy("Deployment", "gate");
    deployment.metadata.labels["example.com/anything"] = "x";
    deployment.spec.template.metadata.annotations["example.com/whatever"] = "y";
    assert.deepEqual(unknownFields([deployment]).get(deployment), []);
  });
});
