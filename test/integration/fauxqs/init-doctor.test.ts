// From the stack's outputs to a checked mail host: `offsite init` writes the agent configuration, `offsite
// doctor` checks the host end to end, finds what is wrong (a wrong queue, an unreadable redo directory, a
// skewed clock) and changes nothing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseAgentConfig } from '#agent/config/agent-config.ts';
import type { DoctorCheck } from '#agent/doctor/doctor-check.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { startTestCloud } from '#test/integration/harness.ts';
import { LOCAL_AWS_ENV, OFFSITE_CLI, offsite } from '#test/support/agent-cli.ts';

const run = promisify(execFile);

/** `offsite doctor --json` run through `wrapper` (another user, a shifted clock), its checks by name. */
async function doctor(config: string, wrapper: string[] = []) {
  const command = [...wrapper, process.execPath, OFFSITE_CLI, 'doctor', '--config', config, '--json'];
  let stdout: string;
  let code = 0;
  try {
    ({ stdout } = await run(command[0] as string, command.slice(1), { env: LOCAL_AWS_ENV }));
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    assert.ok(e.stdout, e.stderr);
    ({ stdout, code } = e);
  }
  const body = JSON.parse(stdout) as { ok: boolean; checks: DoctorCheck[] };
  return { code, ok: body.ok, byName: new Map(body.checks.map((c) => [c.name, c])) };
}

/** Every file and directory under `dir` with its size and modification time: what "changed nothing" means. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .sort()
    .map((name) => {
      const s = statSync(join(dir, name));
      return `${name} ${s.size} ${s.mtimeMs} ${s.mode}`;
    });
}

describe('offsite init and offsite doctor', () => {
  const work = mkdtempSync(join(tmpdir(), 'offsite-doctor-'));
  let cloud: LocalCloud;
  let sim: MailHostSimulator;
  const configFile = join(work, 'agent.json');
  const stateDir = join(work, 'state');

  before(async () => {
    chmodSync(work, 0o755);
    cloud = await startTestCloud();
    sim = new MailHostSimulator({ hostDir: join(work, 'host'), seed: 5, accounts: 1 });
    sim.run(10);
    writeFileSync(
      join(sim.hostDir, '.install_history'),
      '1733000000: INSTALLED zimbra-core-10.1.4_GA_4200.UBUNTU22_64\n',
    );
    // As the local cloud writes them (`npm start`: .local/outputs.json), in cdk's --outputs-file shape.
    writeFileSync(
      join(work, 'outputs.json'),
      JSON.stringify({ Offsite: { ...cloud.outputs, LocalEndpoint: cloud.endpoints.s3 } }),
    );
  });
  after(async () => {
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('init writes a valid agent configuration from the stack outputs, and replaces it only when told', async () => {
    const args = [
      'init',
      '--server',
      'srv-doc',
      '--outputs',
      join(work, 'outputs.json'),
      '--out',
      configFile,
    ];
    const paths = ['--zimbra-home', sim.hostDir, '--state-dir', stateDir];
    const first = await offsite([...args, ...paths]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /next: offsite doctor --config/);
    const config = parseAgentConfig(JSON.parse(readFileSync(configFile, 'utf8')));
    assert.equal(config.aws.bucket, cloud.outputs.BackupBucketName);
    assert.equal(config.aws.ingestQueueUrl, cloud.outputs.IngestQueueUrl);
    assert.equal(config.control?.url, cloud.outputs.AgentControlUrl);
    assert.equal(config.aws.endpoint, cloud.endpoints.s3);
    const again = await offsite([...args, ...paths]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /exists: --force replaces it/);
    const bad = await offsite([...args, '--zimbra-home', 'relative/path', '--force']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /zimbraHome/);
    assert.deepEqual(
      parseAgentConfig(JSON.parse(readFileSync(configFile, 'utf8'))),
      config,
      'left as it was',
    );
    assert.equal((await offsite([...args, ...paths, '--force'])).code, 0);
  });

  it('doctor passes a host that is ready, and changes nothing on it', async () => {
    const before = tree(sim.hostDir);
    const result = await doctor(configFile);
    assert.equal(result.code, 0, JSON.stringify([...result.byName.values()], null, 1));
    assert.equal(result.ok, true);
    for (const name of [
      'redo log directory',
      'redo log version',
      'Zimbra version',
      'state directory',
      'clock',
      'S3 bucket',
      'ingest queue',
      'agent API',
    ])
      assert.equal(result.byName.get(name)?.status, 'ok', `${name}: ${result.byName.get(name)?.detail}`);
    assert.match(result.byName.get('redo log version')?.detail ?? '', /format 1\.\d+/);
    assert.match(result.byName.get('Zimbra version')?.detail ?? '', /10\.1\.4_GA_4200/);
    assert.equal(result.byName.get('LDAP bind')?.status, 'skip');
    assert.deepEqual(tree(sim.hostDir), before, 'the host is as it was');
    assert.ok(!existsSync(stateDir), 'the state directory is not created');
  });

  it('doctor names a wrong queue URL and says where the right one is', async () => {
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { aws: { ingestQueueUrl: string } };
    config.aws.ingestQueueUrl = config.aws.ingestQueueUrl.replace(/[^/]+$/, 'no-such-queue.fifo');
    const wrong = join(work, 'wrong-queue.json');
    writeFileSync(wrong, JSON.stringify(config));
    chmodSync(wrong, 0o644);
    const result = await doctor(wrong);
    assert.equal(result.code, 1);
    const queue = result.byName.get('ingest queue');
    assert.equal(queue?.status, 'fail');
    assert.match(queue?.detail ?? '', /there is no queue .*no-such-queue\.fifo/);
    assert.match(queue?.fix ?? '', /IngestQueueUrl/);
    assert.equal(result.byName.get('S3 bucket')?.status, 'ok', 'the rest still checked');
  });

  it("doctor finds a redo directory the agent's user cannot read", async () => {
    const redolog = join(sim.hostDir, 'redolog');
    const mode = statSync(redolog).mode;
    chmodSync(configFile, 0o644);
    for (const dir of [sim.hostDir, work]) chmodSync(dir, 0o755);
    // Permissions bind every user but root: as root, the check runs as nobody, as an agent would not be root.
    chmodSync(redolog, 0o700);
    try {
      const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'nobody', '--'] : [];
      if (asUser.length === 0) chmodSync(redolog, 0o000);
      const result = await doctor(configFile, asUser);
      assert.equal(result.code, 1);
      const check = result.byName.get('redo log directory');
      assert.equal(check?.status, 'fail');
      assert.match(check?.detail ?? '', /EACCES/);
      assert.match(check?.fix ?? '', /zimbra user/);
    } finally {
      chmodSync(redolog, mode);
    }
  });

  it("doctor finds a host clock ten minutes off the cloud's", async () => {
    const result = await doctor(configFile, ['faketime', '-f', '+10m']);
    assert.equal(result.code, 1);
    const clock = result.byName.get('clock');
    assert.equal(clock?.status, 'fail');
    assert.match(clock?.detail ?? '', /this host is (59\d|60\d) s ahead of the cloud/);
    assert.match(clock?.fix ?? '', /synchronise the clock/);
  });
});
