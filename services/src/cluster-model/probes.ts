/** Health probes: liveness never depends on Redis (a Redis outage must not restart every pod). */
import type { HttpGetProbe } from "./kube-objects";

export const LIVENESS_PATH = "/healthz";
export const READINESS_PATH = "/readyz";

export interface HttpProbeOptions {
  /** Port name or number serving the health endpoints. */
  port: string | number;
  scheme?: "HTTP" | "HTTPS";
  /** Answers while the process is alive; never touches Redis. */
  livenessPath?: string;
  /** 503 while not registered or draining: the pod leaves the Service endpoints. */
  readinessPath?: string;
  /** How long start-up may take before liveness applies. */
  startupSeconds?: number;
}

export interface HttpProbes {
  startupProbe: HttpGetProbe;
  livenessProbe: HttpGetProbe;
  readinessProbe: HttpGetProbe;
}

/** startup + liveness on /healthz, readiness on /readyz (by default). */
export function httpProbes(options: HttpProbeOptions): HttpProbes {
  const get = (path: string) => ({ path, port: options.port, scheme: options.scheme ?? "HTTP" });
  const startupSeconds = options.startupSeconds ?? 60;
  return {
    startupProbe: { httpGet: get(options.livenessPath ?? LIVENESS_PATH), periodSeconds: 2, timeoutSeconds: 2, failureThreshold: Math.ceil(startupSeconds / 2) },
    livenessProbe: { httpGet: get(options.livenessPath ?? LIVENESS_PATH), periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    readinessProbe: { httpGet: get(options.readinessPath ?? READINESS_PATH), periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 2, successThreshold: 1 },
  };
}

/** A worker is ready once its turn server answers: checked every second, so a new bot plays soon. */
export function workerReadinessProbe(port: string): HttpGetProbe {
  return { httpGet: { path: LIVENESS_PATH, port }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 };
}
