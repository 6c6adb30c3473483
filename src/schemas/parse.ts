import type * as z from 'zod/mini';
import { InputError, type InputIssue } from '../errors/index.js';

/** What is being parsed, for the error message: `{ en: 'Sale line', zh: '销售明细' }`. */
export interface Subject {
  readonly en: string;
  readonly zh: string;
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map(String).join('.') || '(root)';
}

/**
 * Parses input from outside (a scan, a platform response, a stored record, a rule pack) with its schema.
 * Returns the typed value, or throws `InputError` `INVALID_INPUT` listing every issue by path. Messages
 * carry paths and reasons only, never the input's values, so they are safe to log.
 *
 * @example
 * const line = parseInput(SaleLineSchema, body, { en: 'Sale line', zh: '销售明细' })
 */
export function parseInput<S extends z.ZodMiniType>(schema: S, data: unknown, subject: Subject): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issues: InputIssue[] = result.error.issues.map((issue) => ({
    path: pathText(issue.path),
    message: issue.message,
  }));
  const shown = issues
    .slice(0, 5)
    .map((issue) => `${issue.path}: ${issue.message}`)
    .join('; ');
  const more = issues.length > 5 ? ` (+${issues.length - 5})` : '';
  const first = issues[0];
  throw new InputError('INVALID_INPUT', {
    message: `${subject.en} is invalid: ${shown}${more}`,
    messageZh: `${subject.zh}数据不正确：${shown}${more}`,
    issues,
    ...(first === undefined ? {} : { field: first.path }),
  });
}
