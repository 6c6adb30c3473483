/// <reference lib="dom" />
/*
 * The demo terminal: a till page a pharmacy can try on a counter PC. Plain DOM, no framework. It opens the till
 * with `createTerminal` over IndexedDB (`createIdbStorage`) against the platform simulator served on the same
 * origin (`yibao-guard demo`), and shows the whole sale: real-name verification, scans, rule prompts with their
 * actions and overrides, the e-prescription, settlement with the payment split, the signed receipt with its QR,
 * delivery to the platform (badge, progress, offline banner, dead letters), refunds, purchases and stock counts.
 * Every element a test drives has a `data-testid`.
 */
import { createIdbStorage } from '../../../adapters/idb/index.js';
import {
  createTerminal,
  isYibaoGuardError,
  TERMINAL_NAMES,
  type Prescription,
  type Product,
  type Receipt,
  type Storage,
  type Terminal,
  type TerminalLayout,
  type TerminalSale,
  type VerifiedBuyer,
} from '../../../src/index.js';
import type { PurchaseMovement, StockMovement, SuggestedAction } from '../../../src/schemas/index.js';
import { renderAuditCsv, renderAuditHtml, selfAudit } from '../../../src/audit/index.js';
import {
  movementReport,
  type DeadLetter,
  type Review,
  type ReviewedFinding,
  type SaleRecord,
  type SyncStatus,
} from '../../../src/engine.js';
import { TEXT, type Lang, type TextKey } from './i18n.js';
import { receiptQrSvg } from './receipt-qr.js';

// ---------------------------------------------------------------------------------------------------------------
// Demo data served by `yibao-guard demo` (fictional people, the simulator's catalog and opening stock)

interface Operator {
  readonly id: string;
  readonly name: string;
  readonly certNo?: string;
  readonly role: { readonly zh: string; readonly en: string };
}
interface DemoConfig {
  readonly pharmacy: { readonly code: string; readonly name: string; readonly admdvs: string };
  readonly terminal: { readonly id: string; readonly mac: string; readonly ip: string };
  readonly operators: readonly Operator[];
  readonly platformPath: string;
  readonly trustedKeys: readonly { readonly keyId: string; readonly publicKey: string }[];
}
interface DemoPersonView {
  readonly key: string;
  readonly displayName: string;
  readonly about: string;
}
interface DemoData {
  readonly config: DemoConfig;
  readonly people: readonly DemoPersonView[];
  readonly catalog: readonly Product[];
  readonly opening: readonly PurchaseMovement[];
  readonly prescriptions: readonly { readonly key: string; readonly prescription: Prescription }[];
}

async function getJson<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, { cache: 'no-store', ...init });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

async function loadDemoData(): Promise<DemoData> {
  const [config, people, catalog, opening, prescriptions] = await Promise.all([
    getJson<DemoConfig>('/demo/config.json'),
    getJson<DemoPersonView[]>('/demo/people.json'),
    getJson<Product[]>('/demo/catalog.json'),
    getJson<PurchaseMovement[]>('/demo/stock.json'),
    getJson<{ key: string; prescription: Prescription }[]>('/demo/prescriptions.json'),
  ]);
  return { config, people, catalog, opening, prescriptions };
}

// ---------------------------------------------------------------------------------------------------------------
// Language and small DOM helpers

let lang: Lang = localStorage.getItem('yg-demo:lang') === 'en' ? 'en' : 'zh';
const t = (key: TextKey): string => TEXT[key][lang === 'zh' ? 0 : 1];
const pick = (text: { readonly zh: string; readonly en: string }): string => text[lang];
const yuan = (fen: number): string => `¥${(fen / 100).toFixed(2)}`;
const when = (ms: number): string => new Date(ms).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });

type Child = Node | string | number | null | undefined | false;
type Props = Record<string, unknown> & { testid?: string; class?: string };

/**
 * Creates an element: `testid` becomes `data-testid`, `on*` functions listeners, `data-*`/`aria-*` attributes, the rest
 * properties.
 */
function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'testid') el.setAttribute('data-testid', String(value));
    else if (name === 'class') el.className = String(value);
    else if (name.startsWith('on') && typeof value === 'function')
      el.addEventListener(name.slice(2), value as EventListener);
    else if (name.startsWith('data-') || name.startsWith('aria-') || name === 'role' || name === 'for')
      el.setAttribute(name, String(value));
    else (el as unknown as Record<string, unknown>)[name] = value;
  }
  for (const child of children)
    if (child !== null && child !== undefined && child !== false)
      el.append(typeof child === 'number' ? String(child) : child);
  return el;
}

/** An error as the operator reads it: the code and the message in the page's language. */
function errorText(error: unknown): { code: string; text: string } {
  if (isYibaoGuardError(error)) return { code: error.code, text: lang === 'zh' ? error.messageZh : error.message };
  return { code: 'ERROR', text: error instanceof Error ? error.message : String(error) };
}

function errorBox(error: unknown, testid: string): HTMLElement {
  const { code, text } = errorText(error);
  return h(
    'div',
    { class: 'error', testid, role: 'alert', 'data-code': code },
    h('strong', {}, t('errorTitle')),
    ' ',
    h('code', {}, code),
    h('div', {}, text),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// State

interface SaleState {
  sale: TerminalSale;
  buyer: VerifiedBuyer | undefined;
  review?: Review | undefined;
  reviewing: boolean;
  error?: unknown;
  notice?: string | undefined;
  settling: boolean;
}

const app = {
  data: undefined as DemoData | undefined,
  terminal: undefined as Terminal | undefined,
  storage: undefined as Storage<TerminalLayout> | undefined,
  operator: undefined as Operator | undefined,
  view: 'sale' as 'sale' | 'sales' | 'stock' | 'sync' | 'audit',
  current: undefined as SaleState | undefined,
  receipt: undefined as Receipt | undefined,
  refusal: undefined as unknown,
  verifying: false,
  platformOnline: true,
  tillOffline: false,
  status: undefined as SyncStatus | undefined,
  /** Records delivered since the outbox was last empty, for the progress bar. */
  deliveredInRun: 0,
  soldCodes: new Set<string>(),
  unsubscribe: [] as (() => void)[],
  message: undefined as string | undefined,
  pageError: undefined as unknown,
};

const root = document.getElementById('app') as HTMLElement;
const DB_NAME = 'yibao-guard-demo:T01';

function deviceSecret(): Uint8Array {
  // A real till keeps this in the OS keystore; the demo keeps it in localStorage.
  const stored = localStorage.getItem('yg-demo:device-secret');
  if (stored && /^[0-9a-f]{64}$/.test(stored)) return Uint8Array.from(stored.match(/../g)!.map((b) => parseInt(b, 16)));
  const secret = crypto.getRandomValues(new Uint8Array(32));
  localStorage.setItem('yg-demo:device-secret', Array.from(secret, (b) => b.toString(16).padStart(2, '0')).join(''));
  return secret;
}

const productOf = (productId: string): Product | undefined => app.data?.catalog.find((p) => p.productId === productId);

/** Trace codes the demo knows of per product (opening stock), less the boxes sold here and those in the basket. */
function freeBoxes(product: Product): string[] {
  const inBasket = new Set(app.current?.sale.lines.flatMap((l) => l.traceCodes) ?? []);
  return (app.data?.opening ?? [])
    .filter((m) => m.productId === product.productId)
    .flatMap((m) => m.traceCodes)
    .filter((code) => !app.soldCodes.has(code) && !inBasket.has(code));
}

async function refreshSoldCodes(): Promise<void> {
  const sales = (await app.terminal?.sales()) ?? [];
  app.soldCodes = new Set(
    sales.flatMap((s) => {
      const returned = new Set(s.refunds.flatMap((r) => r.lines.map((l) => l.lineId)));
      return s.status === 'refunded' ? [] : s.lines.filter((l) => !returned.has(l.lineId)).flatMap((l) => l.traceCodes);
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Opening and closing the till

async function openTill(operator: Operator): Promise<void> {
  const data = app.data!;
  const { config } = data;
  const storage = await createIdbStorage({ name: DB_NAME, names: TERMINAL_NAMES });
  const terminal = await createTerminal({
    platform: {
      baseUrl: `${location.origin}${config.platformPath}`,
      // A customer is waiting: fail fast when the platform is down, the sale goes on as self-pay.
      timeoutMs: 8_000,
      retry: { limit: 1, backoffLimitMs: 400 },
    },
    storage,
    pharmacy: { code: config.pharmacy.code, name: config.pharmacy.name, area: config.pharmacy.admdvs },
    terminal: { id: config.terminal.id, mac: config.terminal.mac, ip: config.terminal.ip },
    operator: { id: operator.id, name: operator.name, ...(operator.certNo ? { certNo: operator.certNo } : {}) },
    catalog: data.catalog,
    trustedKeys: config.trustedKeys,
    selfAudit,
    deviceSecret: deviceSecret(),
    // Quick to notice the platform is back, for a demo.
    sync: {
      backoff: { baseMs: 300, maxMs: 3_000 },
      breaker: { threshold: 3, cooldownMs: 2_000, maxCooldownMs: 6_000 },
    },
  });
  app.storage = storage;
  app.terminal = terminal;
  app.operator = operator;
  app.unsubscribe = [
    terminal.on('sync:progress', (event) => {
      const before = app.status?.pending ?? 0;
      app.status = event.status;
      if (event.delivered) app.deliveredInRun += event.delivered;
      if (event.status.pending === 0) app.deliveredInRun = 0;
      if (event.delivered && event.delivered > 0) app.tillOffline = false;
      else if (
        event.status.lastError &&
        (event.status.state === 'backoff' || event.status.state === 'circuit-open') &&
        before >= 0
      )
        app.tillOffline = true;
      renderHeader();
      if (app.view === 'sync') void renderSync();
    }),
    terminal.on('offline', (event) => {
      app.status = event.status;
      app.tillOffline = true;
      renderHeader();
    }),
    terminal.on('online', (event) => {
      app.status = event.status;
      app.tillOffline = false;
      renderHeader();
    }),
    terminal.on('sync:dead-letter', () => {
      void terminal.sync.status().then((status) => {
        app.status = status;
        renderHeader();
        if (app.view === 'sync') void renderSync();
      });
    }),
  ];
  try {
    await terminal.signIn();
    await terminal.updateRulePack();
  } catch (error) {
    if (isPlatformDown(error)) app.tillOffline = true;
    else app.message = errorText(error).text;
  }
  // The first time on this browser: the shelf's opening stock is counted in (3501), so the ledger starts as the
  // platform's view of the pharmacy does.
  if (terminal.stock().length === 0 && (await storage.list('movements', { limit: 1 })).length === 0) {
    for (const m of data.opening) {
      const count: StockMovement = {
        kind: 'stock-count',
        movementId: `OPEN-COUNT-${m.productId}-${m.batchNo}`,
        at: Date.now(),
        productId: m.productId,
        ...(m.medListCode ? { medListCode: m.medListCode } : {}),
        productName: m.productName,
        batchNo: m.batchNo,
        ...(m.lotNo ? { lotNo: m.lotNo } : {}),
        ...(m.expiryDate ? { expiryDate: m.expiryDate } : {}),
        traceCodes: [...m.traceCodes],
        operatorId: operator.id,
        countedQuantity: m.quantity,
      };
      await terminal.recordMovement(count);
    }
  }
  await refreshSoldCodes();
  app.status = await terminal.sync.status();
  localStorage.setItem('yg-demo:operator', operator.id);
}

async function closeTill(): Promise<void> {
  for (const off of app.unsubscribe) off();
  app.unsubscribe = [];
  await app.terminal?.close().catch(() => undefined);
  await app.storage?.close().catch(() => undefined);
  app.terminal = undefined;
  app.storage = undefined;
  app.operator = undefined;
  app.current = undefined;
  app.receipt = undefined;
  app.refusal = undefined;
  localStorage.removeItem('yg-demo:operator');
}

const isPlatformDown = (error: unknown): boolean =>
  isYibaoGuardError(error, 'PLATFORM_UNAVAILABLE') ||
  isYibaoGuardError(error, 'VOUCHER_OFFLINE') ||
  (error as { selfPayAllowed?: unknown } | null)?.selfPayAllowed === true;

// ---------------------------------------------------------------------------------------------------------------
// Rendering: header (always), then the current view

function render(): void {
  root.replaceChildren();
  root.append(h('header', { id: 'header' }), h('div', { id: 'banner' }), h('main', { id: 'view' }));
  renderHeader();
  if (!app.data) {
    view().append(app.pageError ? errorBox(app.pageError, 'boot-error') : h('p', { testid: 'loading' }, t('loading')));
    return;
  }
  if (!app.terminal) return renderSignIn();
  if (app.view === 'sale') renderSale();
  else if (app.view === 'sales') void renderSales();
  else if (app.view === 'stock') renderStock();
  else if (app.view === 'audit') renderAudit();
  else void renderSync();
}

const view = () => document.getElementById('view') as HTMLElement;

function renderHeader(): void {
  const header = document.getElementById('header');
  const banner = document.getElementById('banner');
  if (!header || !banner) return;
  const status = app.status;
  const pending = status?.pending ?? 0;
  const total = pending + app.deliveredInRun;
  header.replaceChildren(
    h(
      'div',
      { class: 'brand' },
      h('strong', {}, t('title')),
      h('span', { class: 'muted' }, app.data?.config.pharmacy.name ?? ''),
      h('span', { class: 'fictional' }, t('fictional')),
    ),
    h(
      'div',
      { class: 'header-tools' },
      app.terminal
        ? h(
            'div',
            {
              class: `outbox ${pending > 0 ? 'busy' : ''}`,
              testid: 'outbox',
              title: status ? `${status.state}${status.lastError ? ` · ${status.lastError}` : ''}` : '',
            },
            h(
              'span',
              { testid: 'outbox-badge', 'data-pending': pending, class: 'badge' },
              pending > 0 ? `${t('outbox')} ${pending}` : t('outboxIdle'),
            ),
            h('progress', {
              testid: 'outbox-progress',
              max: Math.max(total, 1),
              value: total === 0 ? 1 : app.deliveredInRun,
              hidden: pending === 0,
            }),
            status && status.deadLetters > 0
              ? h(
                  'span',
                  { class: 'badge dead', testid: 'dead-badge', 'data-count': status.deadLetters },
                  `${status.deadLetters} ${t('deadBadge')}`,
                )
              : null,
          )
        : null,
      app.data
        ? h(
            'button',
            {
              class: `demo-control ${app.platformOnline ? '' : 'down'}`,
              testid: 'platform-toggle',
              'data-online': String(app.platformOnline),
              onclick: () => void togglePlatform(),
            },
            app.platformOnline ? t('platformOnline') : t('platformOffline'),
          )
        : null,
      app.operator
        ? h(
            'span',
            { class: 'operator', testid: 'operator-name' },
            `${t('operator')}: ${app.operator.name}（${pick(app.operator.role)}）`,
          )
        : null,
      app.operator
        ? h('button', { testid: 'sign-out', onclick: () => void closeTill().then(render) }, t('signOut'))
        : null,
      h('button', { testid: 'lang-toggle', onclick: toggleLang }, t('langToggle')),
    ),
  );
  if (app.terminal) {
    header.append(
      h(
        'nav',
        {},
        ...(['sale', 'sales', 'stock', 'sync', 'audit'] as const).map((v) =>
          h(
            'button',
            {
              testid: `tab-${v}`,
              class: app.view === v ? 'active' : '',
              onclick: () => {
                app.view = v;
                render();
              },
            },
            t(
              v === 'sale'
                ? 'tabSale'
                : v === 'sales'
                  ? 'tabSales'
                  : v === 'stock'
                    ? 'tabStock'
                    : v === 'audit'
                      ? 'tabAudit'
                      : 'tabSync',
            ),
          ),
        ),
      ),
    );
  }
  banner.replaceChildren(
    app.terminal && app.tillOffline
      ? h('div', { class: 'offline-banner', testid: 'offline-banner', role: 'status' }, t('offlineBanner'))
      : '',
  );
}

function toggleLang(): void {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('yg-demo:lang', lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  render();
}

async function togglePlatform(): Promise<void> {
  const { online } = await getJson<{ online: boolean }>('/demo/platform', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ online: !app.platformOnline }),
  });
  app.platformOnline = online;
  // The till finds out as a till does: at its next call. Nudge delivery so a waiting outbox notices at once.
  if (online && app.terminal) void app.terminal.sync.flush().catch(() => undefined);
  renderHeader();
}

// ---------------------------------------------------------------------------------------------------------------
// Sign-in

function renderSignIn(): void {
  const { operators } = app.data!.config;
  view().append(
    h(
      'section',
      { class: 'card narrow' },
      h('h2', {}, t('signInTitle')),
      h('p', { class: 'muted' }, t('signInHint')),
      h(
        'div',
        { class: 'operators' },
        ...operators.map((op) =>
          h(
            'button',
            {
              class: 'operator-card',
              testid: `operator-${op.id}`,
              onclick: async (event: Event) => {
                (event.currentTarget as HTMLButtonElement).disabled = true;
                try {
                  await openTill(op);
                } catch (error) {
                  app.pageError = error;
                }
                render();
              },
            },
            h('strong', {}, op.name),
            h('span', {}, pick(op.role)),
            h('code', {}, op.id),
          ),
        ),
      ),
      app.pageError ? errorBox(app.pageError, 'sign-in-error') : null,
      app.message ? h('p', { testid: 'sign-in-message' }, app.message) : null,
      h(
        'button',
        {
          class: 'link',
          testid: 'reset-demo',
          onclick: async () => {
            await new Promise<void>((resolve) => {
              const request = indexedDB.deleteDatabase(DB_NAME);
              request.onsuccess = request.onerror = request.onblocked = () => resolve();
            });
            localStorage.removeItem('yg-demo:device-secret');
            app.message = t('resetDone');
            render();
          },
        },
        t('resetDemo'),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The sale

function renderSale(): void {
  const v = view();
  if (app.receipt) {
    v.append(renderReceipt(app.receipt, true));
    return;
  }
  v.append(renderBuyer());
  if (app.current) v.append(renderLines(), renderPrescriptions(), renderReview(), renderSettle());
  if (app.message) v.append(h('p', { class: 'notice', testid: 'notice' }, app.message));
  if (!app.current) (document.querySelector('[data-testid="voucher-input"]') as HTMLInputElement | null)?.focus();
}

function renderBuyer(): HTMLElement {
  const data = app.data!;
  const current = app.current;
  const section = h('section', { class: 'card', testid: 'buyer-section' }, h('h2', {}, t('buyerTitle')));
  if (current) {
    const b = current.buyer;
    section.append(
      b
        ? h(
            'div',
            { class: 'buyer-card', testid: 'buyer-card', 'data-psn': 'hidden' },
            h(
              'div',
              {},
              h('span', { class: 'label' }, t('buyer')),
              h('strong', { testid: 'buyer-name' }, b.displayName),
            ),
            h('div', {}, h('span', { class: 'label' }, t('idMasked')), h('code', {}, b.displayId)),
            h(
              'div',
              {},
              h('span', { class: 'label' }, t('insurance')),
              `${b.insurance.insutype === '310' ? (lang === 'zh' ? '职工医保' : 'Employee') : b.insurance.insutype === '390' ? (lang === 'zh' ? '居民医保' : 'Resident') : b.insurance.insutype} · ${b.insurance.insuplcAdmdvs}`,
            ),
            h(
              'div',
              {},
              h('span', { class: 'label' }, t('balance')),
              h('span', { testid: 'buyer-balance' }, yuan(b.insurance.balanceFen)),
            ),
            b.chronic.length > 0
              ? h(
                  'div',
                  {},
                  h('span', { class: 'label' }, t('chronic')),
                  b.chronic.map((c) => c.name ?? c.code).join('、'),
                )
              : null,
            b.outOfArea ? h('div', { class: 'warn' }, t('outOfArea')) : null,
            ...b.warnings.map((w) => h('div', { class: 'warn', testid: 'buyer-warning' }, lang === 'zh' ? w.zh : w.en)),
          )
        : h('div', { class: 'buyer-card self-pay', testid: 'buyer-card' }, h('strong', {}, t('selfPayBuyer'))),
      h(
        'button',
        {
          testid: 'change-buyer',
          onclick: () => {
            app.current = undefined;
            app.refusal = undefined;
            render();
          },
        },
        t('changeBuyer'),
      ),
    );
    return section;
  }
  const input = h('input', {
    testid: 'voucher-input',
    class: 'scan',
    placeholder: t('voucherPlaceholder'),
    autocomplete: 'off',
    spellcheck: false,
    onkeydown: (event: KeyboardEvent) => {
      if (event.key !== 'Enter') return;
      event.preventDefault();
      const text = input.value.trim();
      input.value = '';
      if (text) void verify(text);
    },
  });
  const picker = remembered(
    h(
      'select',
      { testid: 'voucher-picker' },
      ...data.people.map((p) => h('option', { value: p.key }, `${p.displayName} — ${p.about}`)),
    ),
  );
  section.append(
    h('label', {}, t('voucherLabel'), input),
    h(
      'div',
      { class: 'row demo-row' },
      picker,
      h(
        'button',
        {
          testid: 'voucher-issue',
          onclick: async () => {
            app.refusal = undefined;
            app.verifying = true;
            render();
            try {
              // The buyer opens the 医保 app; the scanner types its QR into the field, then Enter.
              const { qr } = await getJson<{ qr: string }>('/__sim/issue-voucher', {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ person: picker.value }),
              });
              await verify(qr);
            } catch (error) {
              app.verifying = false;
              app.refusal = error;
              render();
            }
          },
        },
        t('demoVoucher'),
      ),
      h('button', { testid: 'sale-self-pay', onclick: () => startSale(undefined) }, t('selfPaySale')),
    ),
  );
  if (app.verifying) section.append(h('p', { testid: 'verifying' }, t('verifying')));
  if (app.refusal) {
    const { code, text } = errorText(app.refusal);
    section.append(
      h(
        'div',
        { class: 'refusal', testid: 'voucher-refusal', role: 'alert', 'data-code': code },
        h('strong', {}, t('refused')),
        ' ',
        h('code', { testid: 'voucher-refusal-code' }, code),
        h('div', {}, text),
        (app.refusal as { selfPayAllowed?: boolean }).selfPayAllowed ? h('div', {}, t('selfPayOnly')) : null,
      ),
    );
  }
  return section;
}

/** The kind of voucher a scan is: an 18-character 身份证 number, else an e-voucher QR (社保卡 readers fill the form). */
function voucherOf(text: string): unknown {
  if (/^\d{17}[\dXx]$/.test(text)) return { kind: 'id-card', residentId: text.toUpperCase() };
  return { kind: 'ec-qr', qr: text };
}

async function verify(text: string): Promise<void> {
  const terminal = app.terminal!;
  app.verifying = true;
  app.refusal = undefined;
  render();
  try {
    const buyer = await terminal.verifyVoucher({ voucher: voucherOf(text) });
    app.tillOffline = false;
    app.verifying = false;
    startSale(buyer);
  } catch (error) {
    if (isPlatformDown(error)) app.tillOffline = true;
    app.verifying = false;
    app.refusal = error;
    render();
  }
}

function startSale(buyer: VerifiedBuyer | undefined): void {
  app.receipt = undefined;
  app.refusal = undefined;
  app.message = undefined;
  app.current = { sale: app.terminal!.startSale(buyer), buyer, reviewing: false, settling: false };
  render();
  (document.querySelector('[data-testid="scan-input"]') as HTMLInputElement | null)?.focus();
}

/** Runs a change to the sale, then reviews it again (the cards always match the basket). */
async function change(fn: (sale: TerminalSale) => unknown | Promise<unknown>): Promise<void> {
  const current = app.current!;
  current.error = undefined;
  current.notice = undefined;
  // Shown at once, so nothing (an operator, a test) reads the previous review's verdict as this basket's.
  current.reviewing = true;
  render();
  try {
    await fn(current.sale);
  } catch (error) {
    current.error = error;
    current.reviewing = false;
    render();
    return;
  }
  await review();
}

async function review(): Promise<void> {
  const current = app.current;
  if (!current) return;
  if (current.sale.lines.length === 0) {
    current.review = undefined;
    current.reviewing = false;
    render();
    return;
  }
  current.reviewing = true;
  render();
  // Reviews can overlap (a scan's review still running when a prescription is attached): only the latest one's
  // verdict is shown, and the basket stays "reviewing" until it is in.
  const generation = ++reviewGeneration;
  let result: Review | undefined;
  let failure: unknown;
  try {
    result = await current.sale.review();
  } catch (error) {
    failure = error;
  }
  if (generation !== reviewGeneration || app.current !== current) return;
  if (result) {
    current.review = result;
    if (result.platform === 'unavailable') app.tillOffline = true;
    else if (result.platform === 'checked') app.tillOffline = false;
  } else current.error = failure;
  current.reviewing = false;
  render();
}
let reviewGeneration = 0;

function renderLines(): HTMLElement {
  const data = app.data!;
  const current = app.current!;
  const { sale } = current;
  const scan = h('input', {
    testid: 'scan-input',
    class: 'scan',
    placeholder: t('scanPlaceholder'),
    autocomplete: 'off',
    spellcheck: false,
    onkeydown: (event: KeyboardEvent) => {
      if (event.key !== 'Enter') return;
      event.preventDefault();
      const code = scan.value.trim();
      scan.value = '';
      if (code)
        void change((s) => s.scan(code)).then(() =>
          (document.querySelector('[data-testid="scan-input"]') as HTMLInputElement | null)?.focus(),
        );
    },
  });
  const shelf = new Set(data.opening.map((m) => m.productId));
  const sellable = data.catalog.filter((p) => p.retailPriceFen !== undefined);
  const ordered = [
    ...sellable.filter((p) => shelf.has(p.productId)),
    ...sellable.filter((p) => !shelf.has(p.productId)),
  ];
  const productLabel = (p: Product) =>
    `${p.genericName} ${p.specification} · ${p.rx ? t('rx') : t('otc')} · ${yuan(p.retailPriceFen ?? 0)}${shelf.has(p.productId) ? '' : ' ·'}`;
  const productPicker = remembered(
    h(
      'select',
      { testid: 'product-picker' },
      ...ordered.map((p) => h('option', { value: p.productId }, productLabel(p))),
    ),
  );
  const scanBox = () => {
    const product = productOf(productPicker.value);
    if (!product) return;
    // A box with a 追溯码 when the demo knows a free one, else the barcode, else (饮片) a manual line.
    const code = freeBoxes(product)[0] ?? product.gtins[0];
    void change((s) => (code ? s.scan(code) : s.addLine({ productId: product.productId, quantity: 1 })));
  };

  const manualProduct = remembered(
    h(
      'select',
      { testid: 'manual-product' },
      ...sellable.map((p) => h('option', { value: p.productId }, `${p.genericName} ${p.specification}`)),
    ),
  );
  const billAs = h(
    'select',
    { testid: 'manual-billed-code' },
    h('option', { value: '' }, t('ownCode')),
    ...data.catalog
      .filter((p) => p.medListCode)
      .map((p) => h('option', { value: p.medListCode }, `${p.medListCode} ${p.genericName}`)),
  );
  const payMode = h(
    'select',
    { testid: 'manual-paymode' },
    h('option', { value: '' }, '—'),
    h('option', { value: 'fund' }, t('fund')),
    h('option', { value: 'self-pay' }, t('selfPay')),
  );
  const quantity = h('input', {
    testid: 'manual-quantity',
    type: 'number',
    min: '0.01',
    step: 'any',
    value: '1',
    class: 'qty',
  });

  const rows = sale.lines.map((line) =>
    h(
      'tr',
      { testid: 'line', 'data-line': line.lineId, 'data-product': line.productId, 'data-paymode': line.payMode },
      h('td', {}, line.lineId),
      h(
        'td',
        {},
        line.name,
        h(
          'div',
          { class: 'muted small' },
          `${line.specification ?? ''}${line.medListCode ? ` · ${line.medListCode}` : ''}`,
        ),
      ),
      h('td', { class: 'num' }, line.quantity),
      h('td', { class: 'num' }, yuan(line.unitPriceFen)),
      h('td', { class: 'num' }, yuan(line.amountFen)),
      h(
        'td',
        {},
        h(
          'button',
          {
            class: `paymode ${line.payMode}`,
            testid: 'line-paymode',
            title: t('payMode'),
            onclick: () => void change((s) => s.setPayMode(line.lineId, line.payMode === 'fund' ? 'self-pay' : 'fund')),
          },
          line.payMode === 'fund' ? t('fund') : t('selfPay'),
        ),
      ),
      h('td', { class: 'small mono' }, line.traceCodes.join(' ')),
      h(
        'td',
        {},
        h(
          'button',
          { testid: 'line-remove', onclick: () => void change((s) => s.removeLine(line.lineId)) },
          t('remove'),
        ),
      ),
    ),
  );
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, t('linesTitle')),
    h('label', {}, t('scanLabel'), scan),
    h(
      'div',
      { class: 'row demo-row' },
      h('span', { class: 'muted' }, t('productPicker')),
      productPicker,
      h('button', { testid: 'product-scan', onclick: scanBox }, t('scanBox')),
    ),
    h(
      'details',
      { class: 'manual' },
      h('summary', { testid: 'manual-open' }, t('manualTitle')),
      h(
        'div',
        { class: 'row' },
        h('label', {}, t('product'), manualProduct),
        h('label', {}, t('billAs'), billAs),
        h('label', {}, t('payMode'), payMode),
        h('label', {}, t('quantity'), quantity),
        h(
          'button',
          {
            testid: 'manual-add',
            onclick: () =>
              void change((s) =>
                s.addLine({
                  productId: manualProduct.value,
                  quantity: Number(quantity.value),
                  ...(billAs.value ? { medListCode: billAs.value } : {}),
                  ...(payMode.value === 'fund' || payMode.value === 'self-pay' ? { payMode: payMode.value } : {}),
                }),
              ),
          },
          t('add'),
        ),
      ),
    ),
    current.error ? errorBox(current.error, 'sale-error') : null,
    sale.lines.length === 0
      ? h('p', { class: 'muted', testid: 'no-lines' }, t('noLines'))
      : h(
          'table',
          { testid: 'lines' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['#', t('product'), t('quantity'), t('price'), t('amount'), t('payMode'), t('traceCodes'), ''].map(
                (c) => h('th', {}, c),
              ),
            ),
          ),
          h('tbody', {}, ...rows),
          h(
            'tfoot',
            {},
            h(
              'tr',
              {},
              h('td', { colSpan: 4 }, t('total')),
              h('td', { class: 'num', testid: 'sale-total' }, yuan(sale.lines.reduce((n, l) => n + l.amountFen, 0))),
              h('td', { colSpan: 3 }),
            ),
          ),
        ),
  );
}

/**
 * What the operator picked in a select, kept across renders: the page re-renders whole sections when a review or a
 * scan ends, and a choice made just before must not silently go back to the first option.
 */
const picks = new Map<string, string>();
function remembered<E extends HTMLSelectElement>(select: E): E {
  const key = select.getAttribute('data-testid') ?? '';
  const kept = picks.get(key);
  if (kept !== undefined && Array.from(select.options).some((o) => o.value === kept)) select.value = kept;
  select.addEventListener('change', () => picks.set(key, select.value));
  return select;
}

function renderPrescriptions(): HTMLElement {
  const data = app.data!;
  const { sale } = app.current!;
  const statusText = (rx: Prescription) =>
    rx.status === 'valid' ? t('rxValid') : rx.status === 'dispensed' ? t('rxDispensed') : t('rxRevoked');
  const picker = remembered(
    h(
      'select',
      { testid: 'rx-picker' },
      ...data.prescriptions.map(({ key, prescription: rx }) =>
        h(
          'option',
          { value: key },
          `${rx.rxNo} · ${rx.hospitalName} · ${rx.diagnoses.map((d) => d.name).join('、')} · ${rx.items.map((i) => `${i.genericName}×${i.quantity}`).join('、')} · ${statusText(rx)}`,
        ),
      ),
    ),
  );
  return h(
    'section',
    { class: 'card', testid: 'rx-section' },
    h('h2', {}, t('rxTitle')),
    h(
      'div',
      { class: 'row demo-row' },
      h('span', { class: 'muted' }, t('rxPicker')),
      picker,
      h(
        'button',
        {
          testid: 'rx-attach',
          onclick: () => {
            const found = data.prescriptions.find((p) => p.key === picker.value);
            if (found) void change((s) => s.attachPrescription(found.prescription));
          },
        },
        t('attach'),
      ),
    ),
    sale.prescriptions.length > 0
      ? h(
          'ul',
          { testid: 'rx-attached' },
          ...sale.prescriptions.map((rx) =>
            h(
              'li',
              { 'data-rx': rx.rxNo },
              `${t('attached')}: ${rx.rxNo} · ${rx.doctorName} · ${rx.items.map((i) => `${i.genericName}×${i.quantity}（${i.days}d）`).join('、')}`,
            ),
          ),
        )
      : null,
  );
}

function renderReview(): HTMLElement {
  const current = app.current!;
  const r = current.review;
  const section = h(
    'section',
    {
      class: 'card',
      testid: 'review-section',
      'data-state': current.reviewing
        ? 'reviewing'
        : r
          ? r.canSettle
            ? 'clear'
            : r.blocked
              ? 'blocked'
              : 'warnings'
          : 'none',
    },
    h('h2', {}, t('reviewTitle')),
  );
  if (!r) {
    section.append(h('p', { class: 'muted' }, t('reviewPending')));
    return section;
  }
  section.append(
    h(
      'div',
      { class: 'row' },
      h(
        'span',
        { class: 'muted small', testid: 'review-platform' },
        r.platform === 'checked' ? t('platformChecked') : r.platform === 'unavailable' ? t('platformUnavailable') : '',
      ),
      h('button', { testid: 'review', onclick: () => void review() }, t('review')),
    ),
  );
  if (r.findings.length === 0) section.append(h('p', { class: 'clean', testid: 'review-clean' }, t('reviewClean')));
  for (const finding of r.findings) section.append(renderFinding(finding));
  if (current.notice) section.append(h('p', { class: 'notice', testid: 'review-notice' }, current.notice));
  return section;
}

function renderFinding(f: ReviewedFinding): HTMLElement {
  const evidence = Object.entries(f.evidence).filter(([, value]) => value !== null);
  return h(
    'article',
    {
      class: `finding ${f.severity} ${f.outcome}`,
      testid: 'finding',
      'data-rule': f.ruleId,
      'data-severity': f.severity,
      'data-outcome': f.outcome,
      'data-finding': f.findingId,
    },
    h(
      'header',
      {},
      h('span', { class: `severity ${f.severity}` }, t(`severity_${f.severity}` as TextKey)),
      h('strong', { testid: 'finding-summary' }, pick(f.summary)),
      f.source === 'platform' ? h('span', { class: 'tag' }, '3101') : null,
    ),
    h('p', {}, pick(f.detail)),
    h('p', { class: 'muted small' }, lang === 'zh' ? f.summary.en : f.summary.zh),
    evidence.length > 0
      ? h(
          'dl',
          { class: 'evidence' },
          h('dt', {}, t('evidence')),
          ...evidence.map(([k, value]) => h('dd', {}, h('code', {}, k), ' ', String(value))),
        )
      : null,
    f.outcome === 'overridden' && f.override
      ? h(
          'p',
          { class: 'overridden', testid: 'finding-overridden' },
          `${t('overridden')}: ${reasonLabel(f.override.reasonCode)}${f.override.note ? ` — ${f.override.note}` : ''}`,
        )
      : h(
          'div',
          { class: 'actions' },
          ...f.actions.map((action) =>
            h(
              'button',
              { testid: 'finding-action', 'data-kind': action.kind, onclick: () => void applyAction(f, action) },
              t(`action_${action.kind}` as TextKey),
              'lineId' in action ? ` (${action.lineId})` : '',
            ),
          ),
          f.severity === 'warning'
            ? h(
                'button',
                { testid: 'finding-override', class: 'secondary', onclick: () => openOverride(f) },
                t('overrideOpen'),
              )
            : null,
        ),
  );
}

function reasonLabel(code: string): string {
  const reason = app.terminal?.rulePack?.overrideReasons.find((r) => r.code === code);
  return reason ? pick(reason.label) : code;
}

async function applyAction(finding: ReviewedFinding, action: SuggestedAction): Promise<void> {
  await change((s) => s.apply(action, finding.findingId));
  if (action.kind === 'attach-prescription' && app.current) {
    app.current.notice = t('pickRx');
    render();
    (document.querySelector('[data-testid="rx-picker"]') as HTMLSelectElement | null)?.focus();
  }
}

function openOverride(finding: ReviewedFinding): void {
  const reasons = app.terminal!.rulePack?.overrideReasons ?? [
    { code: 'other', label: { zh: '其他（须填写说明）', en: 'Other (explain in the note)' } },
  ];
  const reason = h(
    'select',
    { testid: 'override-reason', required: true },
    h('option', { value: '' }, t('choose')),
    ...reasons.map((r) => h('option', { value: r.code }, pick(r.label))),
  );
  const note = h('textarea', { testid: 'override-note', rows: 3, placeholder: t('notePlaceholder'), maxLength: 500 });
  const problem = h('div', { testid: 'override-error', class: 'error', hidden: true, role: 'alert' });
  const dialog = h(
    'dialog',
    { testid: 'override-dialog', class: 'override' },
    h('h3', {}, t('overrideTitle')),
    h('p', {}, pick(finding.summary)),
    h('label', {}, t('reason'), reason),
    h('label', {}, t('note'), note),
    problem,
    h(
      'div',
      { class: 'row' },
      h(
        'button',
        {
          testid: 'override-confirm',
          onclick: async () => {
            if (!reason.value) {
              problem.hidden = false;
              problem.textContent = t('reasonRequired');
              return;
            }
            try {
              await app.current!.sale.override(finding.findingId, {
                reasonCode: reason.value,
                note: note.value,
                by: { operatorId: app.operator!.id, name: app.operator!.name },
              });
            } catch (error) {
              problem.hidden = false;
              problem.textContent = `${errorText(error).code}: ${errorText(error).text}`;
              return;
            }
            dialog.close();
            dialog.remove();
            await review();
          },
        },
        t('confirm'),
      ),
      h(
        'button',
        {
          testid: 'override-cancel',
          class: 'secondary',
          onclick: () => {
            dialog.close();
            dialog.remove();
          },
        },
        t('cancel'),
      ),
    ),
  );
  document.body.append(dialog);
  dialog.showModal();
}

function renderSettle(): HTMLElement {
  const current = app.current!;
  const { sale } = current;
  const r = current.review;
  const ready = !!r && r.canSettle && !current.reviewing && !current.settling && sale.lines.length > 0;
  const useAccount = h('input', { type: 'checkbox', testid: 'use-account', checked: true });
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, t('settleTitle')),
    current.buyer ? h('label', { class: 'inline' }, useAccount, t('useAccount')) : null,
    h(
      'button',
      {
        class: 'primary big',
        testid: 'settle',
        disabled: !ready,
        onclick: async () => {
          current.settling = true;
          current.error = undefined;
          render();
          try {
            const op = app.operator!;
            app.receipt = await sale.settle({
              useAccount: useAccount.checked,
              ...(op.certNo ? { pharmacist: { name: op.name, certNo: op.certNo } } : {}),
            });
            app.current = undefined;
            await refreshSoldCodes();
          } catch (error) {
            if (isPlatformDown(error)) app.tillOffline = true;
            current.error = error;
          }
          current.settling = false;
          render();
        },
      },
      current.settling ? t('settling') : t('settle'),
    ),
    !ready && r && !r.canSettle ? h('p', { class: 'muted', testid: 'settle-blocked' }, t('cannotSettle')) : null,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Receipt (printable)

function renderReceipt(
  receipt: Receipt | { sale: SaleRecord; qr: string; seq: number; signed: boolean; hash: string; keyId: string },
  fresh: boolean,
): HTMLElement {
  const sale = receipt.sale;
  const qr = 'invoice' in receipt ? receipt.invoice.qr : receipt.qr;
  const seq = 'invoice' in receipt ? receipt.invoice.seq : receipt.seq;
  const signed = 'invoice' in receipt ? receipt.invoice.signed : receipt.signed;
  const hash = 'invoice' in receipt ? receipt.invoice.hash : receipt.hash;
  const keyId = 'invoice' in receipt ? receipt.invoice.record.body.keyId : receipt.keyId;
  const split = sale.split;
  const pharmacy = app.data!.config.pharmacy;
  const qrBox = h('div', { class: 'qr', testid: 'receipt-qr' });
  qrBox.innerHTML = receiptQrSvg(qr);
  return h(
    'section',
    { class: 'card receipt', testid: 'receipt', 'data-seq': seq, 'data-sale': sale.saleId },
    h('h2', {}, t('receiptTitle')),
    h('p', { class: 'center' }, h('strong', {}, pharmacy.name), h('br'), h('code', {}, pharmacy.code)),
    h(
      'dl',
      { class: 'meta' },
      h('dt', {}, t('invoiceSeq')),
      h('dd', { testid: 'receipt-seq' }, `${sale.terminalId}-${String(seq).padStart(6, '0')}`),
      h('dt', {}, t('saleId')),
      h('dd', { testid: 'receipt-sale-id' }, sale.saleId),
      h('dt', {}, t('time')),
      h('dd', {}, when(sale.settledAt)),
      h('dt', {}, t('operator')),
      h('dd', {}, sale.operatorId),
      h('dt', {}, t('buyer')),
      h('dd', {}, sale.buyer ? t('insured') : t('selfPayBuyer')),
      sale.settlement ? h('dt', {}, t('setlId')) : null,
      sale.settlement ? h('dd', { testid: 'receipt-setl-id' }, sale.settlement.setlId) : null,
    ),
    h(
      'table',
      { class: 'receipt-lines' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, t('product')),
          h('th', {}, t('quantity')),
          h('th', {}, t('amount')),
          h('th', {}, t('payMode')),
        ),
      ),
      h(
        'tbody',
        {},
        ...sale.lines.map((l) =>
          h(
            'tr',
            {},
            h('td', {}, l.name),
            h('td', { class: 'num' }, l.quantity),
            h('td', { class: 'num' }, yuan(l.amountFen)),
            h('td', {}, l.payMode === 'fund' ? t('fund') : t('selfPay')),
          ),
        ),
      ),
    ),
    h(
      'dl',
      { class: 'split', testid: 'payment-split' },
      h('dt', {}, t('total')),
      h('dd', { testid: 'split-total', 'data-fen': split.totalFen }, yuan(split.totalFen)),
      h('dt', {}, t('splitFund')),
      h('dd', { testid: 'split-fund', 'data-fen': split.fundFen }, yuan(split.fundFen)),
      h('dt', {}, t('splitAccount')),
      h('dd', { testid: 'split-account', 'data-fen': split.accountFen }, yuan(split.accountFen)),
      h('dt', {}, t('splitCash')),
      h('dd', { testid: 'split-cash', 'data-fen': split.cashFen }, yuan(split.cashFen)),
    ),
    h('div', { class: 'center' }, qrBox, h('div', { class: 'muted small' }, t('qrHint'))),
    h('p', { class: 'mono small wrap', testid: 'receipt-qr-text' }, qr),
    h(
      'dl',
      { class: 'meta small' },
      h('dt', {}, t('key')),
      h('dd', { testid: 'receipt-key' }, keyId),
      h('dt', {}, signed ? t('signed') : t('unsigned')),
      h('dd', { testid: 'receipt-signed', 'data-signed': String(signed) }, signed ? '✓' : '✗'),
      h('dt', {}, t('hash')),
      h('dd', { class: 'mono wrap' }, hash),
    ),
    h(
      'div',
      { class: 'row no-print' },
      h('button', { testid: 'receipt-print', onclick: () => window.print() }, t('print')),
      fresh
        ? h(
            'button',
            {
              class: 'primary',
              testid: 'new-sale',
              onclick: () => {
                app.receipt = undefined;
                render();
              },
            },
            t('newSale'),
          )
        : null,
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Sales and refunds

let shownReceipt:
  { sale: SaleRecord; qr: string; seq: number; signed: boolean; hash: string; keyId: string } | undefined;
let refundState: { saleId: string; confirming: boolean; error?: unknown; done?: number } | undefined;

/** The self-audit page (自查自纠): every sale of this till since the start of the year, replayed through the rules. */
let auditState: {
  running: boolean;
  done?: number;
  report?: Awaited<ReturnType<Terminal['selfAudit']>>;
  html?: string;
  error?: unknown;
} = { running: false };

function renderAudit(): void {
  const v = view();
  const run = async () => {
    auditState = { running: true };
    renderAudit();
    try {
      const now = new Date();
      const report = await app.terminal!.selfAudit({
        from: Date.UTC(now.getUTCFullYear(), 0, 1) - 8 * 3_600_000,
        to: Date.now() + 86_400_000,
        onProgress: (p) => {
          auditState.done = p.salesDone;
        },
      });
      auditState = { running: false, report, html: await renderAuditHtml(report, { title: t('auditTitle') }) };
    } catch (error) {
      auditState = { running: false, error };
    }
    if (app.view === 'audit') renderAudit();
  };
  const report = auditState.report;
  v.replaceChildren(
    h('h2', {}, t('auditTitle')),
    h('p', { class: 'muted' }, t('auditHint')),
    h(
      'div',
      { class: 'row' },
      h(
        'button',
        { testid: 'audit-run', disabled: auditState.running, onclick: () => void run() },
        auditState.running ? `${t('auditRunning')} ${auditState.done ?? 0}` : t('auditRun'),
      ),
    ),
    auditState.error ? errorBox(auditState.error, 'audit-error') : '',
    report
      ? h(
          'div',
          { testid: 'audit-result' },
          h(
            'p',
            { testid: 'audit-totals', 'data-findings': report.totals.findings, 'data-sales': report.totals.sales },
            `${t('auditSales')} ${report.totals.sales} · ${t('auditFindings')} ${report.totals.findings} · ${t('auditAtStake')} ${yuan(report.totals.atStakeFen)}`,
          ),
          h(
            'button',
            {
              testid: 'audit-csv',
              onclick: async () => {
                const csv = await renderAuditCsv(report);
                const a = h('a', {
                  href: URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' })),
                  download: '问题台账.csv',
                });
                a.click();
              },
            },
            t('auditCsv'),
          ),
          h('iframe', {
            testid: 'audit-report',
            class: 'audit-report',
            srcdoc: auditState.html ?? '',
            title: t('auditTitle'),
          }),
        )
      : '',
  );
}

async function renderSales(): Promise<void> {
  const terminal = app.terminal!;
  const sales = (await terminal.sales()).sort((a, b) => b.settledAt - a.settledAt);
  const v = view();
  v.replaceChildren();
  const rows = sales.map((s) => {
    const confirming = refundState?.saleId === s.saleId && refundState.confirming;
    return h(
      'tr',
      { testid: 'sale-row', 'data-sale': s.saleId, 'data-status': s.status },
      h('td', { class: 'small' }, when(s.settledAt)),
      h('td', { class: 'mono small' }, s.saleId),
      h('td', {}, s.buyer ? t('insured') : t('selfPay')),
      h('td', {}, s.lines.map((l) => `${l.name}×${l.quantity}`).join('、')),
      h('td', { class: 'num' }, yuan(s.split.totalFen)),
      h('td', {}, t(`status_${s.status}` as TextKey)),
      h(
        'td',
        {},
        h(
          'button',
          {
            testid: 'sale-receipt',
            onclick: async () => {
              const record = await terminal.invoices.get(s.invoice.seq);
              shownReceipt = {
                sale: s,
                qr: (await terminal.invoices.receiptQr(s.invoice.seq)) ?? '',
                seq: s.invoice.seq,
                signed: s.invoice.signed,
                hash: s.invoice.hash,
                keyId: record?.body.keyId ?? '',
              };
              void renderSales();
            },
          },
          t('reprint'),
        ),
        s.status !== 'refunded'
          ? h(
              'button',
              {
                testid: confirming ? 'sale-refund-confirm' : 'sale-refund',
                class: confirming ? 'danger' : '',
                onclick: async () => {
                  if (!confirming) {
                    refundState = { saleId: s.saleId, confirming: true };
                    return void renderSales();
                  }
                  try {
                    const refund = await terminal.refund(s.saleId);
                    refundState = { saleId: s.saleId, confirming: false, done: refund.invoice.seq };
                    await refreshSoldCodes();
                  } catch (error) {
                    if (isPlatformDown(error)) app.tillOffline = true;
                    refundState = { saleId: s.saleId, confirming: false, error };
                  }
                  renderHeader();
                  void renderSales();
                },
              },
              confirming ? t('refundConfirm') : t('refund'),
            )
          : null,
      ),
    );
  });
  v.append(
    h(
      'section',
      { class: 'card' },
      h('h2', {}, t('salesTitle')),
      refundState?.error ? errorBox(refundState.error, 'refund-error') : null,
      refundState?.done !== undefined
        ? h('p', { class: 'notice', testid: 'refund-done' }, `${t('refunded')} ${refundState.done}`)
        : null,
      sales.length === 0
        ? h('p', { class: 'muted' }, t('noSales'))
        : h(
            'table',
            { testid: 'sales-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...[t('time'), t('saleId'), t('payMode'), t('product'), t('total'), t('status'), ''].map((c) =>
                  h('th', {}, c),
                ),
              ),
            ),
            h('tbody', {}, ...rows),
          ),
    ),
  );
  if (shownReceipt) v.append(renderReceipt(shownReceipt, false));
}

// ---------------------------------------------------------------------------------------------------------------
// Purchases and stock counts

function renderStock(): void {
  const terminal = app.terminal!;
  const message = h('p', { class: 'notice', testid: 'stock-message', hidden: true, role: 'status' });
  const record = async (movement: StockMovement) => {
    try {
      await terminal.recordMovement(movement);
      render();
      const note = document.querySelector('[data-testid="stock-message"]') as HTMLElement | null;
      if (note) {
        note.hidden = false;
        note.textContent = t('recorded');
      }
    } catch (error) {
      message.hidden = false;
      message.replaceChildren(errorBox(error, 'stock-error'));
    }
  };
  view().append(h('div', { class: 'columns' }, purchaseCard(record), countCard(record)), message, stockTable());
}

type RecordMovement = (movement: StockMovement) => Promise<void>;

/** The catalog as the options of a product picker. */
function productOptions(): HTMLOptionElement[] {
  return app.data!.catalog.map((p) => h('option', { value: p.productId }, `${p.genericName} ${p.specification}`));
}

/** What a purchase and a count say alike: a fresh movement id, when, the product, who. */
function movementOf(prefix: 'P' | 'C', product: Product) {
  return {
    movementId: `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`,
    at: Date.now(),
    productId: product.productId,
    ...(product.medListCode ? { medListCode: product.medListCode } : {}),
    productName: product.genericName,
    operatorId: app.operator!.id,
  };
}

/** The purchase (入库) form: product, batch, quantity, cost, supplier and the boxes' trace codes. */
function purchaseCard(record: RecordMovement): HTMLElement {
  const pProduct = h('select', { testid: 'purchase-product' }, ...productOptions());
  const pBatch = h('input', {
    testid: 'purchase-batch',
    value: `B${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`,
  });
  const pQty = h('input', { testid: 'purchase-qty', type: 'number', min: '1', step: '1', value: '5', class: 'qty' });
  const pCost = h('input', {
    testid: 'purchase-cost',
    type: 'number',
    min: '0',
    step: '0.01',
    value: '10.00',
    class: 'qty',
  });
  const pSupplier = h('input', { testid: 'purchase-supplier', value: '吉林省示范医药有限公司' });
  const pCodes = h('textarea', { testid: 'purchase-codes', rows: 3, class: 'mono', placeholder: '8…' });
  const genCodes = () => {
    const product = productOf(pProduct.value);
    if (!product?.traceCodePrefix) {
      pCodes.value = '';
      return;
    }
    const base = 700_000 + Math.floor(Math.random() * 200_000) * 10;
    pCodes.value = Array.from(
      { length: Math.max(0, Math.floor(Number(pQty.value))) },
      (_, i) => `${product.traceCodePrefix}${String(base + i).padStart(13, '0')}`,
    ).join('\n');
  };
  const submit = () => {
    const product = productOf(pProduct.value);
    if (!product) return;
    void record({
      kind: 'purchase',
      ...movementOf('P', product),
      batchNo: pBatch.value.trim(),
      traceCodes: pCodes.value.split(/\s+/).filter(Boolean),
      quantity: Number(pQty.value),
      supplierName: pSupplier.value.trim(),
      unitCostFen: Math.round(Number(pCost.value) * 100),
    });
  };
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, t('purchaseTitle')),
    h('label', {}, t('product'), pProduct),
    h(
      'div',
      { class: 'row' },
      h('label', {}, t('batch'), pBatch),
      h('label', {}, t('quantity'), pQty),
      h('label', {}, t('unitCost'), pCost),
    ),
    h('label', {}, t('supplier'), pSupplier),
    h('label', {}, t('traceCodes'), pCodes),
    h(
      'div',
      { class: 'row' },
      h('button', { testid: 'purchase-gen-codes', class: 'secondary', onclick: genCodes }, t('genCodes')),
      h('button', { class: 'primary', testid: 'purchase-submit', onclick: submit }, t('record')),
    ),
  );
}

/** The stock count (盘点) form: the product's batch and the quantity counted, prefilled from the ledger. */
function countCard(record: RecordMovement): HTMLElement {
  const terminal = app.terminal!;
  const cProduct = h('select', { testid: 'count-product' }, ...productOptions());
  const cBatch = h('input', { testid: 'count-batch', value: '' });
  const cQty = h('input', { testid: 'count-qty', type: 'number', min: '0', step: 'any', value: '0', class: 'qty' });
  const syncBatch = () => {
    const level = terminal.stock().find((l) => l.productId === cProduct.value);
    cBatch.value = level?.batchNo ?? '';
    cQty.value = String(level?.onHand ?? 0);
  };
  const submit = () => {
    const product = productOf(cProduct.value);
    if (!product) return;
    void record({
      kind: 'stock-count',
      ...movementOf('C', product),
      batchNo: cBatch.value.trim() || 'DEFAULT',
      traceCodes: [],
      countedQuantity: Number(cQty.value),
    });
  };
  cProduct.addEventListener('change', syncBatch);
  syncBatch();
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, t('countTitle')),
    h('label', {}, t('product'), cProduct),
    h('div', { class: 'row' }, h('label', {}, t('batch'), cBatch), h('label', {}, t('counted'), cQty)),
    h('button', { class: 'primary', testid: 'count-submit', onclick: submit }, t('record')),
  );
}

/** The stock on hand, a row per product and batch. */
function stockTable(): HTMLElement {
  const levels = [...app.terminal!.stock()].sort((a, b) =>
    a.productId === b.productId ? a.batchNo.localeCompare(b.batchNo) : a.productId.localeCompare(b.productId),
  );
  return h(
    'section',
    { class: 'card' },
    h('h2', {}, t('stockTitle')),
    h(
      'table',
      { testid: 'stock-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, t('product')),
          h('th', {}, t('batch')),
          h('th', {}, t('onHand')),
          h('th', {}, t('time')),
        ),
      ),
      h(
        'tbody',
        {},
        ...levels.map((l) =>
          h(
            'tr',
            { testid: 'stock-row', 'data-product': l.productId, 'data-batch': l.batchNo, 'data-on-hand': l.onHand },
            h('td', {}, productOf(l.productId)?.genericName ?? l.productId),
            h('td', { class: 'mono' }, l.batchNo),
            h('td', { class: 'num' }, l.onHand),
            h('td', { class: 'small' }, when(l.updatedAt)),
          ),
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Delivery and dead letters

let syncRendering = false;
async function renderSync(): Promise<void> {
  if (syncRendering) return;
  syncRendering = true;
  try {
    const terminal = app.terminal!;
    const status = await terminal.sync.status();
    const letters = await terminal.sync.deadLetters({ includeResolved: true });
    if (app.view !== 'sync') return;
    const v = view();
    // Keep what the operator is typing: re-render only when nothing in the view has focus.
    if (
      v.contains(document.activeElement) &&
      document.activeElement !== document.body &&
      (document.activeElement as HTMLElement).tagName !== 'BUTTON'
    )
      return;
    v.replaceChildren(
      h(
        'section',
        { class: 'card' },
        h('h2', {}, t('syncTitle')),
        h(
          'dl',
          { class: 'meta' },
          h('dt', {}, t('state')),
          h('dd', { testid: 'sync-state' }, status.state),
          h('dt', {}, t('pending')),
          h('dd', { testid: 'sync-pending' }, status.pending),
          h('dt', {}, t('deadBadge')),
          h('dd', { testid: 'sync-dead' }, status.deadLetters),
          status.lastSuccessAt ? h('dt', {}, t('lastSuccess')) : null,
          status.lastSuccessAt ? h('dd', {}, when(status.lastSuccessAt)) : null,
          status.lastError ? h('dt', {}, t('lastError')) : null,
          status.lastError ? h('dd', { testid: 'sync-last-error' }, status.lastError) : null,
        ),
        h(
          'button',
          {
            class: 'primary',
            testid: 'sync-flush',
            onclick: async () => {
              try {
                await terminal.sync.flush();
              } catch {
                // The status shows the failure.
              }
              app.status = await terminal.sync.status();
              renderHeader();
              void renderSync();
            },
          },
          t('flush'),
        ),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, t('deadTitle')),
        letters.length === 0
          ? h('p', { class: 'muted', testid: 'no-dead' }, t('noDead'))
          : h('div', {}, ...(await Promise.all(letters.map(renderDeadLetter)))),
      ),
    );
  } finally {
    syncRendering = false;
  }
}

async function renderDeadLetter(letter: DeadLetter): Promise<HTMLElement> {
  const terminal = app.terminal!;
  const { record } = letter;
  const movement = record.kind === 'report' ? (await terminal.storage.get('movements', record.ref))?.value : undefined;
  const noteInput = h('input', { testid: 'dead-note', placeholder: t('note') });
  const fix = movement ? h('textarea', { testid: 'dead-fix', rows: 8, class: 'mono' }) : undefined;
  if (fix && movement) fix.value = JSON.stringify(movement, null, 2);
  const problem = h('div', { class: 'error', hidden: true, testid: 'dead-error' });
  const fail = (error: unknown) => {
    problem.hidden = false;
    problem.textContent = `${errorText(error).code}: ${errorText(error).text}`;
  };
  const by = app.operator!.id;
  return h(
    'article',
    {
      class: `dead-letter ${letter.resolved ? 'resolved' : ''}`,
      testid: 'dead-letter',
      'data-seq': letter.seq,
      'data-infno': record.prepared.infno,
      'data-resolved': String(!!letter.resolved),
    },
    h(
      'header',
      {},
      h('strong', {}, `#${letter.seq} · ${record.prepared.infno}`),
      ' ',
      h('code', {}, record.ref),
      ' ',
      h('span', { class: 'muted small' }, when(letter.at)),
    ),
    h(
      'p',
      { testid: 'dead-reason' },
      h('code', {}, letter.reason.code),
      ' ',
      lang === 'zh' ? letter.reason.messageZh : letter.reason.message,
    ),
    letter.notes.length > 0
      ? h('ul', { class: 'small' }, ...letter.notes.map((n) => h('li', {}, `${when(n.at)} ${n.by}: ${n.text}`)))
      : null,
    letter.resolved
      ? h(
          'p',
          { class: 'muted' },
          `${t('resolved')}: ${letter.resolved.how}${letter.resolved.newSeq ? ` → #${letter.resolved.newSeq}` : ''}`,
        )
      : h(
          'div',
          {},
          h(
            'div',
            { class: 'row' },
            noteInput,
            h(
              'button',
              {
                testid: 'dead-annotate',
                onclick: async () => {
                  if (!noteInput.value.trim()) return;
                  try {
                    await terminal.sync.annotate(letter.seq, { by, text: noteInput.value.trim() });
                    noteInput.value = '';
                    (document.activeElement as HTMLElement | null)?.blur();
                    void renderSync();
                  } catch (error) {
                    fail(error);
                  }
                },
              },
              t('annotate'),
            ),
            h(
              'button',
              {
                testid: 'dead-close',
                class: 'secondary',
                onclick: async () => {
                  try {
                    await terminal.sync.close(letter.seq, { by, text: noteInput.value.trim() || t('closeDead') });
                    (document.activeElement as HTMLElement | null)?.blur();
                    void renderSync();
                  } catch (error) {
                    fail(error);
                  }
                },
              },
              t('closeDead'),
            ),
          ),
          fix
            ? h(
                'div',
                {},
                h('p', { class: 'small' }, t('resubmitHint')),
                fix,
                h(
                  'button',
                  {
                    testid: 'dead-resubmit',
                    onclick: async () => {
                      try {
                        const corrected = JSON.parse(fix.value) as StockMovement;
                        const product = productOf(corrected.productId);
                        if (!product) throw new Error(`unknown product ${corrected.productId}`);
                        const entry = movementReport(corrected, product, { operatorName: app.operator!.name });
                        await terminal.sync.resubmit(letter.seq, {
                          input: entry.input,
                          ...(noteInput.value.trim() ? { note: noteInput.value.trim() } : {}),
                        });
                        (document.activeElement as HTMLElement | null)?.blur();
                        void renderSync();
                      } catch (error) {
                        fail(error);
                      }
                    },
                  },
                  t('resubmit'),
                ),
              )
            : null,
          problem,
        ),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Start

async function boot(): Promise<void> {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  render();
  try {
    app.data = await loadDemoData();
    app.platformOnline = (await getJson<{ online: boolean }>('/demo/platform')).online;
  } catch (error) {
    app.pageError = error;
  }
  render();
  (window as unknown as { __ygDemo: unknown }).__ygDemo = { ready: true };
}

void boot();
