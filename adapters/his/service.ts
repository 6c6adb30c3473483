import {
  createMemoryStorage,
  InputError,
  isYibaoGuardError,
  maskPersonalData,
  SaleError,
  StorageError,
  TERMINAL_NAMES,
  type Finding,
  type Prescription,
  type SaleLine,
  type Storage,
  type TerminalLayout,
} from '../../src/index.js';
import { lineAmountFen, residentIdInfo } from '../../src/codes/index.js';
import { FUND_ELIGIBLE_CATEGORIES, parseInput, type AuditEvent, type RuleId } from '../../src/schemas/index.js';
import type { WriteOp } from '../../src/storage/index.js';
import { randomBytes } from '../../src/crypto/index.js';
import { formatCstDate } from '../../src/platform/index.js';
import {
  compilePack,
  indexHistory,
  reviewSale,
  type BuyerFacts,
  type Catalog,
  type CompiledPack,
  type StockView,
  type TraceCodeView,
} from '../../src/engine.js';
import { hisCallerOf, operatorIdOf, type HisCaller, type HisJwtClaims } from './auth.js';
import { EXTENSION_KEY, reasonCodings, toCard, type CdsCard, type CdsCoding, type IssuedCard, type Language, type StopLevel } from './cards.js';
import { HisError } from './errors.js';
import { dropExpired, expiryOps, retryOnConflict } from './retention.js';
import {
  FeedbackRequestSchema,
  HisCardRecordSchema,
  HisContextSchema,
  HookRequestSchema,
  type FeedbackItem,
  type HisCardRecord,
  type HisContext,
  type HisHook,
} from './schemas.js';

export { operatorIdOf } from './auth.js';

/** A service as discovery lists it. */
export interface CdsServiceDescriptor {
  readonly hook: HisHook;
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly prefetch: Readonly<Record<string, string>>;
  readonly usageRequirements: string;
  readonly extension: {
    readonly [EXTENSION_KEY]: {
      readonly titleEn: string;
      readonly descriptionEn: string;
      readonly stopLevels: readonly StopLevel[];
      readonly overrideReasons: readonly CdsCoding[];
      /** Context fields this hook cannot do without (missing ones are answered 412). */
      readonly requiredContext: readonly string[];
    };
  };
}

/** The three services, one per hook. */
export const HIS_SERVICES: readonly { readonly id: string; readonly hook: HisHook; readonly title: { zh: string; en: string }; readonly description: { zh: string; en: string } }[] = [
  {
    id: 'yibao-order-select',
    hook: 'order-select',
    title: { zh: '医保规则事前提醒（选药）', en: 'Insurance rule prompts (order select)' },
    description: {
      zh: '医生选择药品时提示医保监管规则（串换、限定支付范围、用药天数、重复开药等）；警告在签署时再处理。',
      en: 'Prompts on the medical insurance rules as the doctor picks a drug; warnings are decided at signing.',
    },
  },
  {
    id: 'yibao-order-sign',
    hook: 'order-sign',
    title: { zh: '医保规则事前提醒（签署处方）', en: 'Insurance rule prompts (order sign)' },
    description: {
      zh: '医生签署处方前按医保监管规则审核全部医嘱；警告须选择原因才能忽略，禁止类须修改。',
      en: 'Reviews every draft order against the insurance rules before the doctor signs; a warning needs a reason, a block a change.',
    },
  },
  {
    id: 'yibao-presettle',
    hook: 'yibao-presettle',
    title: { zh: '医保结算前审核', en: 'Insurance pre-settlement review' },
    description: {
      zh: '收费员医保结算前审核：处方、追溯码、参保状态、支付限额等全部规则。',
      en: 'Reviews a visit before insured settlement: prescriptions, trace codes, standing, ceilings and every other rule.',
    },
  },
];

/** What a hook answers: the cards, most serious first. */
export interface HookResponse {
  readonly cards: readonly CdsCard[];
}

/** What became of each feedback entry: recorded in the audit trail, a repeat of one recorded before, or noted (nothing to record). */
export interface FeedbackResult {
  readonly results: readonly {
    readonly card: string;
    readonly outcome: FeedbackItem['outcome'];
    readonly status: 'recorded' | 'duplicate' | 'noted';
    /** Audit events written for this entry. */
    readonly events: number;
  }[];
}

/** Options of {@link createHisService}. */
export interface HisServiceOptions {
  /** The clinic's drug dictionary, indexed (`createCatalog(products)`). */
  readonly catalog: Catalog;
  /** The compiled rule pack in force (or a function read at each call, so a new pack applies at once). @default compilePack() */
  readonly rules?: CompiledPack | (() => CompiledPack);
  /** The clinic's 定点 agreement. @default { agreement: 'active' } */
  readonly institution?: { readonly code?: string; readonly agreement?: 'active' | 'suspended' | 'ended' };
  /** @default Date */
  readonly clock?: { now(): number };
  /**
   * Where the audit trail goes (the `audit` journal of a terminal-layout storage: the till's own, or one of its own),
   * and where the cards shown (`hisCards`) and the tokens used (`hisJtis`) are kept: every instance of the service over
   * one storage takes feedback on the cards any of them showed, and refuses a token any of them accepted.
   * @default a new memory storage (`service.storage`)
   */
  readonly storage?: Storage<TerminalLayout>;
  /** Write a `sale-review` event (the cards shown) for each hook call, as the till does for each review. @default true */
  readonly auditReviews?: boolean;
  /** How long feedback on a card is accepted after the card was last shown; then it leaves the storage. @default 24 h */
  readonly cardTtlMs?: number;
  /** Cards kept for feedback at most; the oldest go first. @default 100 000 */
  readonly maxCards?: number;
  /** Boxes sold before (回流药), for `trace-code-duplicate` at pre-settlement. */
  readonly soldTraceCodes?: TraceCodeView;
  /** The dispensary's stock ledger, for `stock-shortfall`. */
  readonly stock?: StockView;
}

/** Options of one in-process evaluation. */
export interface EvaluateOptions {
  /** @default 'order-sign' */
  readonly hook?: HisHook;
  /** Names the call when the context has no `encounterId`. @default a random UUID */
  readonly hookInstance?: string;
  /** @default 'zh' */
  readonly language?: Language;
}

/**
 * Who makes a call: the claims of its verified token (`createHisHandler` passes them). Cards are bound to the
 * token's identity (iss, sub, client_id), and feedback on them is taken from that identity only. Without claims the
 * call is the application's own, in-process (`evaluateOrders`): its cards take in-process feedback only.
 */
export interface CallerOptions {
  readonly claims?: Pick<HisJwtClaims, 'iss' | 'sub'> & { readonly client_id?: unknown };
}

/** The HIS hook service, without HTTP: discovery, hooks, feedback. */
export interface HisService {
  /** The services discovery lists. */
  readonly services: readonly CdsServiceDescriptor[];
  /** Where the audit trail is written. */
  readonly storage: Storage<TerminalLayout>;
  /**
   * Cards for a hook context, exactly as the HTTP service answers them (same uuids for the same visit).
   * Throws `INVALID_INPUT` for a malformed context and `HIS_DATA_MISSING` when the rules lack data.
   */
  evaluateOrders(context: unknown, options?: EvaluateOptions): Promise<HookResponse>;
  /** A CDS Hooks service call (`POST /cds-services/{id}`): the request body as received. */
  call(serviceId: string, request: unknown, options?: CallerOptions & { readonly language?: Language }): Promise<HookResponse>;
  /**
   * A feedback call (`POST /cds-services/{id}/feedback`): validated whole, then written in one batch. A card shown to
   * another identity is refused with `HIS_FEEDBACK_FORBIDDEN`. The audit names the token's identity as the operator.
   */
  feedback(serviceId: string, body: unknown, options?: CallerOptions): Promise<FeedbackResult>;
}

/** The caller of in-process calls (no token): the application itself. */
const IN_PROCESS = 'in-process';
/** Token identities remembered per card. */
const MAX_HOLDERS = 16;

/** Rules that judge dispensing, not prescribing: at order hooks the draft orders are the prescription, and no box is in hand yet. */
const DISPENSING_RULES: ReadonlySet<RuleId> = new Set(['rx-required', 'trace-code-missing', 'trace-code-mismatch', 'trace-code-duplicate']);

const DAY_MS = 86_400_000;

/**
 * Creates the HIS hook service: the rule engine of the till, answering CDS Hooks calls of a clinic HIS with cards,
 * and writing the feedback on them into the same audit trail as the till's overrides.
 *
 * @example
 * const service = createHisService({ catalog: createCatalog(products), rules: compilePack(pack), storage })
 * const { cards } = await service.evaluateOrders({ userId: 'Practitioner/D001', patientId, patient, draftOrders })
 */
export function createHisService(options: HisServiceOptions): HisService {
  const clock = options.clock ?? { now: () => Date.now() };
  const storage = options.storage ?? createMemoryStorage<TerminalLayout>({ names: TERMINAL_NAMES });
  const ttl = options.cardTtlMs ?? DAY_MS;
  const maxCards = options.maxCards ?? 100_000;
  const agreement = options.institution?.agreement ?? 'active';
  const defaultRules = options.rules === undefined ? compilePack() : undefined;
  const rulesNow = (): CompiledPack => (typeof options.rules === 'function' ? options.rules() : (options.rules ?? defaultRules!));
  const orderRulesMemo = new WeakMap<CompiledPack, CompiledPack>();
  const rulesFor = (hook: HisHook): CompiledPack => {
    const compiled = rulesNow();
    if (hook === 'yibao-presettle') return compiled;
    let derived = orderRulesMemo.get(compiled);
    if (!derived) {
      const keep = (r: { id: RuleId }) => !DISPENSING_RULES.has(r.id);
      derived = { ...compiled, rules: compiled.rules.filter(keep), lineRules: compiled.lineRules.filter(keep), saleRules: compiled.saleRules.filter(keep) };
      orderRulesMemo.set(compiled, derived);
    }
    return derived;
  };

  async function callerOf(options: CallerOptions): Promise<HisCaller | undefined> {
    return options.claims ? hisCallerOf(options.claims) : undefined;
  }

  async function readCard(uuid: string): Promise<{ rev: number; value: HisCardRecord } | undefined> {
    const stored = await storage.get('hisCards', uuid);
    if (!stored) return undefined;
    const parsed = HisCardRecordSchema.safeParse(stored.value);
    if (!parsed.success) {
      throw new StorageError('STORAGE_CORRUPT', { message: `HIS card ${uuid}: the stored record is not a card`, messageZh: `提示卡片 ${uuid}：存储的记录不是卡片`, field: 'hisCards' });
    }
    return { rev: stored.rev, value: parsed.data };
  }

  const descriptors = (): CdsServiceDescriptor[] => {
    const reasons = [...rulesNow().overrideReasons.values()];
    return HIS_SERVICES.map((s) => ({
      hook: s.hook,
      id: s.id,
      title: s.title.zh,
      description: s.description.zh,
      prefetch: {},
      usageRequirements: '调用须携带 EdDSA 签名的 JWT（Authorization: Bearer）。/ Each call carries an EdDSA-signed JWT (Authorization: Bearer).',
      extension: {
        [EXTENSION_KEY]: {
          titleEn: s.title.en,
          descriptionEn: s.description.en,
          stopLevels: ['none', 'soft', 'reason-required', 'hard'],
          overrideReasons: reasonCodings(reasons, 'zh'),
          requiredContext: s.hook === 'yibao-presettle' ? ['userId', 'patientId', 'patient.insurance', 'draftOrders', 'prescriptions (for orders with rxNo)'] : ['userId', 'patientId', 'draftOrders', 'patient.insurance (for fund orders)'],
        },
      },
    }));
  };

  async function run(hook: HisHook, serviceId: string, context: HisContext, hookInstance: string, language: Language, caller: HisCaller | undefined): Promise<HookResponse> {
    const now = clock.now();
    const compiled = rulesFor(hook);
    const buyer = buyerOf(context, now);
    const saleId = context.encounterId ?? hookInstance;
    const { lines, prescriptions } = linesOf(hook, context, buyer, now);
    let findings: Finding[] = reviewSale(compiled, options.catalog, {
      lines,
      prescriptions,
      ...(buyer ? { buyer } : {}),
      pharmacy: { agreement },
      now,
      ...(context.history ? { history: indexHistory(context.history.map(({ daysSupply, ...p }) => (daysSupply === undefined ? p : { ...p, daysSupply }))) } : {}),
      ...(options.soldTraceCodes && hook === 'yibao-presettle' ? { soldTraceCodes: options.soldTraceCodes } : {}),
      ...(options.stock ? { stock: options.stock } : {}),
    });
    if (hook === 'order-select' && context.selections) {
      const selected = new Set(context.selections);
      findings = findings.filter((f) => f.lineId === undefined || selected.has(f.lineId));
    }
    const reasons = [...compiled.overrideReasons.values()];
    const orderNames = new Map(lines.map((l) => [l.lineId, l.name]));
    const issued = await Promise.all(findings.map((finding) => toCard(finding, { hook, saleId, language, reasons, orderNames })));
    const operatorId = operatorIdOf(context.userId);
    const holder = { identity: caller?.key ?? IN_PROCESS, userId: context.userId };
    const until = now + ttl;
    const review: WriteOp<TerminalLayout>[] =
      options.auditReviews === false
        ? []
        : [
            {
              op: 'append',
              journal: 'audit',
              value: { kind: 'sale-review', at: now, saleId, operatorId, ...(compiled.pack ? { packVersion: compiled.pack.version } : {}), findings: findings.map(findingRef) },
            },
          ];
    // The cards, bound to the identity they are shown to, and the review: one batch, conditional on the cards as
    // read (another call or instance showing or deciding one meanwhile makes it read again).
    await retryOnConflict(async () => {
      const ops: WriteOp<TerminalLayout>[] = [];
      const stored = await Promise.all(issued.map((card) => storage.get('hisCards', card.card.uuid)));
      for (const [i, card] of issued.entries()) {
        const uuid = card.card.uuid;
        const existing = stored[i];
        // A record that is no card (damaged) is replaced by the card shown now.
        const parsed = existing ? HisCardRecordSchema.safeParse(existing.value) : undefined;
        const live = parsed?.success && parsed.data.until > now ? parsed.data : undefined;
        const holders = [...(live?.holders ?? []).filter((h) => h.identity !== holder.identity), holder].slice(-MAX_HOLDERS);
        const value = cardRecord(card, serviceId, saleId, [...compiled.overrideReasons.keys()], holders, live?.decided ?? [], until);
        ops.push({ op: 'put', store: 'hisCards', key: uuid, value, expect: existing ? existing.rev : null }, ...expiryOps('hisCards', uuid, until, parsed?.success ? parsed.data.until : undefined));
      }
      if (ops.length + review.length > 0) await storage.write([...ops, ...review]);
    });
    await dropExpired(storage, 'hisCards', now, { limit: 64 + issued.length, keep: maxCards });
    return { cards: issued.map((c) => c.card) };
  }

  function linesOf(hook: HisHook, context: HisContext, buyer: BuyerFacts | undefined, now: number): { lines: SaleLine[]; prescriptions: Prescription[] } {
    const missing: string[] = [];
    const need = (path: string) => {
      if (!missing.includes(path)) missing.push(path);
    };
    if (hook === 'yibao-presettle' && !buyer) need('context.patient.insurance');
    const given = context.prescriptions ?? [];
    const lines: SaleLine[] = [];
    for (const [i, order] of context.draftOrders.entries()) {
      const product = options.catalog.byId(order.productId);
      const medListCode = order.medListCode ?? product?.medListCode;
      const unitPriceFen = order.unitPriceFen ?? product?.retailPriceFen;
      const payMode =
        order.payMode ?? (buyer && product && medListCode && FUND_ELIGIBLE_CATEGORIES.has(product.category) && product.insuranceClass !== 'C' ? 'fund' : 'self-pay');
      if (unitPriceFen === undefined) need(`context.draftOrders.${i}.unitPriceFen`);
      if (payMode === 'fund' && !buyer) need('context.patient.insurance');
      if (payMode === 'fund' && !medListCode) need(`context.draftOrders.${i}.medListCode`);
      if (hook === 'yibao-presettle' && order.rxNo !== undefined && !given.some((p) => p.rxNo === order.rxNo)) need(`context.prescriptions.${order.rxNo}`);
      if (unitPriceFen === undefined) continue;
      let amountFen: number;
      try {
        amountFen = lineAmountFen(unitPriceFen, order.quantity);
      } catch (error) {
        if (!isYibaoGuardError(error)) throw error;
        throw new InputError('INVALID_INPUT', { message: `Order ${i}: quantity × price is not a valid amount`, messageZh: `医嘱 ${i}：数量 × 单价不是有效金额`, field: `context.draftOrders.${i}` });
      }
      const name = maskPersonalData(order.name ?? (product ? (product.tradeName ? `${product.genericName}（${product.tradeName}）` : product.genericName) : order.productId));
      // At order hooks the draft orders are the prescription being written: each line is dispensed against it.
      const rxNo = order.rxNo ?? (hook === 'yibao-presettle' ? undefined : 'HIS-DRAFT');
      lines.push({
        lineId: order.orderId,
        productId: order.productId,
        ...(medListCode ? { medListCode } : {}),
        name: name.slice(0, 200),
        ...(product ? { specification: product.specification } : {}),
        quantity: order.quantity,
        split: order.split ?? false,
        unitPriceFen,
        amountFen,
        ...(order.gtin ? { gtin: order.gtin } : {}),
        traceCodes: order.traceCodes ?? [],
        ...(rxNo ? { rxNo } : {}),
        payMode,
      });
    }
    if (missing.length > 0) {
      throw new HisError('HIS_DATA_MISSING', {
        message: `Data the rules need is missing: ${missing.join(', ')}`,
        messageZh: `缺少审核所需的数据：${missing.join('、')}`,
        field: missing[0]!,
        missing,
      });
    }
    const prescriptions = [...given];
    if (hook !== 'yibao-presettle') {
      // The doctor's orders make a prescription (one per rxNo the HIS gave, else one draft): its items carry the
      // prescribed days, which raise the days-of-supply limit as a written prescription does.
      const groups = new Map<string, { medListCode: string; quantity: number; days?: number }[]>();
      for (const [i, order] of context.draftOrders.entries()) {
        const line = lines[i]!;
        if (!line.rxNo || !line.medListCode || given.some((p) => p.rxNo === line.rxNo)) continue;
        const items = groups.get(line.rxNo) ?? [];
        const item = items.find((x) => x.medListCode === line.medListCode);
        if (item) {
          item.quantity += order.quantity;
          if (order.days !== undefined) item.days = Math.max(item.days ?? 0, order.days);
        } else items.push({ medListCode: line.medListCode, quantity: order.quantity, ...(order.days !== undefined ? { days: order.days } : {}) });
        groups.set(line.rxNo, items);
      }
      for (const [rxNo, items] of groups) {
        prescriptions.push({
          rxNo,
          circulating: false,
          issuedAt: now,
          hospitalCode: options.institution?.code ?? 'HIS',
          hospitalName: 'HIS',
          doctorCode: context.prescriber?.code ?? 'HIS',
          doctorName: context.prescriber?.name ?? 'HIS',
          patient: buyer ? { psnNo: buyer.psnNo } : {},
          diagnoses: [],
          items: items.map((x) => ({ medListCode: x.medListCode, quantity: Math.round(x.quantity * 10_000) / 10_000, ...(x.days !== undefined ? { days: x.days } : {}) })),
          status: 'valid',
        });
      }
    }
    return { lines, prescriptions };
  }

  function serviceOf(serviceId: string) {
    const service = HIS_SERVICES.find((s) => s.id === serviceId);
    if (!service) throw new HisError('HIS_SERVICE_UNKNOWN', { message: `No CDS service ${safeId(serviceId)}`, messageZh: `没有预警服务 ${safeId(serviceId)}`, field: 'id' });
    return service;
  }

  return {
    get services() {
      return descriptors();
    },
    storage,
    async evaluateOrders(raw, evaluate = {}) {
      const hook = evaluate.hook ?? 'order-sign';
      const context = parseInput(HisContextSchema, raw, { en: 'Hook context', zh: '调用上下文' });
      const service = HIS_SERVICES.find((s) => s.hook === hook)!;
      return run(hook, service.id, context, evaluate.hookInstance ?? randomUuid(), evaluate.language ?? 'zh', undefined);
    },
    async call(serviceId, raw, call = {}) {
      const service = serviceOf(serviceId);
      const request = parseInput(HookRequestSchema, raw, { en: 'Hook request', zh: '调用请求' });
      if (request.hook !== service.hook) {
        throw new InputError('INVALID_INPUT', {
          message: `Service ${service.id} answers the ${service.hook} hook, not ${request.hook}`,
          messageZh: `服务 ${service.id} 只响应 ${service.hook} 调用，不响应 ${request.hook}`,
          field: 'hook',
        });
      }
      return run(service.hook, service.id, request.context, request.hookInstance, call.language ?? 'zh', await callerOf(call));
    },
    async feedback(serviceId, raw, call = {}) {
      serviceOf(serviceId);
      const { feedback } = parseInput(FeedbackRequestSchema, raw, { en: 'Feedback', zh: '反馈' });
      const caller = await callerOf(call);
      const identity = caller?.key ?? IN_PROCESS;
      // Read, judged and written as one conditional batch: a decision recorded meanwhile (by this instance or another
      // over the same storage) makes it read again, and then it is a duplicate.
      return retryOnConflict(async () => {
        const now = clock.now();
        const cards = new Map<string, { rev: number; value: HisCardRecord; decided: Set<string> }>();
        const planned: { item: FeedbackItem; keys: string[]; events: AuditEvent[] }[] = [];
        for (const [i, item] of feedback.entries()) {
          let card = cards.get(item.card);
          if (!card) {
            const stored = await readCard(item.card);
            if (stored) cards.set(item.card, (card = { ...stored, decided: new Set(stored.value.decided) }));
          }
          if (!card || card.value.until <= now) throw notFound(i, item.card);
          const holder = card.value.holders.find((h) => h.identity === identity);
          if (!holder) {
            throw new HisError('HIS_FEEDBACK_FORBIDDEN', {
              message: `Feedback ${i}: card ${item.card} was not shown to this caller (another issuer or token identity)`,
              messageZh: `反馈 ${i}：该提示卡片不是发给本调用方的（签发方或令牌身份不同），不能对其反馈`,
              field: `feedback.${i}.card`,
            });
          }
          if (card.value.serviceId !== serviceId) throw notFound(i, item.card);
          planned.push({ item, ...plan(item, i, card.value, decider(caller, item.userId ?? holder.userId), now) });
        }
        // Repeated feedback (in this request, or recorded before) is answered as such and written once.
        const results: FeedbackResult['results'][number][] = [];
        const events: AuditEvent[] = [];
        const changed = new Set<string>();
        for (const p of planned) {
          const card = cards.get(p.item.card)!;
          const keys = p.keys.filter((k) => !card.decided.has(k));
          const chosen = p.events.filter((_, index) => keys.includes(p.keys[index]!));
          for (const k of keys) card.decided.add(k);
          if (keys.length > 0) changed.add(p.item.card);
          events.push(...chosen);
          results.push({ card: p.item.card, outcome: p.item.outcome, status: p.keys.length === 0 ? 'noted' : chosen.length === 0 ? 'duplicate' : 'recorded', events: chosen.length });
        }
        if (events.length > 0) {
          await storage.write([
            ...[...changed].map((uuid) => {
              const card = cards.get(uuid)!;
              return { op: 'put' as const, store: 'hisCards' as const, key: uuid, value: { ...card.value, decided: [...card.decided] }, expect: card.rev };
            }),
            ...events.map((value) => ({ op: 'append' as const, journal: 'audit' as const, value })),
          ]);
        }
        return { results };
      });
    },
  };

  /** The audit events one feedback entry stands for, each with its dedup key; throws for feedback the card does not allow. */
  function plan(item: FeedbackItem, i: number, card: HisCardRecord, by: { operatorId: string; name?: string }, now: number): { keys: string[]; events: AuditEvent[] } {
    const { operatorId } = by;
    const ref = card.finding;
    const suggestions = new Map(card.suggestions.map((s) => [s.uuid, s.action]));
    if (item.outcome === 'accepted') {
      const accepted = item.acceptedSuggestions ?? [];
      if (accepted.length === 0) {
        if (suggestions.size > 0) {
          throw new InputError('INVALID_INPUT', {
            message: `Feedback ${i}: name the suggestion taken (acceptedSuggestions)`,
            messageZh: `反馈 ${i}：须写明采纳了哪一条建议（acceptedSuggestions）`,
            field: `feedback.${i}.acceptedSuggestions`,
          });
        }
        return { keys: [], events: [] };
      }
      if (card.selectionBehavior === 'at-most-one' && new Set(accepted.map((a) => a.id)).size > 1) {
        throw new InputError('INVALID_INPUT', { message: `Feedback ${i}: this card's suggestions are alternatives; accept one`, messageZh: `反馈 ${i}：该卡片的建议只能采纳一条`, field: `feedback.${i}.acceptedSuggestions` });
      }
      const keys: string[] = [];
      const events: AuditEvent[] = [];
      for (const [j, { id }] of accepted.entries()) {
        const action = suggestions.get(id);
        if (!action) {
          throw new InputError('INVALID_INPUT', { message: `Feedback ${i}: suggestion ${id} is not on card ${item.card}`, messageZh: `反馈 ${i}：卡片中没有建议 ${id}`, field: `feedback.${i}.acceptedSuggestions.${j}.id` });
        }
        if (keys.includes(`accept:${id}`)) continue;
        keys.push(`accept:${id}`);
        events.push({ kind: 'finding-action', at: now, saleId: card.saleId, operatorId, findingId: ref.findingId, action });
      }
      return { keys, events };
    }
    if (card.stopLevel === 'hard') {
      throw new SaleError('FINDING_NOT_OVERRIDABLE', {
        message: `Feedback ${i}: card ${item.card} is a hard stop and cannot be overridden; take a suggestion or change the order`,
        messageZh: `反馈 ${i}：该卡片为禁止类（hard），不能忽略：须采纳建议或修改医嘱`,
        field: `feedback.${i}.outcome`,
      });
    }
    const code = item.overrideReason?.reason?.code;
    const note = maskPersonalData((item.overrideReason?.userComment ?? '').trim()).slice(0, 500);
    if (code === undefined && card.stopLevel === 'reason-required') {
      throw new SaleError('OVERRIDE_REASON_UNKNOWN', {
        message: `Feedback ${i}: this card may be overridden only with one of its overrideReasons`,
        messageZh: `反馈 ${i}：忽略该卡片须选择其列出的原因之一（overrideReasons）`,
        field: `feedback.${i}.overrideReason.reason`,
      });
    }
    if (code !== undefined && !card.reasons.includes(code)) throw new SaleError('OVERRIDE_REASON_UNKNOWN', { field: `feedback.${i}.overrideReason.reason.code` });
    if (code === 'other' && note === '') throw new SaleError('OVERRIDE_NOTE_REQUIRED', { field: `feedback.${i}.overrideReason.userComment` });
    return {
      keys: ['override'],
      // A card that asks for no reason (information, a warning still being picked) is dismissed: recorded as such.
      events: [{ kind: 'finding-override', at: now, saleId: card.saleId, finding: ref, reasonCode: code ?? 'dismissed', note, by }],
    };
  }
}

function findingRef(f: Finding) {
  return { findingId: f.findingId, ruleId: f.ruleId, ...(f.lineId ? { lineId: f.lineId } : {}), severity: f.severity, source: f.source };
}

/** A card as kept for feedback. */
function cardRecord(issued: IssuedCard, serviceId: string, saleId: string, reasons: string[], holders: HisCardRecord['holders'], decided: readonly string[], until: number): HisCardRecord {
  return {
    serviceId,
    saleId,
    finding: findingRef(issued.finding),
    stopLevel: issued.stopLevel,
    ...(issued.card.selectionBehavior ? { selectionBehavior: issued.card.selectionBehavior } : {}),
    suggestions: [...issued.suggestions].map(([uuid, action]) => ({ uuid, action })),
    reasons,
    holders,
    decided: [...decided],
    until,
  };
}

/**
 * Who the audit says decided. A token's caller is its identity; the user the HIS names (the feedback's `userId`, or
 * the user of the hook call that showed the card) is only what the HIS states, kept as a marked display name. An
 * in-process call is the application's own: the user it names is the operator.
 */
function decider(caller: HisCaller | undefined, statedUserId: string): { operatorId: string; name?: string } {
  if (!caller) return { operatorId: operatorIdOf(statedUserId) };
  return { operatorId: caller.operatorId, name: `${maskPersonalData(statedUserId)}（HIS 所报用户，未经认证 / user stated by the HIS, not authenticated）` };
}

function notFound(i: number, card: string): SaleError {
  return new SaleError('FINDING_NOT_FOUND', {
    message: `Feedback ${i}: no card ${card} of this service (unknown, or shown more than the retention time ago)`,
    messageZh: `反馈 ${i}：本服务没有该提示卡片（未知或已超过保留时间）`,
    field: `feedback.${i}.card`,
  });
}

/** The buyer facts the rules need, from the patient as the HIS holds them; none without insurance facts. */
function buyerOf(context: HisContext, now: number): BuyerFacts | undefined {
  const patient = context.patient;
  const insurance = patient?.insurance;
  if (!patient || !insurance) return undefined;
  const info = patient.residentId ? residentIdInfo(patient.residentId) : undefined;
  const age = patient.age ?? (info ? ageOn(info.birthDate, formatCstDate(now)) : undefined);
  return {
    psnNo: insurance.psnNo,
    sex: patient.sex ?? info?.sex ?? 'unknown',
    ...(age !== undefined && age >= 0 ? { age } : {}),
    chronic: insurance.chronic ?? [],
    identities: insurance.identities ?? [],
    outOfArea: insurance.outOfArea ?? false,
    status: insurance.status,
    ...(patient.residentId ? { residentId: patient.residentId } : {}),
  };
}

/** Full years between two `yyyy-MM-dd` dates. */
function ageOn(birthDate: string, today: string): number {
  const years = Number(today.slice(0, 4)) - Number(birthDate.slice(0, 4));
  return today.slice(5) < birthDate.slice(5) ? years - 1 : years;
}

/** A service id from a URL, fit to quote in a message (an id is short ASCII; anything else is not quoted). */
function safeId(id: string): string {
  return /^[A-Za-z0-9._-]{1,64}$/.test(id) ? id : '(invalid id)';
}

function randomUuid(): string {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
