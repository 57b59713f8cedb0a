/**
 * The game-creator (issue 6): Deployment, ServiceAccount with a namespaced Role/RoleBinding holding
 * only the verbs it needs, its API token, an internal Service, and (Gateway API) the HTTPRoute whose rules it owns.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PomonaComponent } from "./component";
import type { EnvVar } from "./hardening";
import { buildCreatorAdmissionBinding, buildCreatorAdmissionPolicy } from "./manifests/admission";
import {
  buildGameCreatorDeployment,
  buildGameCreatorNetworkPolicy,
  buildGameCreatorPodDisruptionBudget,
  buildGameCreatorRole,
  buildGameCreatorRoleBinding,
  buildGameCreatorSecret,
  buildGameCreatorService,
  buildGameCreatorServiceAccount,
  buildRuntimeHttpRoute,
  type GameCreatorManifestArgs,
} from "./manifests/game-creator";

export interface GameCreatorArgs extends GameCreatorManifestArgs {
  /** From the stack (pomona:creatorToken), else generated. */
  token?: pulumi.Output<string>;
}

export class GameCreator extends PomonaComponent {
  readonly serviceName: pulumi.Output<string>;
  /** Bearer token of the API (secret). */
  readonly token: pulumi.Output<string>;

  constructor(name: string, args: GameCreatorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("GameCreator", name, opts);
    // The API bearer token's value, unless the stack sets pomona:creatorToken.
    this.token = args.token ?? new random.RandomPassword(`${name}-api-token`, { length: 48, special: false }, { parent: this }).result;
    // Hands the token to the pod (CREATOR_TOKEN).
    new k8s.core.v1.Secret(`${name}-token`, buildGameCreatorSecret(args, this.token), this.child);
    // Its own identity, so RBAC grants reach this pod only.
    const account = new k8s.core.v1.ServiceAccount(`${name}-serviceaccount`, buildGameCreatorServiceAccount(args), this.child);
    // Deployments, Services, worker Pods and one route object, in this namespace only.
    const role = new k8s.rbac.v1.Role(`${name}-role`, buildGameCreatorRole(args), this.child);
    // What the creator's requests may contain (image, labels, restricted pods, allowed Secrets), checked by the API server.
    const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
      `${name}-admission-policy`,
      buildCreatorAdmissionPolicy({
        namespace: args.namespace,
        image: args.image,
        studioImages: Object.values(args.studioGameTypes).map((type) => type.image),
        allowedSecrets: secretNames(args.serverEnv.game),
      }),
      this.child,
    );
    // Applies the policy to this namespace and denies what it refuses.
    const admission = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(`${name}-admission-binding`, buildCreatorAdmissionBinding(args.namespace), { ...this.child, dependsOn: [policy] });
    // Grants the Role to the ServiceAccount.
    const binding = new k8s.rbac.v1.RoleBinding(`${name}-rolebinding`, buildGameCreatorRoleBinding(args), { ...this.child, dependsOn: [account, role] });
    const route = buildRuntimeHttpRoute(args);
    // Created once with its parents and hostnames; afterwards its rules are the game-creator's (JSON patches), not Pulumi's.
    if (route) new k8s.apiextensions.CustomResource(`${name}-httproute`, route, { ...this.child, ignoreChanges: ["spec.rules"] });
    // The reconciler itself.
    new k8s.apps.v1.Deployment(`${name}-deployment`, buildGameCreatorDeployment(args), { ...this.child, dependsOn: [binding, admission] });
    // The API address inside the cluster (never public).
    const service = new k8s.core.v1.Service(`${name}-service`, buildGameCreatorService(args), this.child);
    // Drains evict it like any pod; it adopts what exists when it restarts.
    new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, buildGameCreatorPodDisruptionBudget(args), this.child);
    // API from the listed namespaces and scrapers only.
    new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, buildGameCreatorNetworkPolicy(args), this.child);
    this.serviceName = service.metadata.name;
    this.registerOutputs({ serviceName: this.serviceName });
  }
}

/** The Secrets an env references (the games' own Redis password): the only ones the admission policy lets the creator pass on. */
function secretNames(env: EnvVar[]): string[] {
  return env.flatMap((variable) => {
    const name = (variable.valueFrom as { secretKeyRef?: { name?: unknown } } | undefined)?.secretKeyRef?.name;
    return typeof name === "string" ? [name] : [];
  });
}
