import { asBuffer } from "./bytes";
import { ProtocolError } from "./errors";

/**
 * Package framing: every WebSocket message carries one or more packages, each
 * 1 byte type + 3 bytes big-endian body length + body.
 */
export const PackageType = {
  Handshake: 1,
  HandshakeAck: 2,
  Heartbeat: 3,
  Data: 4,
  Kick: 5,
} as const;
export type PackageType = (typeof PackageType)[keyof typeof PackageType];

export const PACKAGE_HEADER_BYTES = 4;
/** The ceiling of the 3-byte length field: 16 MiB - 1. */
export const MAX_PACKAGE_BODY_BYTES = 0xffffff;
/** What one client package may carry unless the connector says otherwise: game input is small. */
export const DEFAULT_MAX_CLIENT_BODY_BYTES = 64 * 1024;

export interface Package<Body extends Uint8Array = Uint8Array> {
  readonly type: PackageType;
  readonly body: Body;
}

const EMPTY_BODY = new Uint8Array(0);

export function isPackageType(value: number): value is PackageType {
  return value >= PackageType.Handshake && value <= PackageType.Kick && Number.isInteger(value);
}

/** One package in a buffer of its own (a single allocation). */
export function encodePackage(type: PackageType, body: Uint8Array = EMPTY_BODY): Buffer {
  assertEncodable(type, body.byteLength);
  const target = Buffer.allocUnsafe(PACKAGE_HEADER_BYTES + body.byteLength);
  target.set(body, writePackageHeader(target, 0, type, body.byteLength));
  return target;
}

/** Several packages for one socket, concatenated into one WebSocket message with one allocation. */
export function encodePackages(packages: readonly Package[]): Buffer {
  let totalBytes = 0;
  for (let index = 0; index < packages.length; index++) {
    const { type, body } = packages[index];
    assertEncodable(type, body.byteLength);
    totalBytes += PACKAGE_HEADER_BYTES + body.byteLength;
  }
  const target = Buffer.allocUnsafe(totalBytes);
  let offset = 0;
  for (let index = 0; index < packages.length; index++) {
    const { type, body } = packages[index];
    offset = writePackageHeader(target, offset, type, body.byteLength);
    target.set(body, offset);
    offset += body.byteLength;
  }
  return target;
}

/**
 * Splits one WebSocket message into its packages. Bodies are views into `data`, not copies: copy
 * one you keep beyond the message handler if the transport reuses the memory (uWebSockets does).
 * The message is all-or-nothing: one bad package and the whole message is rejected, checking in
 * order type, then `maxBodyBytes` (so a huge announced length fails fast), then truncation.
 */
export function decodePackages(data: Uint8Array, maxBodyBytes: number = DEFAULT_MAX_CLIENT_BODY_BYTES): Package<Buffer>[] {
  const bytes = asBuffer(data);
  const end = bytes.length;
  if (end === 0) {
    throw new ProtocolError("TRUNCATED", "a WebSocket message must carry at least one package");
  }
  const packages: Package<Buffer>[] = [];
  let offset = 0;
  while (offset < end) {
    if (end - offset < PACKAGE_HEADER_BYTES) {
      throw new ProtocolError("TRUNCATED", `package header at byte ${offset} has ${end - offset} of 4 bytes`);
    }
    const type = bytes[offset];
    if (!isPackageType(type)) {
      throw new ProtocolError("UNKNOWN_PACKAGE_TYPE", `unknown package type ${type} at byte ${offset}`);
    }
    const bodyLength = (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];
    if (bodyLength > maxBodyBytes) {
      throw new ProtocolError("OVERSIZED", `package body of ${bodyLength} bytes exceeds the limit of ${maxBodyBytes}`);
    }
    const bodyStart = offset + PACKAGE_HEADER_BYTES;
    const bodyEnd = bodyStart + bodyLength;
    if (bodyEnd > end) {
      throw new ProtocolError("TRUNCATED", `package body announces ${bodyLength} bytes, ${end - bodyStart} present`);
    }
    packages.push({ type, body: bytes.subarray(bodyStart, bodyEnd) });
    offset = bodyEnd;
  }
  return packages;
}

/** Writes a package header at `offset` and returns the offset of the body. */
export function writePackageHeader(target: Uint8Array, offset: number, type: PackageType, bodyLength: number): number {
  target[offset] = type;
  target[offset + 1] = bodyLength >>> 16;
  target[offset + 2] = (bodyLength >>> 8) & 0xff;
  target[offset + 3] = bodyLength & 0xff;
  return offset + PACKAGE_HEADER_BYTES;
}

export function assertBodyFits(bodyLength: number): void {
  if (bodyLength > MAX_PACKAGE_BODY_BYTES) {
    throw new ProtocolError("OVERSIZED", `package body of ${bodyLength} bytes exceeds the 3-byte limit of ${MAX_PACKAGE_BODY_BYTES}`);
  }
}

function assertEncodable(type: PackageType, bodyLength: number): void {
  if (!isPackageType(type)) {
    throw new ProtocolError("UNKNOWN_PACKAGE_TYPE", `unknown package type ${String(type)}`);
  }
  assertBodyFits(bodyLength);
}
