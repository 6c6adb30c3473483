/**
 * The platform contract over real HTTP: the simulator served by node:http on 127.0.0.1 (an ephemeral port), the
 * client calling it with the global fetch over loopback. No msw in this file.
 */
import { startSimulator } from '../../adapters/simulator/index.js';
import { platformContract, platformHarness } from './platform.js';

platformContract(
  'node:http on loopback',
  platformHarness(async (simulator) => {
    const server = await startSimulator({ port: 0, simulator });
    return { baseUrl: server.url, close: () => server.close() };
  }),
);
