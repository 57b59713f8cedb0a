// The minimal surface of NetEase's untyped reference codec that the cross-check tests use.
declare module "pomelo-protocol" {
  export interface PomeloPackage {
    type: number;
    /** null for an empty body */
    body: Buffer | null;
  }

  export interface PomeloMessage {
    id: number;
    type: number;
    compressRoute: number;
    /** the code when compressRoute is 1, null for responses */
    route: string | number | null;
    body: Buffer;
    compressGzip: number;
  }

  export const Package: {
    encode(type: number, body?: Uint8Array | null): Buffer;
    /** one object for one package, an array for several (or none) */
    decode(buffer: Uint8Array): PomeloPackage | PomeloPackage[];
  };

  export const Message: {
    encode(id: number, type: number, compressRoute: number, route: string | number | null, msg?: Uint8Array | null, compressGzip?: number): Buffer;
    decode(buffer: Uint8Array): PomeloMessage;
  };
}
