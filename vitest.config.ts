import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'property-tests/**/*.test.ts'],
    // The machine running CI is shared: a Chromium start or a page load can take far longer than on an idle one.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default', './tests/skip-reporter.ts'],
  },
});
