/** Prometheus scraping through the operator: one ServiceMonitor for every Pomona metrics Service. */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { PomonaComponent } from "./component";
import { buildServiceMonitor } from "./manifests/monitoring";

export interface MonitoringArgs {
  namespace: string;
  serviceMonitorLabels: Record<string, string>;
}

export class Monitoring extends PomonaComponent {
  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Monitoring", name, opts);
    // Tells the prometheus-operator which Services to scrape and on which port.
    new k8s.apiextensions.CustomResource(`${name}-servicemonitor`, buildServiceMonitor(args.namespace, args.serviceMonitorLabels), this.child);
    this.registerOutputs({});
  }
}
