export * from './time.js';
export * from './codecs.js';
export * from './envelope.js';
export * from './transactions.js';
export * from './gateway.js';
