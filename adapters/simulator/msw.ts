/**
 * `yibao-guard/simulator/msw`: the simulator as msw 2 request handlers, for tests and for a browser demo (msw's
 * service worker) where no server can run. msw is an optional peer dependency: only this entry imports it. The
 * state machine and the demo data are re-exported so that a browser needs nothing from `yibao-guard/simulator`,
 * whose HTTP server imports node:http.
 *
 * @packageDocumentation
 */
import { http, HttpResponse, type HttpHandler } from 'msw';
import type { Simulator } from './state.js';
import { SIMULATOR_CALL_PATH } from './wire.js';

export { createSimulator, type Simulator, type SimulatorOptions, type SimRequest, type SimResponse } from './state.js';
export { DEMO_PEOPLE, DEMO_PHARMACIES, type DemoPerson, type DemoPersonKey, type DemoPharmacy } from './seed/people.js';
export { DEMO_CATALOG, DEMO_PRESCRIPTIONS, DEMO_STOCK, DEMO_TRACE_CODES } from './seed/catalog.js';
export { SIMULATOR_CALL_PATH, SIGN_IN_EXPIRED_MESSAGE } from './wire.js';

/** Where the handlers listen. */
export interface SimulatorHandlersOptions {
  /**
   * The platform base URL the client is configured with, e.g. `https://hsa.example/prov` (the business path is
   * appended).
   */
  readonly baseUrl: string;
}

/**
 * msw 2 handlers that answer the platform's business path from `simulator`, exactly as the HTTP server does. Faults
 * map to what a browser's fetch would meet: `timeout` never answers until the request is aborted (then a network
 * error), `lose-response` commits the transaction and answers with a network error (`HttpResponse.error()`).
 *
 * @example
 * const simulator = createSimulator()
 * const server = setupServer(...simulatorHandlers(simulator, { baseUrl: 'https://platform.test' }))
 * server.listen()
 */
export function simulatorHandlers(simulator: Simulator, options: SimulatorHandlersOptions): HttpHandler[] {
  const base = options.baseUrl.replace(/\/+$/, '');
  return [
    http.post(`${base}${SIMULATOR_CALL_PATH}`, async ({ request }) => {
      const headers: Record<string, string> = {};
      request.headers.forEach((value, name) => {
        headers[name] = value;
      });
      const answer = await simulator.handle({ path: SIMULATOR_CALL_PATH, headers, body: await request.text() });
      if ('fault' in answer) {
        if (answer.fault === 'timeout') {
          // Hold the answer as a silent platform would, until the client aborts (fetch has then already failed).
          await new Promise<void>((resolve) => {
            if (request.signal.aborted) return resolve();
            request.signal.addEventListener('abort', () => resolve(), { once: true });
          });
        }
        return HttpResponse.error();
      }
      return new HttpResponse(answer.body, { status: answer.status, headers: answer.headers });
    }),
  ];
}
