import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { lockStateDir } from '#agent/ship/state-lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'offsite-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the state directory lock', () => {
  it('is held by one live process; a dead holder’s file is taken over', async () => {
    // A live process holds it.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    writeFileSync(join(dir, 'agent.pid'), `${other.pid}\n`);
    try {
      assert.deepEqual(await lockStateDir(dir), { held: false, pid: other.pid });
    } finally {
      other.kill('SIGKILL');
      await new Promise((resolve) => other.once('exit', resolve));
    }
    // Now that process is gone (as after SIGKILL): its pid file is stale.
    const lock = await lockStateDir(dir);
    assert.equal(lock.held, true);
    if (!lock.held) return;
    const again = await lockStateDir(dir);
    assert.equal(again.held, true, 'the same process may take it again (one owner per process)');
    await lock.release();
    assert.equal(existsSync(join(dir, 'agent.pid')), false);
  });
});
