/**
 * What `vitest` is inside the Chromium page: the page bundle (see `page.ts`) maps the import `vitest` here, so
 * the contract suite in `test/contract/storage.ts` runs in the browser unchanged. `describe`, `it` and the
 * hooks only record cases; the Node side (`idb-chromium.test.ts`) asks for the list and runs each case by its
 * id, so every case is one vitest test in the report. `expect` is vitest's own (`@vitest/expect`: the same
 * matchers, the same equality), not a lookalike.
 *
 * Anything of vitest's API the suite does not use is absent on purpose: if the suite starts using it, the
 * page fails to load and the Chromium run fails loudly rather than skipping cases.
 */
import { chai, getState, JestAsymmetricMatchers, JestChaiExpect, JestExtend, setState } from '@vitest/expect';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

type ExpectFn = (value: unknown, message?: string) => Chai.Assertion;

/**
 * vitest's `expect`, built as vitest builds it (less snapshots and soft/poll assertions).
 *
 * @example
 * expect(await storage.get('sales', 'S-1')).toEqual({ key: 'S-1', value: 1, rev: 1 });
 */
export const expect: ExpectFn = Object.assign((value: unknown, message?: string) => {
  const state = getState(expect as never) as { assertionCalls: number };
  setState({ assertionCalls: state.assertionCalls + 1 }, expect as never);
  return chai.expect(value, message);
}, chai.expect) as ExpectFn;
// The matchers read their state (assertion counts, equality testers) from here, keyed by this expect.
setState({ assertionCalls: 0, isExpectingAssertions: false, expectedAssertionsNumber: null }, expect as never);

type Hook = () => unknown;

interface Suite {
  readonly name: string;
  readonly parent: Suite | undefined;
  readonly beforeEach: Hook[];
  readonly afterEach: Hook[];
}

/**
 * One recorded test case.
 *
 * @example
 * const entry: BrowserCase = { id: 0, name: 'storage contract: idb (Chromium) > records > starts empty', timeout:
 * undefined };
 */
export interface BrowserCase {
  readonly id: number;
  /** Suite names and the case's name, joined with " > ". */
  readonly name: string;
  /** The case's own timeout, when it gave one. */
  readonly timeout: number | undefined;
}

/**
 * What running one case gave: pass, or the error, flattened for the trip back to Node.
 *
 * @example
 * if (!outcome.ok) throw new Error(outcome.error);
 */
export type CaseOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string };

interface RecordedCase extends BrowserCase {
  readonly suite: Suite;
  readonly fn: () => unknown;
}

const root: Suite = { name: '', parent: undefined, beforeEach: [], afterEach: [] };
let current: Suite = root;
const recorded: RecordedCase[] = [];

function path(suite: Suite | undefined): string[] {
  return suite === undefined || suite === root ? [] : [...path(suite.parent), suite.name];
}

/**
 * Records a suite: its body runs now, registering cases and hooks.
 *
 * @example
 * describe('records', () => { it('starts empty', async () => {}); });
 */
export function describe(name: string, body: () => void): void {
  const suite: Suite = { name, parent: current, beforeEach: [], afterEach: [] };
  const outer = current;
  current = suite;
  try {
    body();
  } finally {
    current = outer;
  }
}

/**
 * Records a case: `it(name, fn)` or `it(name, { timeout }, fn)`.
 *
 * @example
 * it('behaves like a model', { timeout: 120_000 }, async () => {});
 */
export function it(name: string, optionsOrFn: { timeout?: number } | (() => unknown), maybeFn?: () => unknown): void {
  const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn;
  if (fn === undefined) throw new TypeError(`browser runner: "${name}" has no test function`);
  const timeout = typeof optionsOrFn === 'function' ? undefined : optionsOrFn.timeout;
  recorded.push({ id: recorded.length, name: [...path(current), name].join(' > '), timeout, suite: current, fn });
}

/**
 * The same as {@link it}.
 *
 * @example
 * test('starts empty', async () => {});
 */
export const test = it;

/**
 * Records a hook run before each case of the current suite (and its inner suites), outer hooks first.
 *
 * @example
 * beforeEach(() => { seen.length = 0; });
 */
export function beforeEach(hook: Hook): void {
  current.beforeEach.push(hook);
}

/**
 * Records a hook run after each case of the current suite, also when the case failed, inner hooks first.
 *
 * @example
 * afterEach(async () => { await storage.close(); });
 */
export function afterEach(hook: Hook): void {
  current.afterEach.push(hook);
}

/**
 * The recorded cases, in registration order.
 *
 * @example
 * listCases().length; // every case of the contract suite
 */
export function listCases(): BrowserCase[] {
  return recorded.map(({ id, name, timeout }) => ({ id, name, timeout }));
}

/**
 * Runs one case as vitest would: `beforeEach` hooks outside-in, the case, then `afterEach` hooks inside-out
 * even when the case failed (they release the storages it opened). The first error is the outcome.
 *
 * @example
 * await runCase(0); // { ok: true } or { ok: false, error: 'AssertionError: …' }
 */
export async function runCase(id: number): Promise<CaseOutcome> {
  const found = recorded[id];
  if (found === undefined) return { ok: false, error: `browser runner: no case ${id}` };
  const suites: Suite[] = [];
  for (let suite: Suite | undefined = found.suite; suite !== undefined; suite = suite.parent) suites.unshift(suite);
  let failure: unknown;
  let failed = false;
  const attempt = async (step: () => unknown): Promise<void> => {
    try {
      await step();
    } catch (error) {
      if (!failed) {
        failed = true;
        failure = error;
      }
    }
  };
  setState({ assertionCalls: 0 }, expect as never);
  for (const suite of suites) for (const hook of suite.beforeEach) if (!failed) await attempt(hook);
  if (!failed) await attempt(found.fn);
  for (const suite of [...suites].reverse()) for (const hook of [...suite.afterEach].reverse()) await attempt(hook);
  return failed ? { ok: false, error: describeFailure(failure) } : { ok: true };
}

/** An error as text: name, message, the diff's two sides when an assertion has them, and the stack. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return `thrown: ${String(error)}`;
  const parts = [`${error.name}: ${error.message}`];
  const { actual, expected } = error as { actual?: unknown; expected?: unknown };
  if ('expected' in error || 'actual' in error)
    parts.push(`expected: ${preview(expected)}`, `actual:   ${preview(actual)}`);
  if (error.stack) parts.push(error.stack);
  return parts.join('\n');
}

function preview(value: unknown): string {
  try {
    const text = JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? `${inner}n` : inner));
    return text === undefined ? String(value) : text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  } catch {
    return String(value);
  }
}
