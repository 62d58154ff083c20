/**
 * The seeded fuzz subset that runs with every `npm test`: a few thousand inputs per decoder, the same generators as
 * `npm run fuzz` (which runs a million each across worker threads). A failure names seed and index; reproduce it with
 * `npm run fuzz -- --target NAME --seed SEED --index INDEX`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCampaign } from './target.js';
import { TARGETS } from './targets/index.js';

const SEED = 0x5eed;
const INPUTS_PER_TARGET = 3000;

describe('fuzz subset: every decoder returns a value or throws its typed error', () => {
  for (const target of TARGETS) {
    it(`${target.name}: ${INPUTS_PER_TARGET} mutated inputs (seed ${SEED})`, () => {
      const result = runCampaign(target, SEED, 0, INPUTS_PER_TARGET);
      const report = result.crashes
        .map((c) => `index ${c.index}: ${c.error}\n  input: ${c.input.slice(0, 2000)}`)
        .join('\n');
      assert.equal(result.crashed, 0, `${result.crashed} crashes (seed ${SEED}):\n${report}`);
      assert.equal(result.inputs, INPUTS_PER_TARGET);
    });
  }
});
