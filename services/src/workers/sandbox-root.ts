/**
 * The file system a sandbox process sees in the local cluster (`WORKER_ISOLATION=namespaces`): its own
 * mount namespace whose root is a read-only tmpfs holding a copy of the worker's folder, the Node
 * installation and the system libraries bound read-only, `/dev/null` and `/dev/urandom` — nothing
 * else. No path-based Unix socket exists there (a network namespace does not cover those: they are
 * files), no file outside the bundle and the runtime can be read, none written. The process then
 * runs as `nobody` with no capability and `no_new_privs`, so neither the chroot nor the read-only
 * mounts can be undone from inside. Dependency-free (the supervisor may read its own folder only).
 */
import path from "node:path";

/** The uid and gid the sandbox process runs as: nobody (owns no file of the root). */
export const SANDBOX_UID = 65534;

/**
 * Runs as root inside the new mount namespace (unshare's default propagation is private, so nothing
 * here is seen outside it). Arguments: the folder to copy, the paths to bind read-only, `--`, the
 * command to run in the new root. Nothing is created on the host's file system.
 */
export const SANDBOX_ROOT_SCRIPT = `set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin
# The new root is a tmpfs over an existing directory that holds none of the paths it is built from.
root=
for candidate in /mnt /media /srv /opt /tmp; do
  [ -d "$candidate" ] || continue
  clash=no
  for arg in "$@"; do case "$arg/" in "$candidate"/*) clash=yes ;; esac; done
  if [ "$clash" = no ]; then root=$candidate; break; fi
done
if [ -z "$root" ]; then echo "sandbox root: no free mount point among /mnt /media /srv /opt /tmp" >&2; exit 1; fi
mount -t tmpfs -o size=64m,mode=0755,nosuid tmpfs "$root"
copy="$1"; shift
mkdir -p "$root$copy"
cp -R "$copy/." "$root$copy/"
chmod -R a+rX,go-w "$root$copy"
while [ "$1" != "--" ]; do
  if [ -d "$1" ]; then mkdir -p "$root$1"; else mkdir -p "$root$(dirname "$1")"; : > "$root$1"; fi
  mount --rbind "$1" "$root$1"
  mount -o remount,bind,ro,nosuid "$root$1"
  shift
done
shift
# On a merged-/usr system these are symlinks into /usr; otherwise they are bound like /usr.
for dir in /bin /lib /lib64 /sbin; do
  if [ -L "$dir" ]; then ln -s "$(readlink "$dir")" "$root$dir"
  elif [ -d "$dir" ]; then mkdir "$root$dir"; mount --rbind "$dir" "$root$dir"; mount -o remount,bind,ro,nosuid "$root$dir"; fi
done
mount -o remount,ro "$root"
# Started in its own folder, not in "/": measured on Node 24.22, a worker thread of a process whose
# working directory is "/" may read every file despite --allow-fs-read (its process may not).
exec chroot "$root" /usr/bin/env --chdir="$copy" "$@"`;

/** The paths bound read-only into the root besides /bin, /lib, /lib64, /sbin: /usr, the Node installation (`<prefix>/bin/node`) when outside it, two devices. */
export function sandboxRootBinds(nodePath: string): string[] {
  const nodePrefix = path.dirname(path.dirname(nodePath));
  const underUsr = nodePrefix === "/usr" || nodePrefix.startsWith("/usr/");
  return ["/usr", ...(underUsr ? [] : [nodePrefix]), "/dev/null", "/dev/urandom"];
}

/** The command that gives up root for good once the root is in place. */
export function dropPrivileges(): string[] {
  return ["/usr/bin/setpriv", `--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_UID}`, "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"];
}
