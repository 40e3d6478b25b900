// Checks the course exercises: `npm run course` checks all of docs/course/exercises/,
// `npm run course -- 02` one of them. The test suite runs the same checks on the reference
// solutions in docs/course/solutions/ (they must pass) and on the untouched stubs (they must fail).
import { readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { checks } from './checks.mjs';

/** Runs the check of each exercise file in `folder` whose name starts with one of `only`; returns the failures. */
export async function checkFolder(folder, only = []) {
  const files = readdirSync(folder)
    .filter((f) => f.endsWith('.mjs'))
    .filter((f) => only.length === 0 || only.some((prefix) => f.startsWith(prefix)))
    .sort();
  const failures = [];
  for (const file of files) {
    const name = file.replace(/\.mjs$/, '');
    const check = checks[name];
    if (!check) throw new Error(`no check for ${file} in docs/course/checks.mjs`);
    try {
      await check(await import(pathToFileURL(`${folder}/${file}`).href));
      console.log(`✓ ${name}`);
    } catch (error) {
      console.log(`✗ ${name}: ${error.message}`);
      failures.push({ name, error });
    }
  }
  return failures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const folder = new URL('./exercises', import.meta.url).pathname;
  const failures = await checkFolder(folder, process.argv.slice(2));
  process.exitCode = failures.length === 0 ? 0 : 1;
}
