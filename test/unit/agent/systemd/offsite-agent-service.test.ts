// The shipped systemd unit starts the agent this repository builds, with the configuration path the CLI
// defaults to, and systemd itself accepts it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAgentConfig } from '#agent/config/agent-config.ts';
import { DEFAULT_AGENT_CONFIG as DEFAULT_CONFIG } from '#cli/specs/common-options.ts';

const dir = fileURLToPath(new URL('.', import.meta.resolve('#agent/systemd/offsite-agent.service')));
const unit = readFileSync(join(dir, 'offsite-agent.service'), 'utf8');
const setting = (name: string) => {
  const values = [...unit.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((m) => m[1] as string);
  assert.equal(values.length, 1, `one ${name}=`);
  return values[0] as string;
};
const INSTALL_ROOT = '/opt/offsite';

describe('the systemd unit', () => {
  it('runs `agent run` of the host package with the default configuration file', () => {
    // The host package (npm run package) unpacked into /opt: its launcher runs the pinned Node.
    assert.deepEqual(setting('ExecStart').split(' '), [
      `${INSTALL_ROOT}/bin/offsite`,
      'agent',
      'run',
      '--config',
      DEFAULT_CONFIG,
    ]);
  });

  it('keeps its state where the example configuration says, and the example is valid', () => {
    const example = parseAgentConfig(JSON.parse(readFileSync(join(dir, 'agent.example.json'), 'utf8')));
    assert.equal(example.stateDir, `/var/lib/${setting('StateDirectory')}`);
    assert.equal(example.redologDir, '/opt/zimbra/redolog');
    assert.equal(setting('KillSignal'), 'SIGTERM');
    assert.equal(setting('Restart'), 'always');
  });

  // systemd-analyze comes with Debian's systemd package (installed by .ci/run).
  it('passes systemd-analyze verify', () => {
    const work = mkdtempSync(join(tmpdir(), 'offsite-unit-'));
    try {
      // A stand-in for the packaged launcher (the package test verifies the unit against the real one).
      mkdirSync(join(work, 'bin'));
      writeFileSync(join(work, 'bin', 'offsite'), '#!/bin/sh\n', { mode: 0o755 });
      const local = join(work, 'offsite-agent.service');
      writeFileSync(local, unit.replaceAll(INSTALL_ROOT, work));
      // Throws (non-zero exit) with systemd's complaint on stderr.
      execFileSync('systemd-analyze', ['verify', '--man=no', local], { stdio: 'pipe' });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
