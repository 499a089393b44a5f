// fauxqs only: many announcements (see agent-shipping.test.ts).
// `offsite agent run` is killed with SIGKILL at each named crash point between its durable steps (three
// times each) and at random instants while it follows a growing redo log and uploads and announces; a final
// `ship-once` must leave every byte in S3 exactly once, recorded once.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CRASH_POINTS } from '#agent/ship/crash-point.ts';
import { listRedoLogFiles } from '#core/redo/list-redo-log-files.ts';
import { seededRandom } from '#core/seeded-random.ts';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { eventually, startTestCloud } from '#test/integration/harness.ts';
import { offsite, startAgent, writeAgentConfig } from '#test/support/agent-cli.ts';
import { checkCatalog } from '#test/support/catalog-checks.ts';
import { assertShippedLikeDisk } from '#test/support/shipped-redo.ts';

/** Random kills on top of the crash points (the soak suite runs hundreds). */
const RANDOM_TRIALS = Number(process.env.OFFSITE_CRASH_TRIALS ?? 20);

interface Phase {
  scratch: number;
  spooled: number;
  uploaded: number;
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

  it(`kills at every crash point and at ${RANDOM_TRIALS} random instants lose and duplicate nothing`, async () => {
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
      const entries = new Set(
        names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length)),
      );
      return {
        // Scratch files of segments being compressed (removed when the agent next opens its spool).
        scratch: names.filter((n) => n.includes('.tmp-')).length,
        spooled: entries.size,
        // Only markers of entries still spooled: a kill while an announced entry is being removed (its
        // metadata first) leaves its marker behind for a moment, which the next start clears.
        uploaded: names.filter((n) => n.endsWith('.uploaded') && entries.has(n.slice(0, -'.uploaded'.length)))
          .length,
      };
    };
    const started = Date.now();

    // Each crash point, at its first, second and third passage: the kill lands there on any machine.
    let pointKills = 0;
    for (const point of CRASH_POINTS) {
      for (const nth of [1, 2, 3]) {
        sim.run(40);
        const agent = startAgent(configFile, { OFFSITE_AGENT_CRASH_AT: `${point}:${nth}` });
        const code = await Promise.race([
          agent.exited,
          sleep(120_000).then(() => agent.kill('SIGKILL').then(() => 'never reached' as const)),
        ]);
        const log = agent.log();
        assert.equal(code, null, `${point}:${nth}: the agent died by its crash point (${code}):\n${log}`);
        assert.match(log, new RegExp(`crash point ${point} reached`), `${point}:${nth}`);
        assert.doesNotMatch(log, /"level":"ERROR"/, `${point}:${nth}: the agent logged an error`);
        const after = phase();
        if (point === 'encoded')
          assert.ok(after.scratch > 0, `${point}: a compressed segment is left unspooled`);
        if (point === 'spooled') assert.ok(after.spooled > after.uploaded, `${point}: a segment waits`);
        if (point === 'uploaded') assert.ok(after.uploaded > 0, `${point}: an upload is not announced`);
        pointKills++;
      }
    }

    // Then kills at random instants, a fifth during start-up and the others a random while after it.
    const random = seededRandom(99);
    let randomKills = 0;
    for (; randomKills < RANDOM_TRIALS; randomKills++) {
      sim.run(25 + Math.floor(random() * 40));
      const agent = startAgent(configFile);
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
              60_000,
              'start-up',
            ).then(() => sleep(pause))
        ).then(() => 'alive' as const),
        agent.exited,
      ]);
      assert.equal(raced, 'alive', `trial ${randomKills}: the agent exited on its own:\n${agent.log()}`);
      await agent.kill('SIGKILL');
      assert.doesNotMatch(agent.log(), /"level":"ERROR"/, `trial ${randomKills}: the agent logged an error`);
    }

    sim.rollover();
    const shipped = await offsite(['agent', 'ship-once', '--config', configFile, '--json']);
    assert.equal(shipped.code, 0, shipped.stderr);
    const report = JSON.parse(shipped.stdout) as { gaps: unknown[]; cursor: { sequence: string } };
    assert.deepEqual(report.gaps, []);
    assert.equal(BigInt(report.cursor.sequence), sim.redo.sequence);
    assert.equal(phase().scratch, 0, 'no scratch file outlives a start of the agent');

    // Every file rebuilds byte for byte from segments that tile it with no hole and no overlap.
    const onDisk = listRedoLogFiles(join(sim.hostDir, 'redolog'));
    assert.ok(onDisk.length >= 5, `${onDisk.length} redo files`);
    const objects = await assertShippedLikeDisk(cloud.clients.s3, bucket, serverId, onDisk);
    // Re-announcements after kills were dropped or ignored: one catalog item per object, nothing dead-lettered.
    await checkCatalog(cloud, serverId);
    process.stdout.write(
      `# soak ${JSON.stringify({ step: 'agent kill -9', trials: pointKills + randomKills, atCrashPoints: pointKills, objects: objects.length, lost: 0, duplicated: 0, seconds: Math.round((Date.now() - started) / 1000) })}\n`,
    );
  });
});
