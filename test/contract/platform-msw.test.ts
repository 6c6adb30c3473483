/**
 * The platform contract through msw: the simulator's own request handlers (`yibao-guard/simulator/msw`) answer
 * the client's fetch at http://platform.test, as a browser demo's service worker would. Anything else the client
 * sent would be an error.
 */
import { afterAll, beforeAll } from 'vitest';
import { setupServer } from 'msw/node';
import { simulatorHandlers } from '../../adapters/simulator/msw.js';
import { platformContract, platformHarness } from './platform.js';

const BASE_URL = 'http://platform.test';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

platformContract(
  'msw handlers',
  platformHarness(async (simulator) => {
    // A fresh simulator per test; its handlers go when the test closes the harness.
    server.use(...simulatorHandlers(simulator, { baseUrl: BASE_URL }));
    return { baseUrl: BASE_URL, close: async () => server.resetHandlers() };
  }),
);
