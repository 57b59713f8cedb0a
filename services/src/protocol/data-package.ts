import { measureMessage, writeMessage, type Message } from "./message";
import { assertBodyFits, PACKAGE_HEADER_BYTES, PackageType, writePackageHeader } from "./package";
import type { RouteDictionary } from "./route-dictionary";

/**
 * Messages framed as data packages — the server's hot path. A push is encoded once and the same
 * Buffer is sent to every receiver; a socket's pending messages become one WebSocket message.
 */

/** Bytes of the data package holding `message`, after validating it (id, route length, size). */
export function measureDataPackage(message: Message, dictionary?: RouteDictionary): number {
  const messageBytes = measureMessage(message, dictionary);
  assertBodyFits(messageBytes);
  return PACKAGE_HEADER_BYTES + messageBytes;
}

/**
 * Writes the data package for `message` at `offset` and returns the offset after it, e.g. into a
 * reused per-socket send buffer. `target` must have `measureDataPackage(message, dictionary)`
 * bytes free at `offset`: this is the unchecked half.
 */
export function writeDataPackage(target: Buffer, offset: number, message: Message, dictionary?: RouteDictionary): number {
  const end = writeMessage(target, offset + PACKAGE_HEADER_BYTES, message, dictionary);
  writePackageHeader(target, offset, PackageType.Data, end - offset - PACKAGE_HEADER_BYTES);
  return end;
}

/** One complete data package in one allocation, ready to send unchanged to any number of sockets. */
export function encodeDataPackage(message: Message, dictionary?: RouteDictionary): Buffer {
  const target = Buffer.allocUnsafe(measureDataPackage(message, dictionary));
  writeDataPackage(target, 0, message, dictionary);
  return target;
}

/** Several messages for one socket as one WebSocket message, in one allocation. */
export function encodeDataPackages(messages: readonly Message[], dictionary?: RouteDictionary): Buffer {
  let totalBytes = 0;
  for (let index = 0; index < messages.length; index++) {
    totalBytes += measureDataPackage(messages[index], dictionary);
  }
  const target = Buffer.allocUnsafe(totalBytes);
  let offset = 0;
  for (let index = 0; index < messages.length; index++) {
    offset = writeDataPackage(target, offset, messages[index], dictionary);
  }
  return target;
}
