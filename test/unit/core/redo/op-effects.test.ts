import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKnownOpCode, OP_NAMES } from '#core/redo/op-codes.ts';
import { APPLIED_OPS, NO_MAILBOX_DATA, opEffect, RESULT_NOT_RECORDED } from '#core/redo/op-effects.ts';
import type { OpName } from '#core/redo/redo-record.ts';

describe('what the index does with each op', () => {
  it('every op a server writes is applied, carries no mailbox data (with the reason), or has no recorded result (with the reason): none is left unapplied', () => {
    const effects = { applied: 0, 'no-mailbox-data': 0, 'result-not-recorded': 0, 'not-applied': 0 };
    for (const [code, name] of Object.entries(OP_NAMES)) {
      if (!isKnownOpCode(Number(code))) continue;
      const op = name as OpName;
      const classes = [
        APPLIED_OPS.has(op),
        NO_MAILBOX_DATA[op] !== undefined,
        RESULT_NOT_RECORDED[op] !== undefined,
      ];
      assert.ok(classes.filter(Boolean).length <= 1, `${op} is in one class only`);
      effects[opEffect(op)]++;
    }
    assert.deepEqual(effects, {
      applied: 59,
      'no-mailbox-data': 22,
      'result-not-recorded': 5,
      'not-applied': 0,
    });
  });

  it("an op written under another op's code is classified too", () => {
    assert.equal(opEffect('CreateFileSharedWithMe'), 'result-not-recorded');
  });
});
