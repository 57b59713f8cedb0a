/**
 * The namespace's ResourceQuota and LimitRange, sized from the stack (manifests/quota.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { PomonaComponent } from "./component";
import type { PomonaConfig } from "./config-schema";
import { buildLimitRange, buildResourceQuota, quotaCounts } from "./manifests/quota";

export interface NamespaceQuotaArgs {
  config: PomonaConfig;
}

export class NamespaceQuota extends PomonaComponent {
  constructor(name: string, args: NamespaceQuotaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("NamespaceQuota", name, opts);
    const { namespace, quota } = args.config;
    // Bounds pods, Deployments, load balancers, CPU and memory, whoever creates them.
    new k8s.core.v1.ResourceQuota(`${name}-quota`, buildResourceQuota(namespace, quota, quotaCounts(args.config)), this.child);
    // Defaults and a ceiling per container, so no container escapes the quota's accounting.
    new k8s.core.v1.LimitRange(`${name}-limits`, buildLimitRange(namespace, quota), this.child);
    this.registerOutputs({});
  }
}
