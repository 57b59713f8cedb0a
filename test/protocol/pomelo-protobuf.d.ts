// The surface of NetEase's untyped reference protobuf codec that the cross-check tests use.
declare module "pomelo-protobuf" {
  /** Pomelo's source protos → the parsed form (what `init` and the handshake carry). */
  export function parse(protos: Record<string, unknown>): Record<string, unknown>;
  export function init(options: { encoderProtos?: Record<string, unknown>; decoderProtos?: Record<string, unknown> }): void;
  export function setEncoderProtos(protos: Record<string, unknown>): void;
  export function setDecoderProtos(protos: Record<string, unknown>): void;
  /** null when the message fails its check or encodes to nothing */
  export function encode(route: string, message: unknown): Buffer | null;
  export function decode(route: string, body: Buffer): Record<string, unknown> | null;
}
