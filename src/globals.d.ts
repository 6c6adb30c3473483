/*
 * The few web-standard globals the core may use, present in every browser and in Node ≥ 20. Declared here,
 * and only here, because the core's typecheck has neither the DOM library nor Node's types: anything not
 * listed is unavailable to src/ by construction.
 */
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
