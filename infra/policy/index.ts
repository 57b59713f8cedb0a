/**
 * Pomona's hardening policy pack: `pulumi preview --policy-pack infra/policy` (or `up`). The rules live in
 * rules.ts as plain functions, so the tests run the same code on the offline render.
 */
import { PolicyPack, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { RESOURCE_RULES, STACK_RULES, type Manifest } from "./rules";

/** A Kubernetes resource's inputs are its manifest (`kubernetes:apps/v1:Deployment` → {apiVersion, kind, metadata, spec}). */
const asManifest = (type: string, props: Record<string, unknown>): Manifest | undefined =>
  type.startsWith("kubernetes:") && !type.startsWith("kubernetes:helm") ? (props as Manifest) : undefined;

const resourcePolicies: ResourceValidationPolicy[] = RESOURCE_RULES.map((rule) => ({
  name: rule.name,
  description: rule.description,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const manifest = asManifest(args.type, args.props);
    if (manifest) for (const message of rule.check(manifest)) reportViolation(message);
  },
}));

const stackPolicies: StackValidationPolicy[] = STACK_RULES.map((rule) => ({
  name: rule.name,
  description: rule.description,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const manifests = args.resources.map((resource) => asManifest(resource.type, resource.props)).filter((m): m is Manifest => m !== undefined);
    for (const violation of rule.check(manifests)) reportViolation(violation.message);
  },
}));

new PolicyPack("pomona-hardening", { policies: [...resourcePolicies, ...stackPolicies] });
