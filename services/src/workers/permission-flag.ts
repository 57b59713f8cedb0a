/**
 * The flag that turns on Node's permission model for a worker process: `--permission` on the images'
 * Node 24 (where `--experimental-permission` is gone: Node refuses to start), `--experimental-permission`
 * on the Node 20 development lane (which does not know `--permission`).
 */
export const IMAGE_PERMISSION_FLAG = "--permission";

/** The images' Node major (services/Dockerfile `NODE_IMAGE`), for settings the creator renders for pods it does not run itself. */
export const IMAGE_NODE_MAJOR = 24;

/** The flag the Node running this code accepts. */
export function permissionFlag(nodeFlags: ReadonlySet<string> = process.allowedNodeEnvironmentFlags): string {
  return nodeFlags.has(IMAGE_PERMISSION_FLAG) ? IMAGE_PERMISSION_FLAG : "--experimental-permission";
}
