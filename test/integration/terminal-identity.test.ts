/**
 * Issue 16 item 3: createTerminal takes each identity once. The pharmacy, the terminal and the operator are given
 * once, and the platform client the terminal makes from them sends them in every envelope (9001's device, 1101's
 * institution, area and operator); `platform` says only how to reach the platform. A missing piece, an identity
 * given in `platform` as well, or a ready-made client is refused with INVALID_INPUT naming the field, in both
 * languages, before anything is stored.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createMemoryStorage,
  createTerminal,
  TERMINAL_NAMES,
  type Storage,
  type TerminalLayout,
  type TerminalOptions,
} from '../../src/index.js';
import {
  createSimulator,
  startSimulator,
  type RunningSimulator,
  type Simulator,
} from '../../adapters/simulator/index.js';
import { DEFAULT_TIMEOUT_MS, PHARMACY, tillClient, tillIdentity } from './till-fixture.js';

let now = Date.UTC(2026, 10, 23, 2, 0);
const clock = { now: () => now };
let server: RunningSimulator;
let simulator: Simulator;
let storage: Storage<TerminalLayout>;

beforeEach(async () => {
  simulator = createSimulator({ clock });
  server = await startSimulator({ port: 0, simulator });
  storage = createMemoryStorage({ names: TERMINAL_NAMES });
});
afterEach(async () => {
  await server.close();
  await storage.close();
});

/** The envelopes the terminal's client sends, as the platform receives them. */
function recording(): {
  readonly sent: Record<string, unknown>[];
  readonly fetch: NonNullable<TerminalOptions['platform']['fetch']>;
} {
  const sent: Record<string, unknown>[] = [];
  return {
    sent,
    fetch: async (input, init) => {
      // ky hands fetch a Request; read a copy of its body.
      const request = new Request(input, init);
      sent.push(JSON.parse(await request.clone().text()) as Record<string, unknown>);
      return fetch(request);
    },
  };
}

const base = (): TerminalOptions => ({
  platform: { baseUrl: server.url, timeoutMs: DEFAULT_TIMEOUT_MS, retry: { limit: 0 } },
  storage,
  ...tillIdentity('T03', { id: 'OP9', name: '王药师' }),
  clock,
  sync: { autoStart: false },
});

describe('createTerminal takes each identity once', () => {
  it('sends the pharmacy, terminal and operator it was given in every envelope of its own client', async () => {
    const wire = recording();
    const terminal = await createTerminal({
      ...base(),
      platform: { ...base().platform, fetch: wire.fetch },
      terminal: { id: 'T03', mac: '00-16-3E-00-00-03', ip: '10.0.0.3', safeInfo: 'tpm:1' },
    });
    await terminal.signIn();
    await terminal.verifyVoucher({ voucher: { kind: 'ec-qr', qr: simulator.issueVoucher('active').qr } });
    expect(wire.sent.map((e) => e.infno)).toEqual(['9001', '1101']);
    for (const envelope of wire.sent) {
      expect(envelope).toMatchObject({
        fixmedins_code: PHARMACY.code,
        fixmedins_name: PHARMACY.name,
        mdtrtarea_admvs: PHARMACY.admdvs,
        opter: 'OP9',
        opter_name: '王药师',
        opter_type: '1',
        dev_no: 'T03',
        dev_safe_info: 'tpm:1',
      });
      // The msgid is the pharmacy's, its sequence's thousands digit the terminal's (3).
      expect(String(envelope.msgid)).toMatch(new RegExp(`^${PHARMACY.code}\\d+3\\d{3}$`));
    }
    const signIn = wire.sent[0]!.input as { signIn: Record<string, unknown> };
    expect(signIn.signIn).toMatchObject({ opter_no: 'OP9', mac: '00-16-3E-00-00-03', ip: '10.0.0.3' });
    expect(terminal.platform).toBeDefined();
    await terminal.close();
  });

  it.each([
    ['pharmacy.name', (o: TerminalOptions) => ({ ...o, pharmacy: { code: PHARMACY.code, area: PHARMACY.admdvs } })],
    ['pharmacy.area', (o: TerminalOptions) => ({ ...o, pharmacy: { code: PHARMACY.code, name: PHARMACY.name } })],
    ['terminal.mac', (o: TerminalOptions) => ({ ...o, terminal: { id: 'T03', ip: '10.0.0.3' } })],
    ['operator.name', (o: TerminalOptions) => ({ ...o, operator: { id: 'OP9' } })],
    ['platform.baseUrl', (o: TerminalOptions) => ({ ...o, platform: {} })],
    [
      'platform.institution',
      (o: TerminalOptions) => ({
        ...o,
        platform: { ...o.platform, institution: { code: PHARMACY.code, name: PHARMACY.name } },
      }),
    ],
    ['platform.area', (o: TerminalOptions) => ({ ...o, platform: { ...o.platform, area: PHARMACY.admdvs } })],
    [
      'platform.operator',
      (o: TerminalOptions) => ({ ...o, platform: { ...o.platform, operator: { id: 'OP9', name: '王药师' } } }),
    ],
    [
      'platform.device',
      (o: TerminalOptions) => ({ ...o, platform: { ...o.platform, device: { no: 'T03', mac: 'x', ip: 'y' } } }),
    ],
    ['platform', (o: TerminalOptions) => ({ ...o, platform: tillClient({ baseUrl: server.url, clock }) })],
  ])('refuses options without or with %s twice: INVALID_INPUT naming it, nothing stored', async (field, change) => {
    const refused = await createTerminal(change(base()) as unknown as TerminalOptions).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: 'INVALID_INPUT', field });
    expect((refused as Error).message).toContain(field);
    expect((refused as { messageZh: string }).messageZh).toMatch(/[\u4e00-\u9fff]/);
    // Refused before the till opened anything: no key, no chain head, no msgid block.
    for (const store of TERMINAL_NAMES.stores) expect(await storage.count(store), store).toBe(0);
    for (const journal of TERMINAL_NAMES.journals) expect(await storage.lastSeq(journal), journal).toBe(0);
  });
});
