/**
 * The server images, built from services/ (one multi-stage Dockerfile, non-root user; targets
 * `services` and `game-creator`) with @pulumi/docker-build, pushed to the stack's registry, and
 * referenced by the digest docker-build reports, so every pod runs exactly the bytes that were built.
 * Or digest-pinned images built elsewhere.
 */
import path from "node:path";
import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { PomonaComponent } from "./component";
import type { StackConfig } from "./config-schema";

export interface ImagesArgs {
  images: StackConfig["images"];
  /** Default tag when the stack names none: the stack name (the digest is what pods use). */
  defaultTag: string;
  /** Repository root: the build context, so the one package-lock.json drives `npm ci`. */
  repoRoot?: string;
}

/** `<registry>/<repository>` without tag or digest. */
export const imageRepository = (images: StackConfig["images"]): string => `${images.registry}/${images.repository}`;

export class Images extends PomonaComponent {
  /** `<registry>/<repository>[:<tag>]@sha256:…` */
  readonly servicesRef: pulumi.Output<string>;
  /** The game-creator's image (the services image plus the Kubernetes client), same form. */
  readonly creatorRef: pulumi.Output<string>;

  constructor(name: string, args: ImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Images", name, opts);
    const { images } = args;
    if (!images.build) {
      this.servicesRef = pulumi.output(images.ref!);
      this.creatorRef = pulumi.output(images.creatorRef ?? images.ref!);
    } else {
      const root = args.repoRoot ?? path.resolve(__dirname, "..");
      const repository = imageRepository(images);
      const build = (target: "services" | "game-creator", suffix: string) =>
        new dockerBuild.Image(
          `${name}-${target}`,
          {
            context: { location: root },
            dockerfile: { location: path.join(root, "services", "Dockerfile") },
            target,
            platforms: images.platforms,
            tags: [`${repository}${suffix}:${images.tag ?? args.defaultTag}`],
            push: images.push,
            buildOnPreview: images.buildOnPreview,
            cacheFrom: [{ registry: { ref: `${repository}:buildcache` } }],
            cacheTo: [{ registry: { ref: `${repository}:buildcache`, mode: "max" } }],
          },
          { parent: this },
        );
      // docker-build's own reference to what it pushed: `<repository>:<tag>@sha256:…`.
      // Gate, connectors, game servers and workers run this one image.
      this.servicesRef = build("services", "").ref;
      // Only the game-creator carries the Kubernetes client.
      this.creatorRef = build("game-creator", "-game-creator").ref;
    }
    this.registerOutputs({ servicesRef: this.servicesRef, creatorRef: this.creatorRef });
  }
}
