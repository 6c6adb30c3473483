/**
 * An answer's body is read under the same deadline as the attempt that got it, and under a size cap: a
 * platform (or a proxy in front of it) that sends its headers at once and then trickles the body, or sends a
 * body without end, cannot hold the counter or fill the till's memory. A real HTTP server on 127.0.0.1, since
 * how the socket is released is part of what is checked. The clocks here are generous on purpose: the
 * trickle lasts a minute, and a call with a 1 s timeout must end long before it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError } from '../../../src/index.js';
import { PlatformProtocolError, PlatformUnavailableError } from '../../../src/errors/index.js';
import {
  client,
  ok,
  personQueryInput,
  rejection,
  saleReportInput,
  settlementInput,
  settlementOutput,
} from './helpers.js';

const MiB = 1024 * 1024;
const PERSON_OPTIONS = { insuplcAdmdvs: '220102' };
const PERSON_OUTPUT = {
  baseinfo: { psn_no: '22000000123456', psn_name: '张三丰' },
  insuinfo: [{ insutype: '310', balc: 100.5, insuplc_admdvs: '220102' }],
};
const SIGN_IN = ok({ signinoutb: { sign_time: '2026-11-23 10:05:09', sign_no: 'SN1' } });

/** What the server did with one business answer. */
interface Served {
  written: number;
  /** The client went away before the whole body was written. */
  abandoned: boolean;
  readonly finished: Promise<void>;
}

type Business = (res: ServerResponse, served: Served) => Promise<void>;

let server: Server;
let baseUrl: string;
let business: Business;
const served: Served[] = [];

beforeAll(async () => {
  server = createServer((req, res) => void answer(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => {
  // A trickle still running (on code that waits it out) must not outlive its test.
  server.closeAllConnections();
  served.length = 0;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = '';
  for await (const chunk of req) body += chunk;
  const { infno } = JSON.parse(body) as { infno: string };
  if (infno === '9001') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(SIGN_IN));
    return;
  }
  let resolveFinished!: () => void;
  const record: Served = {
    written: 0,
    abandoned: false,
    finished: new Promise<void>((resolve) => (resolveFinished = resolve)),
  };
  served.push(record);
  res.on('close', () => {
    if (!res.writableFinished) record.abandoned = true;
    resolveFinished();
  });
  await business(res, record);
}

/** Writes `chunk` and waits until the socket takes more; false once the client has gone. */
async function write(res: ServerResponse, record: Served, chunk: Buffer): Promise<boolean> {
  if (res.destroyed || record.abandoned) return false;
  record.written += chunk.length;
  if (res.write(chunk)) return true;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
  return !res.destroyed && !record.abandoned;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Headers at once, then a valid answer one byte every 200 ms, padded with leading blanks to last `seconds`. */
function trickle(output: unknown, seconds = 60): Business {
  return async (res, record) => {
    const json = JSON.stringify(ok(output));
    const text = ' '.repeat(Math.max(0, seconds * 5 - json.length)) + json;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    for (const byte of Buffer.from(text)) {
      if (!(await write(res, record, Buffer.of(byte)))) return;
      await sleep(200);
    }
    res.end();
  };
}

/** A valid answer whose padding makes it `total` bytes, streamed in 64 KiB chunks without Content-Length. */
function huge(output: unknown, total = 64 * MiB): Business {
  return async (res, record) => {
    const json = JSON.stringify(ok(output));
    const head = Buffer.from(`${json.slice(0, -1)},"padding":"`);
    const tail = Buffer.from('"}');
    res.writeHead(200, { 'content-type': 'application/json' });
    if (!(await write(res, record, head))) return;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (let left = total - head.length - tail.length; left > 0; left -= chunk.length) {
      if (!(await write(res, record, left >= chunk.length ? chunk : chunk.subarray(0, left)))) return;
    }
    if (await write(res, record, tail)) res.end();
  };
}

/** Seconds since `started`, for bounds that are generous on purpose. */
const since = (started: number) => (performance.now() - started) / 1000;

describe('an answer that trickles ends with the call', () => {
  it('times out a query whose body trickles after headers at once: PLATFORM_UNAVAILABLE, socket released', async () => {
    business = trickle(PERSON_OUTPUT);
    const started = performance.now();
    const error = await rejection(client({ baseUrl, timeoutMs: 1000 }).queryPerson(personQueryInput()));
    // The trickle lasts 60 s; a 1 s timeout ends the call long before it, even on a loaded machine.
    expect(since(started)).toBeLessThan(20);
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect(error).toMatchObject({ code: 'PLATFORM_UNAVAILABLE', infno: '1101' });
    expect(error.message).toContain('1000 ms');
    expect(error['messageZh']).toContain('1000 毫秒');
    // The client cancelled the body: the server sees the connection go before its answer is written.
    await served[0]!.finished;
    expect(served[0]!.abandoned).toBe(true);
    expect(served).toHaveLength(1);
  }, 40_000);

  it('times out a write whose body trickles as outcome unknown, to be resolved', async () => {
    business = trickle({ retRslt: '1', msgRslt: '成功' });
    const started = performance.now();
    const error = await rejection(client({ baseUrl, timeoutMs: 1000 }).report('3505', saleReportInput()));
    expect(since(started)).toBeLessThan(20);
    expect(error).toBeInstanceOf(PlatformUnavailableError);
    expect(error).toMatchObject({ code: 'PLATFORM_OUTCOME_UNKNOWN', infno: '3505' });
    await served[0]!.finished;
    expect(served[0]!.abandoned).toBe(true);
  }, 40_000);

  it('still reads an answer that arrives in pieces within the timeout, UTF-8 split inside characters', async () => {
    // 张三丰 is 3 bytes a character: pieces of 2 bytes cut every character in two.
    business = async (res, record) => {
      const bytes = Buffer.from(JSON.stringify(ok(PERSON_OUTPUT)));
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < bytes.length; i += 2) {
        if (!(await write(res, record, bytes.subarray(i, i + 2)))) return;
        if (i % 64 === 0) await sleep(1);
      }
      res.end();
    };
    const { baseinfo } = await client({ baseUrl, timeoutMs: 20_000 }).queryPerson(personQueryInput());
    expect(baseinfo.psn_name).toBe('张三丰');
  });
});

describe('an answer larger than maxResponseBytes is not read', () => {
  it('refuses a query answer streamed past the cap: PLATFORM_PROTOCOL, the server sees the client go', async () => {
    business = huge(PERSON_OUTPUT);
    const error = await rejection(client({ baseUrl, maxResponseBytes: MiB }).queryPerson(personQueryInput()));
    expect(error).toBeInstanceOf(PlatformProtocolError);
    expect(error).toMatchObject({ code: 'PLATFORM_PROTOCOL', infno: '1101' });
    expect(error.message).toContain(String(MiB));
    await served[0]!.finished;
    expect(served[0]!.abandoned).toBe(true);
    // What the socket buffers held when the client went is far below the 64 MiB it was offered.
    expect(served[0]!.written).toBeLessThan(24 * MiB);
  });

  it('reports an oversize answer to a settlement as outcome unknown, and resolve() asks again as today', async () => {
    business = huge(settlementOutput(), 4 * MiB);
    const platform = client({ baseUrl, maxResponseBytes: MiB });
    const prepared = platform.prepare('2102', settlementInput(), PERSON_OPTIONS);
    const lost = await rejection(platform.send(prepared));
    expect(lost).toBeInstanceOf(PlatformUnavailableError);
    expect(lost).toMatchObject({ code: 'PLATFORM_OUTCOME_UNKNOWN', infno: '2102', msgid: prepared.msgid });
    expect(lost.message).toContain('resolve()');
    business = async (res) =>
      void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ok(settlementOutput())));
    const { setlinfo } = await platform.resolve(prepared);
    expect(setlinfo.setl_id).toBe('S0001');
  });

  it('refuses a Content-Length above the cap before reading a byte of the body', async () => {
    let pulls = 0;
    let cancelled = false;
    const body = Buffer.from(JSON.stringify({ ...ok(PERSON_OUTPUT), padding: 'x'.repeat(2 * MiB) }));
    const fetch = async (input: string | URL | Request) => {
      const { infno } = JSON.parse(await (input as Request).text()) as { infno: string };
      if (infno === '9001') return new Response(JSON.stringify(SIGN_IN));
      const stream = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            const at = pulls++ * 64 * 1024;
            if (at >= body.length) controller.close();
            else controller.enqueue(new Uint8Array(body.subarray(at, at + 64 * 1024)));
          },
          cancel() {
            cancelled = true;
          },
        },
        { highWaterMark: 0 },
      );
      return new Response(stream, {
        headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
      });
    };
    const error = await rejection(client({ fetch, maxResponseBytes: MiB }).queryPerson(personQueryInput()));
    expect(error).toMatchObject({ code: 'PLATFORM_PROTOCOL', infno: '1101' });
    expect(pulls).toBe(0);
    expect(cancelled).toBe(true);
  });

  it('reads an answer right at the cap', async () => {
    const json = JSON.stringify(ok(PERSON_OUTPUT));
    const fetch = async (input: string | URL | Request) => {
      const { infno } = JSON.parse(await (input as Request).text()) as { infno: string };
      return new Response(infno === '9001' ? JSON.stringify(SIGN_IN) : json);
    };
    const { baseinfo } = await client({ fetch, maxResponseBytes: Buffer.byteLength(json) }).queryPerson(
      personQueryInput(),
    );
    expect(baseinfo.psn_name).toBe('张三丰');
  });

  it('checks maxResponseBytes when the client is created', () => {
    for (const maxResponseBytes of [0, -1, 1.5, Number.NaN]) {
      expect(() => client({ maxResponseBytes })).toThrow(InputError);
    }
  });
});
