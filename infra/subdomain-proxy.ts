/**
 * Scenario 2's nginx: ConfigMap rendered by the shared generator, a Deployment running it as
 * non-root on a read-only root filesystem, and the LoadBalancer that wildcard DNS points at.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { PomonaComponent } from "./component";
import {
  buildProxyCertificate,
  buildProxyConfigMap,
  buildProxyDeployment,
  buildProxyNetworkPolicy,
  buildProxyPodDisruptionBudget,
  buildProxyService,
  NGINX_CONF_KEY,
  type ProxyManifestArgs,
} from "./manifests/proxy";

export type SubdomainProxyArgs = ProxyManifestArgs;

export class SubdomainProxy extends PomonaComponent {
  /** Point `*.<domain>` here. */
  readonly publicAddress: pulumi.Output<string | undefined>;

  constructor(name: string, args: SubdomainProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("SubdomainProxy", name, opts);
    const configMap = buildProxyConfigMap(args);
    const nginxConf = (configMap.data as Record<string, string>)[NGINX_CONF_KEY]!;
    // nginx.conf from renderNginxConfig: one map entry per connector replica, 404 for any other Host.
    const conf = new k8s.core.v1.ConfigMap(`${name}-config`, configMap, this.child);
    const certificate = buildProxyCertificate(args);
    // cert-manager writes the wildcard certificate into the Secret the pods mount.
    const tls = certificate ? [new k8s.apiextensions.CustomResource(`${name}-certificate`, certificate, this.child)] : [];
    // nginx itself; a changed config rolls it (pod annotation carries the config's hash).
    new k8s.apps.v1.Deployment(`${name}-deployment`, buildProxyDeployment(args, nginxConf), { ...this.child, dependsOn: [conf, ...tls] });
    // Wildcard DNS `*.<domain>` points at this address.
    const service = new k8s.core.v1.Service(`${name}-service`, buildProxyService(args), this.child);
    // One proxy pod at a time during drains and rollouts.
    new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, buildProxyPodDisruptionBudget(args), this.child);
    // Public listen port only.
    new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, buildProxyNetworkPolicy(args), this.child);
    this.publicAddress = service.status.loadBalancer.ingress.apply((ingress) => ingress?.[0]?.hostname ?? ingress?.[0]?.ip);
    this.registerOutputs({ publicAddress: this.publicAddress });
  }
}
