/**
 * The base of every Pomona component: type token `pomona:infra:<Type>`, and children that are
 * parented to the component and wait for whatever the component waits for (the namespace).
 */
import * as pulumi from "@pulumi/pulumi";

export abstract class PomonaComponent extends pulumi.ComponentResource {
  /** Options for every child: `{ parent: this }` plus the component's own dependsOn. */
  protected readonly child: pulumi.CustomResourceOptions;

  constructor(type: string, name: string, opts?: pulumi.ComponentResourceOptions) {
    super(`pomona:infra:${type}`, name, {}, opts);
    this.child = { parent: this, ...(opts?.dependsOn === undefined ? {} : { dependsOn: opts.dependsOn }) };
  }
}
