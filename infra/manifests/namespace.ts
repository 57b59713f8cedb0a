/**
 * The namespace a stack deploys into: Pod Security "restricted" enforced by the API server, and a
 * default-deny ingress policy so a pod is reachable only through the allow-lists of its tier.
 * Also the connect-token secrets the gate signs with and the connectors verify.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { LABELS, NAMES } from "../names";

const labels = { [LABELS.partOf]: "pomona", [LABELS.managedBy]: "pulumi" };

/** `environment` marks the stack (pomona:environment): the policy pack allows trust-uid only where it says development. */
export function buildNamespace(namespace: string, environment: string): k8s.core.v1.NamespaceArgs {
  return {
    metadata: {
      name: namespace,
      labels: {
        ...labels,
        [LABELS.environment]: environment,
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
      },
    },
  };
}

export function buildDefaultDenyPolicy(namespace: string): k8s.networking.v1.NetworkPolicyArgs {
  return {
    metadata: { name: NAMES.defaultDenyPolicy, namespace, labels },
    // Egress too: a pod no tier policy selects (anything created outside the stack) can open no connection.
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [], egress: [] },
  };
}

/** `secrets`: comma-separated, the first signs; gate and connectors read it as TOKEN_SECRETS. */
export function buildConnectTokenSecret(namespace: string, secrets: pulumi.Input<string>): k8s.core.v1.SecretArgs {
  return { metadata: { name: NAMES.connectTokenSecret, namespace, labels }, type: "Opaque", stringData: { secrets } };
}
