// fauxqs only: many announcements (see agent-shipping.test.ts).
// `offsite agent run` is killed with SIGKILL at random instants while it follows a growing redo log and
// uploads and announces; a final `ship-once` must leave every byte in S3 exactly once, recorded once.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { listRedoLogFiles } from '#core/redo/list-redo-log-files.ts';
import { seededRandom } from '#core/seeded-random.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { eventually, startTestCloud } from '#test/integration/harness.ts';
import { offsite, startAgent, writeAgentConfig } from '#test/support/agent-cli.ts';
import { checkCatalog } from '#test/support/catalog-checks.ts';
import { assertShippedLikeDisk } from '#test/support/shipped-redo.ts';

const TRIALS = 50;
/** Bounds the whole loop even on a slow machine; the test fails if fewer than TRIALS kills fit. */
const BUDGET_MS = 240_000;

interface Phase {
  spooled: number;
  uploaded: number;
  announcedId: string | undefined;
}

describe('the agent survives SIGKILL at any instant', () => {
  let cloud: LocalCloud;
  const work = mkdtempSync(join(tmpdir(), 'offsite-crash-'));
  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => {
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it(`${TRIALS} kills during reading, upload, announce and state writes lose and duplicate nothing`, async () => {
    const bucket = cloud.outputs.BackupBucketName as string;
    const sim = new MailHostSimulator({
      hostDir: join(work, 'host'),
      seed: 5,
      accounts: 4,
      rolloverBytes: 48 * 1024,
    });
    const stateDir = join(work, 'state');
    const configFile = join(work, 'agent.json');
    const serverId = 'srv-crash';
    writeAgentConfig(configFile, cloud, {
      serverId,
      zimbraHome: sim.hostDir,
      stateDir,
      pollMs: 5,
      // fauxqs has no CloudWatch (the moto suite tests the lag metrics).
      metrics: { enabled: false },
      segment: { maxMiB: 8 / 1024, maxAgeSeconds: 0.02 },
      upload: { concurrency: 3 },
    });
    const phase = (): Phase => {
      const dir = join(stateDir, 'spool');
      const names = existsSync(dir) ? readdirSync(dir) : [];
      const state = existsSync(join(stateDir, 'state.json'))
        ? (JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as {
            announced: { id: string } | null;
          })
        : undefined;
      return {
        spooled: names.filter((n) => n.endsWith('.json')).length,
        uploaded: names.filter((n) => n.endsWith('.uploaded')).length,
        announcedId: state?.announced?.id,
      };
    };

    const random = seededRandom(99);
    const started = Date.now();
    let kills = 0;
    let progressed = 0;
    let killedWithUploads = 0;
    let killedWithSpool = 0;
    for (; kills < TRIALS && Date.now() - started < BUDGET_MS; kills++) {
      sim.run(25 + Math.floor(random() * 40));
      const before = phase();
      const agent = startAgent(configFile);
      // A fifth of the kills land during start-up; the others a random while after it (start-up time varies
      // with the machine's load, so counting from the spawn would make how many kills hit work a lottery).
      let gone = false;
      void agent.exited.then(() => {
        gone = true;
      });
      const early = random() < 0.2;
      const pause = early ? random() * 300 : random() * 1200;
      const raced = await Promise.race([
        (early
          ? sleep(pause)
          : eventually(
              async () => (gone || agent.log().includes('agent started') ? true : undefined),
              30_000,
              'start-up',
            ).then(() => sleep(pause))
        ).then(() => 'alive' as const),
        agent.exited,
      ]);
      assert.equal(raced, 'alive', `trial ${kills}: the agent exited on its own:\n${agent.log()}`);
      await agent.kill('SIGKILL');
      assert.doesNotMatch(agent.log(), /"level":"ERROR"/, `trial ${kills}: the agent logged an error`);
      const afterKill = phase();
      if (afterKill.announcedId !== before.announcedId) progressed++;
      if (afterKill.uploaded > 0) killedWithUploads++;
      if (afterKill.spooled > afterKill.uploaded) killedWithSpool++;
    }
    assert.equal(kills, TRIALS, `only ${kills} kills within ${BUDGET_MS} ms`);
    process.stdout.write(
      `# kills: ${progressed} after an announcement, ${killedWithSpool} with spooled segments, ${killedWithUploads} with uploads not announced\n`,
    );
    // Kills that hit nothing but start-up would prove nothing.
    assert.ok(progressed >= TRIALS / 2, `the agent announced something in ${progressed} of ${kills} trials`);
    assert.ok(killedWithSpool > 0, 'some kills left segments spooled but not uploaded');
    assert.ok(killedWithUploads > 0, 'some kills left segments uploaded but not announced');

    sim.rollover();
    const shipped = await offsite(['agent', 'ship-once', '--config', configFile, '--json']);
    assert.equal(shipped.code, 0, shipped.stderr);
    const report = JSON.parse(shipped.stdout) as { gaps: unknown[]; cursor: { sequence: string } };
    assert.deepEqual(report.gaps, []);
    assert.equal(BigInt(report.cursor.sequence), sim.redo.sequence);

    // Every file rebuilds byte for byte from segments that tile it with no hole and no overlap.
    const onDisk = listRedoLogFiles(join(sim.hostDir, 'redolog'));
    assert.ok(onDisk.length >= 5, `${onDisk.length} redo files`);
    const objects = await assertShippedLikeDisk(cloud.clients.s3, bucket, serverId, onDisk);
    // Re-announcements after kills were dropped or ignored: one catalog item per object, nothing dead-lettered.
    await checkCatalog(cloud, serverId, objects.length);
    process.stderr.write(
      `# ${kills} kills in ${Math.round((Date.now() - started) / 1000)} s: ${progressed} after progress, ` +
        `${killedWithSpool} with segments spooled, ${killedWithUploads} with segments uploaded but not announced; ` +
        `${objects.length} objects\n`,
    );
  });
});
