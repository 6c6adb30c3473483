import { createMemoryStorage, InputError, TERMINAL_NAMES, type Storage, type TerminalLayout } from '../../src/index.js';
import { parseInput } from '../../src/schemas/index.js';
import { randomBytes } from '../../src/crypto/index.js';
import { compilePack, type Catalog, type CompiledPack, type StockView, type TraceCodeView } from '../../src/engine.js';
import type { HisJwtClaims } from './auth.js';
import { EXTENSION_KEY, reasonCodings, type CdsCard, type CdsCoding, type Language, type StopLevel } from './cards.js';
import { HisError } from './errors.js';
import {
  FeedbackRequestSchema,
  HisContextSchema,
  HookRequestSchema,
  type FeedbackItem,
  type HisHook,
} from './schemas.js';
import { callerOf, type HisServiceContext } from './service-context.js';
import { recordFeedback } from './service-feedback.js';
import { runHook } from './service-review.js';

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
export const HIS_SERVICES: readonly {
  readonly id: string;
  readonly hook: HisHook;
  readonly title: { zh: string; en: string };
  readonly description: { zh: string; en: string };
}[] = [
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

/**
 * What became of each feedback entry: recorded in the audit trail, a repeat of one recorded before, or noted (nothing
 * to record).
 */
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
  /**
   * The compiled rule pack in force (or a function read at each call, so a new pack applies at once). @default
   * compilePack()
   */
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
  /**
   * Write a `sale-review` event (the cards shown) for each hook call, as the till does for each review. @default true
   */
  readonly auditReviews?: boolean;
  /**
   * How long feedback on a card is accepted after the card was last shown; then it leaves the storage. @default 24 h
   */
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
  call(
    serviceId: string,
    request: unknown,
    options?: CallerOptions & { readonly language?: Language },
  ): Promise<HookResponse>;
  /**
   * A feedback call (`POST /cds-services/{id}/feedback`): validated whole, then written in one batch. A card shown to
   * another identity is refused with `HIS_FEEDBACK_FORBIDDEN`. The audit names the token's identity as the operator.
   */
  feedback(serviceId: string, body: unknown, options?: CallerOptions): Promise<FeedbackResult>;
}

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
  const defaultRules = options.rules === undefined ? compilePack() : undefined;
  const ctx: HisServiceContext = {
    options,
    clock: options.clock ?? { now: () => Date.now() },
    storage: options.storage ?? createMemoryStorage<TerminalLayout>({ names: TERMINAL_NAMES }),
    ttl: options.cardTtlMs ?? DAY_MS,
    maxCards: options.maxCards ?? 100_000,
    agreement: options.institution?.agreement ?? 'active',
    rulesNow: () => (typeof options.rules === 'function' ? options.rules() : (options.rules ?? defaultRules!)),
    orderRulesMemo: new WeakMap(),
  };
  return {
    get services() {
      return descriptors(ctx);
    },
    storage: ctx.storage,
    async evaluateOrders(raw, evaluate = {}) {
      const hook = evaluate.hook ?? 'order-sign';
      const context = parseInput(HisContextSchema, raw, { en: 'Hook context', zh: '调用上下文' });
      const service = HIS_SERVICES.find((s) => s.hook === hook)!;
      const hookInstance = evaluate.hookInstance ?? randomUuid();
      return runHook(ctx, hook, service.id, context, hookInstance, evaluate.language ?? 'zh', undefined);
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
      const { context, hookInstance } = request;
      return runHook(ctx, service.hook, service.id, context, hookInstance, call.language ?? 'zh', await callerOf(call));
    },
    async feedback(serviceId, raw, call = {}) {
      serviceOf(serviceId);
      const { feedback } = parseInput(FeedbackRequestSchema, raw, { en: 'Feedback', zh: '反馈' });
      return recordFeedback(ctx, serviceId, feedback, await callerOf(call));
    },
  };
}

/** The services as discovery lists them, with the override reasons of the rule pack in force. */
function descriptors(ctx: HisServiceContext): CdsServiceDescriptor[] {
  const reasons = [...ctx.rulesNow().overrideReasons.values()];
  return HIS_SERVICES.map((s) => ({
    hook: s.hook,
    id: s.id,
    title: s.title.zh,
    description: s.description.zh,
    prefetch: {},
    usageRequirements:
      '调用须携带 EdDSA 签名的 JWT（Authorization: Bearer）。/ Each call carries an EdDSA-signed JWT (Authorization: Bearer).',
    extension: {
      [EXTENSION_KEY]: {
        titleEn: s.title.en,
        descriptionEn: s.description.en,
        stopLevels: ['none', 'soft', 'reason-required', 'hard'],
        overrideReasons: reasonCodings(reasons, 'zh'),
        requiredContext:
          s.hook === 'yibao-presettle'
            ? ['userId', 'patientId', 'patient.insurance', 'draftOrders', 'prescriptions (for orders with rxNo)']
            : ['userId', 'patientId', 'draftOrders', 'patient.insurance (for fund orders)'],
      },
    },
  }));
}

function serviceOf(serviceId: string) {
  const service = HIS_SERVICES.find((s) => s.id === serviceId);
  if (!service)
    throw new HisError('HIS_SERVICE_UNKNOWN', {
      message: `No CDS service ${safeId(serviceId)}`,
      messageZh: `没有预警服务 ${safeId(serviceId)}`,
      field: 'id',
    });
  return service;
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
