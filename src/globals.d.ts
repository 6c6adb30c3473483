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
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}

/*
 * The WHATWG Fetch and URL types the platform client names (and ky's declarations refer to). Types only: the
 * core never constructs these itself; ky uses the runtime's own `fetch`, `Request` and `Headers` when a call
 * is made, or the `fetch` the caller injects. Each is an interface, so it merges with the full declarations of
 * the DOM library or Node's types wherever those are loaded.
 */
interface Headers {
  get(name: string): string | null;
  has(name: string): boolean;
  set(name: string, value: string): void;
  delete(name: string): void;
  forEach(callback: (value: string, name: string) => void): void;
}
type HeadersInit = Headers | Record<string, string> | [string, string][];
type BodyInit = string | Uint8Array | ArrayBuffer | Blob | FormData | URLSearchParams | ReadableStream<Uint8Array>;
interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit | null;
  signal?: AbortSignal | null;
}
interface Request {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly signal: AbortSignal;
  clone(): Request;
  text(): Promise<string>;
}
interface Response {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly body: ReadableStream<Uint8Array> | null;
  clone(): Response;
  text(): Promise<string>;
  json(): Promise<unknown>;
}
interface AbortSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
}
interface URL {
  readonly href: string;
  toString(): string;
}
interface URLSearchParams {
  toString(): string;
}
interface ReadableStream<R = any> {
  cancel(reason?: unknown): Promise<void>;
  getReader(): {
    read(): Promise<{ done: boolean; value?: R }>;
    cancel(reason?: unknown): Promise<void>;
    releaseLock(): void;
  };
}
interface Blob {
  readonly size: number;
  readonly type: string;
}
interface FormData {
  get(name: string): unknown;
}
