// Lists every skipped test after the run, so the reason its name carries ("skipped: no Chromium at
// /usr/bin/chromium") is in the output: vitest's default reporter only counts skipped tests. A suite
// skipped whole (describe.skipIf) is one line with its test count.
import type { Reporter, TestCase, TestModule, TestSuite } from 'vitest/node';

/** The outermost skipped suite around a skipped test, or the test itself. */
function skippedRoot(test: TestCase): TestCase | TestSuite {
  let root: TestCase | TestSuite = test;
  for (let p = test.parent; p.type === 'suite'; p = p.parent) if (p.state() === 'skipped') root = p;
  return root;
}

export default class SkipReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const lines = new Map<string, number>();
    for (const m of modules) {
      for (const test of m.children.allTests('skipped')) {
        const root = skippedRoot(test);
        const key = `${m.relativeModuleId} > ${root.fullName}`;
        lines.set(key, (lines.get(key) ?? 0) + 1);
      }
    }
    if (lines.size === 0) return;
    console.log('\nSkipped (the reason is in each name):');
    for (const [name, n] of lines) console.log(`  ↓ ${name}${n > 1 ? ` (${n} tests)` : ''}`);
  }
}
