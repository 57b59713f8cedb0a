/**
 * The "restricted" Pod Security Standard as Pomona applies it, with numeric uids the kubelet can
 * verify against `runAsNonRoot` without reading /etc/passwd.
 */
import type { PodSecurityContext, SecurityContext } from "./kube-objects";

export const UIDS = {
  /** `USER 10001` in services/Dockerfile. */
  services: 10001,
  /** The `nginx` user of nginxinc/nginx-unprivileged. */
  nginx: 101,
  /** The `redis` user of the official redis image. */
  redis: 999,
} as const;

/** Pod level; `fsGroup` only where the pod mounts volumes it writes. */
export function podSecurityContext(uid: number, options: { fsGroup?: boolean } = {}): PodSecurityContext {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, ...(options.fsGroup === false ? {} : { fsGroup: uid }), seccompProfile: { type: "RuntimeDefault" } };
}

/** Container level, plus a read-only root filesystem. */
export function containerSecurityContext(uid: number): SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}
