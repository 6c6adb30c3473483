import * as z from 'zod/mini';

/*
 * How the platform sends text, codes and dates in its answers: numbers for some codes, '' or null for absent
 * values, dates with or without a time. Shared by the answers read leniently (1101, 2001, 5301); internal, not
 * part of `yibao-guard/schemas`.
 */

/** A code or text field: the platform sends numbers for some codes, and '' or null for absent values. */
export const wireText = z.pipe(
  z.union([z.string(), z.number()]),
  z.transform((value) => String(value).trim()),
);
export const optionalWireText = z.optional(z.nullable(wireText));

/** A wire date: `yyyy-MM-dd`, or a `yyyy-MM-dd HH:mm:ss` time of which the date part counts; '' when absent. */
export const optionalWireDate = z.optional(
  z.nullable(
    z.pipe(
      z.string(),
      z.transform((value, ctx) => {
        const trimmed = value.trim();
        if (trimmed === '') return undefined;
        const date = /^(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$/.exec(trimmed)?.[1];
        if (date === undefined) {
          ctx.issues.push({ code: 'custom', message: 'Expected a date as yyyy-MM-dd', input: value });
          return z.NEVER;
        }
        return date;
      }),
    ),
  ),
);
