/**
 * The stack's namespace with Pod Security "restricted" and default-deny ingress, and the connect-token
 * secrets that the gate and connectors share (generated unless the stack sets pomona:tokenSecrets).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PomonaComponent } from "./component";
import { buildConnectTokenSecret, buildDefaultDenyPolicy, buildNamespace } from "./manifests/namespace";

export interface PomonaNamespaceArgs {
  namespace: string;
  /** pomona:environment, as the label the policy pack reads (trust-uid only in development). */
  environment: string;
  /** Comma-separated token secrets from the stack (rotation); omitted: one is generated. */
  tokenSecrets?: pulumi.Output<string>;
}

export class PomonaNamespace extends PomonaComponent {
  /** What every other component waits for: the namespace and the shared secret. */
  readonly dependencies: pulumi.Resource[];
  readonly name: pulumi.Output<string>;

  constructor(name: string, args: PomonaNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("PomonaNamespace", name, opts);
    // The namespace itself, with the restricted Pod Security Standard enforced by the API server.
    const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, buildNamespace(args.namespace, args.environment), this.child);
    const inNamespace = { ...this.child, dependsOn: [namespace] };
    // Any pod no tier policy lists as reachable is refused.
    new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, buildDefaultDenyPolicy(args.namespace), inNamespace);
    // The connect-token HMAC key, unless the stack sets pomona:tokenSecrets (rotation).
    const secrets = args.tokenSecrets ?? new random.RandomPassword(`${name}-token-secret`, { length: 48, special: false }, { parent: this }).result;
    // The HMAC keys of connect tokens: the gate signs with the first, connectors accept any.
    const tokens = new k8s.core.v1.Secret(`${name}-connect-tokens`, buildConnectTokenSecret(args.namespace, secrets), inNamespace);
    this.dependencies = [namespace, tokens];
    this.name = namespace.metadata.name;
    this.registerOutputs({ name: this.name });
  }
}
