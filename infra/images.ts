/**
 * The server image, built from services/ (one multi-stage Dockerfile, non-root user) with
 * @pulumi/docker-build, pushed to the stack's registry, and referenced by digest so every pod of
 * every tier runs exactly the bytes that were built. Or a digest-pinned image built elsewhere.
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
  /** `<registry>/<repository>@sha256:…` */
  readonly servicesRef: pulumi.Output<string>;

  constructor(name: string, args: ImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("Images", name, opts);
    const { images } = args;
    if (!images.build) {
      this.servicesRef = pulumi.output(images.ref!);
    } else {
      const root = args.repoRoot ?? path.resolve(__dirname, "..");
      const repository = imageRepository(images);
      // Gate, connectors, game servers and the game-creator all run this one image.
      const image = new dockerBuild.Image(
        `${name}-services`,
        {
          context: { location: root },
          dockerfile: { location: path.join(root, "services", "Dockerfile") },
          platforms: images.platforms,
          tags: [`${repository}:${images.tag ?? args.defaultTag}`],
          push: images.push,
          buildOnPreview: images.buildOnPreview,
          cacheFrom: [{ registry: { ref: `${repository}:buildcache` } }],
          ...(images.push ? { cacheTo: [{ registry: { ref: `${repository}:buildcache`, mode: "max" } }] } : {}),
        },
        { parent: this },
      );
      this.servicesRef = pulumi.interpolate`${repository}@${image.digest}`;
    }
    this.registerOutputs({ servicesRef: this.servicesRef });
  }
}
