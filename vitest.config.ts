import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A test's timeout only catches a hang. The CPU-heavy ones (fuzzing that signs hundreds of rule packs, the
    // package build) take a few seconds on an idle machine and ten times that on a loaded 2-core one (the
    // genuine-pack fuzz of hostile-input: 7.5 s idle, over 30 s with two suites running), so it is generous.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // expect.poll waits for something to happen (a log line, an event); its timeout only ends a wait for something
    // that never will, so it is generous: vitest's 1 s default is a wall-clock deadline a loaded machine can miss.
    expect: { poll: { timeout: 30_000 } },
  },
});
