/**
 * yibao-guard/platform: the provincial platform client over ky (envelope, gateway headers, msgid, sign-in, every
 * pharmacy transaction) and the wire schemas and codecs of the national interface.
 *
 * @packageDocumentation
 */
export * from './time.js';
export * from './codecs.js';
export * from './envelope.js';
export * from './transactions.js';
export * from './gateway.js';
export * from './msgid.js';
export type { PlatformEvent, PlatformAttemptEvent, PlatformSignInExpiredEvent, PlatformResultEvent } from './events.js';
export { createPlatformClient } from './client.js';
export type {
  PlatformClient,
  PlatformClientOptions,
  CallOptions,
  PersonCallOptions,
  PreparedCall,
  ReportInfno,
  ReportAnswer,
} from './client.js';
export type { PlatformFetch } from './transport.js';
