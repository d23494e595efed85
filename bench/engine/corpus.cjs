'use strict';
/**
 * Chat-like benchmark corpus: message texts (the chat `text` field) of 8-40 words, ~1% with one
 * planted secret or personal value from the eval generator's families. Seeded: the same corpus
 * every run, so figures are comparable.
 */
const { join } = require('node:path');

const DIST = join(__dirname, '../../services/scrubber/dist');
const { FAMILIES, plant } = require(join(DIST, 'eval/families.js'));
const { Prng } = require(join(DIST, 'eval/prng.js'));

const WORDS = (
  'the build is green again after the flaky test fix so we can ship the release on thursday if review ' +
  'goes well please check the dashboard numbers and the latency graph before the sync we should also ' +
  'update the onboarding doc and the runbook for the pager rotation thanks for the quick turnaround ' +
  'can you summarise meeting notes from yesterday sure here is draft announcement I think retry job ' +
  'with smaller batch size what does this error mean connection reset by peer let me get back to you'
).split(' ');
const PUNCT = ['', '', '', '', ',', '.', '?', '!'];

/** @returns {{ texts: string[], bytes: number, positives: number }} */
function chatCorpus(count = 20000, positiveRate = 0.01, seed = 7) {
  const r = new Prng(seed);
  const families = Object.values(FAMILIES);
  const texts = [];
  let bytes = 0;
  let positives = 0;
  for (let i = 0; i < count; i++) {
    const n = r.int(8, 40);
    const words = [];
    for (let k = 0; k < n; k++) words.push(r.pick(WORDS) + r.pick(PUNCT));
    // Chat has some numbers: times, small counts, ticket numbers.
    if (r.chance(0.05))
      words.splice(
        r.int(0, words.length),
        0,
        r.pick([
          `${r.int(1, 12)}pm`,
          `#${r.int(100, 99999)}`,
          `${r.int(2, 500)} items`,
          `v${r.int(1, 9)}.${r.int(0, 20)}`,
        ]),
      );
    let text = words.join(' ');
    if (r.chance(positiveRate)) {
      text += ' ' + plant(r.pick(families)(r)).text;
      positives++;
    }
    texts.push(text);
    bytes += Buffer.byteLength(text);
  }
  return { texts, bytes, positives };
}

module.exports = { chatCorpus, DIST };
