import { YibaoGuardError, type ErrorDetails } from './base.js';
import type { ERROR_CATALOG, ErrorCode } from './catalog.js';

type CodesOf<Area extends string> = {
  [C in ErrorCode]: (typeof ERROR_CATALOG)[C]['area'] extends Area ? C : never;
}[ErrorCode];

/** Codes of malformed input: a scan, a typed-in code, a record from outside. */
export type InputErrorCode = CodesOf<'input'>;
/** Codes of the storage adapters. */
export type StorageErrorCode = CodesOf<'storage'>;

/** Where zod (or a hand-written parser) found input at fault: a path and a message, never the input's value. */
export interface InputIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * Malformed input from outside: a scan, a typed-in code, a platform response, a stored record, a rule
 * pack. Thrown before anything is sent or stored, so nothing is changed by it.
 */
export class InputError extends YibaoGuardError {
  declare readonly code: InputErrorCode;
  /** What was wrong, where (for a schema failure, one entry per zod issue). */
  readonly issues: readonly InputIssue[];

  constructor(code: InputErrorCode, details: ErrorDetails & { issues?: readonly InputIssue[] } = {}) {
    super(code, details);
    this.name = 'InputError';
    this.issues = details.issues ?? [];
  }
}

/** A storage adapter could not do what was asked; a write that throws this has written nothing. */
export class StorageError extends YibaoGuardError {
  declare readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, details: ErrorDetails = {}) {
    super(code, details);
    this.name = 'StorageError';
  }
}

/** A package entry point that a later release fills (see the README's roadmap). */
export class NotBuiltError extends YibaoGuardError {
  declare readonly code: 'NOT_BUILT_YET';

  constructor(entry: string) {
    super('NOT_BUILT_YET', {
      message: `yibao-guard/${entry} is not built yet`,
      messageZh: `yibao-guard/${entry} 尚未实现`,
    });
    this.name = 'NotBuiltError';
  }
}
