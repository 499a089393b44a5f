// The shipper against stub clients: what a stop leaves behind, and announcements held behind a scan's cut.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { parseAgentConfig } from '#agent/config/agent-config.ts';
import { memoryLog } from '#agent/observability.ts';
import type { DumpDirectory } from '#agent/ship/ldap-schedule.ts';
import { Shipper } from '#agent/ship/shipper.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * A simulated host with some redo, and a shipper whose S3 puts take `putMs` each; `gate`, when given, is
 * asked before each put and may make it fail or wait.
 */
async function setUp(
  putMs: number,
  upload: Record<string, number> = {},
  gate?: () => Promise<void>,
  host: { deleteOnRollover?: boolean } = {},
  agent: { pollMs?: number; announceMs?: number; dumpDirectory?: DumpDirectory } = {},
) {
  const work = mkdtempSync(join(tmpdir(), 'offsite-shipper-'));
  dirs.push(work);
  const sim = new MailHostSimulator({ hostDir: join(work, 'host'), seed: 5, accounts: 3, ...host });
  sim.run(60);
  const puts: string[] = [];
  const announced: string[] = [];
  const s3 = {
    send: async (command: { input: { Key: string } }, options?: { abortSignal?: AbortSignal }) => {
      await gate?.();
      await sleep(putMs, undefined, { signal: options?.abortSignal });
      puts.push(command.input.Key);
      return {};
    },
  } as unknown as S3Client;
  const sqs = {
    send: async (command: { input: { Entries: { Id: string; MessageBody: string }[] } }) => {
      if (agent.announceMs) await sleep(agent.announceMs);
      for (const e of command.input.Entries)
        announced.push((JSON.parse(e.MessageBody) as { key: string }).key);
      return { Successful: command.input.Entries.map((e) => ({ Id: e.Id })), Failed: [] };
    },
  } as unknown as SQSClient;
  const config = parseAgentConfig({
    serverId: 'srv-unit',
    zimbraHome: sim.hostDir,
    stateDir: join(work, 'state'),
    aws: { region: 'us-east-1', bucket: 'backup', ingestQueueUrl: 'https://sqs.local/q.fifo' },
    pollMs: agent.pollMs ?? 5,
    segment: { maxMiB: 4 / 1024, maxAgeSeconds: 0.05 },
    upload: { concurrency: 1, ...upload },
    ...(agent.dumpDirectory && {
      ldap: { url: 'ldap://127.0.0.1:1', bindDn: 'cn=unit', passwordFile: join(work, 'absent') },
    }),
  });
  const shipper = await Shipper.open({
    config,
    s3,
    sqs,
    log: memoryLog(),
    dumpDirectory: agent.dumpDirectory,
  });
  return { sim, shipper, puts, announced };
}

async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('the shipper', () => {
  it('a stop ends reading at once, and what was spooled by then is uploaded and announced', async () => {
    const { shipper, puts, announced } = await setUp(40);
    const controller = new AbortController();
    const running = shipper.run(controller.signal);
    await until(() => shipper.spool.list().length >= 3, 'three spooled segments');
    controller.abort();
    await running;
    assert.deepEqual(shipper.spool.list(), [], 'nothing left spooled');
    assert.ok(announced.length >= 3, `${announced.length} announced`);
    assert.deepEqual(announced, puts, 'each upload announced, in order');
  });

  it('a stop during an LDAP dump waits for the dump, then ships it (it used to stay spooled)', async () => {
    let started: () => void = () => undefined;
    const dumping = new Promise<void>((resolve) => {
      started = resolve;
    });
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const { shipper, announced } = await setUp(
      5,
      {},
      undefined,
      {},
      {
        dumpDirectory: async (_ldap, write) => {
          started();
          await finished;
          await write('dn: dc=unit\ndc: unit\n\n');
          return { entries: 1, dumpedAt: new Date() };
        },
      },
    );
    const controller = new AbortController();
    const running = shipper.run(controller.signal);
    await dumping;
    // The redo shipped meanwhile: the uploader has nothing left but what the dump will spool.
    await until(() => shipper.spool.list().length === 0 && announced.length > 0, 'the redo shipped');
    controller.abort();
    await sleep(50);
    finish();
    await running;
    assert.deepEqual(shipper.spool.list(), [], 'nothing left spooled');
    assert.equal(announced.filter((key) => key.includes('/ldap/')).length, 1, 'the dump announced');
  });

  it('the grace bounds it: with none, what was not uploaded stays spooled for the next start', async () => {
    const { shipper, announced } = await setUp(40, { stopGraceSeconds: 0 });
    const controller = new AbortController();
    const running = shipper.run(controller.signal);
    await until(() => shipper.spool.list().length >= 3, 'three spooled segments');
    controller.abort();
    await running;
    const left = shipper.spool.list();
    assert.ok(left.length >= 2, `${left.length} left spooled`);
    assert.ok(left.every((e) => !announced.includes(e.key)));
  });

  it('after a failure, the error stands until something gets through (a silent network is no recovery)', async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const silence = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The first put fails; the next ones hang, as over a network that went silent; then it answers.
    const gate = async () => {
      calls++;
      if (calls === 1) throw new Error('connect ECONNREFUSED');
      await silence;
    };
    const { shipper, announced } = await setUp(1, { maxBackoffSeconds: 0.05 }, gate);
    const controller = new AbortController();
    const running = shipper.run(controller.signal);
    await until(() => calls >= 2, 'the retry after the failure');
    await sleep(100);
    assert.match(shipper.state.data.lastError?.message ?? '', /ECONNREFUSED/, 'still failing while silent');
    assert.equal(announced.length, 0);
    release();
    await until(() => announced.length > 0 && shipper.state.data.lastError === null, 'recovery');
    controller.abort();
    await running;
  });

  it('holds announcements behind a scan cut without starving the process, and goes on once it is released', async () => {
    const { sim, shipper, puts, announced } = await setUp(1);
    const controller = new AbortController();
    const running = shipper.run(controller.signal);
    await until(() => shipper.spool.list().length === 0 && announced.length > 0, 'the backlog shipped');
    const cut = await shipper.cutForScan(7, 'scan-1');
    // What was read before the cut is still announced.
    await until(() => shipper.spool.list().length === 0, 'the segment cut before the scan announced');
    const before = announced.length;
    sim.run(30);
    await until(() => puts.length > before, 'uploads after the cut');
    await until(() => shipper.spool.list().every((e) => e.uploaded), 'every segment uploaded');
    // Timers still fire while segments wait uploaded behind the cut.
    const ticked = await Promise.race([sleep(50).then(() => true), sleep(5_000).then(() => false)]);
    assert.ok(ticked, 'a timer fired while announcements waited');
    assert.equal(announced.length, before, 'nothing announced past the cut');
    shipper.releaseCut(cut);
    await until(() => shipper.spool.list().length === 0, 'the held segments announced');
    assert.deepEqual(announced, puts);
    controller.abort();
    await running;
  });

  it('serves a scan its cut at once on a quiet log, not at the next poll of it', async () => {
    // A poll every 10 s: only a wake-up on the request serves the cut sooner.
    const { sim, shipper } = await setUp(1, {}, undefined, {}, { pollMs: 10_000 });
    const controller = new AbortController();
    const running = shipper.run(controller.signal);
    const end = sim.redo.position();
    await until(() => {
      const cursor = shipper.state.data.cursor;
      return cursor?.sequence === String(end.sequence) && cursor.offset === end.offset;
    }, 'the log read to its end');
    await sleep(100); // the follower is waiting for the log to change
    const asked = performance.now();
    const cut = await shipper.cutForScan(7, 'scan-1');
    const waited = performance.now() - asked;
    assert.ok(
      waited < 5_000,
      `the cut came after ${Math.round(waited)} ms: the follower slept through the request`,
    );
    shipper.releaseCut(cut);
    controller.abort();
    await running;
  });

  it('starts the next upload as soon as one ends while announcements are slow, not at the next poll', async () => {
    // Uploads end while the uploader is busy announcing: with a 10 s poll (50 s idle waits), only a wake-up
    // on each finished upload ships the backlog in time.
    const { shipper, puts, announced } = await setUp(
      1,
      {},
      undefined,
      {},
      { pollMs: 10_000, announceMs: 30 },
    );
    const controller = new AbortController();
    const running = shipper.run(controller.signal);
    await until(() => shipper.spool.list().length >= 3, 'a backlog spooled');
    await until(() => shipper.spool.list().length === 0, 'the backlog uploaded and announced');
    assert.ok(puts.length >= 3);
    assert.deepEqual(announced, puts);
    controller.abort();
    await running;
  });

  it('shipping once returns as soon as the last announcement is out, not a poll later', async () => {
    // Slow uploads: the log is read (and its end signalled) long before the last announcement.
    const { shipper, puts, announced } = await setUp(100, {}, undefined, {}, { pollMs: 10_000 });
    const started = performance.now();
    await shipper.shipOnce();
    const took = performance.now() - started;
    assert.ok(puts.length >= 3);
    assert.deepEqual(announced, puts);
    assert.ok(
      took < 5_000,
      `shipping once took ${Math.round(took)} ms: it waited after the last announcement`,
    );
  });

  it('records redo files rolled over and deleted unread as a gap, and ships what comes after them', async () => {
    const { sim, shipper, announced } = await setUp(1, {}, undefined, { deleteOnRollover: true });
    await shipper.shipOnce();
    const before = BigInt(shipper.state.data.cursor?.sequence ?? '0');
    // Two files go by while the agent is away: the server rolls them over and deletes them.
    for (let i = 0; i < 2; i++) {
      sim.run(20);
      sim.rollover();
    }
    sim.run(20);
    const report = await shipper.shipOnce();
    const live = BigInt(report.cursor?.sequence ?? '0');
    assert.ok(live > before + 1n, `the cursor went on to the live file (${before} → ${live})`);
    assert.equal(report.gaps.length, 1, JSON.stringify(report.gaps));
    assert.equal(report.gaps[0]?.toSequence, String(live - 1n), 'up to the file before the live one');
    assert.deepEqual(
      shipper.state.data.gaps.map((g) => [g.fromSequence, g.toSequence]),
      report.gaps.map((g) => [g.fromSequence, g.toSequence]),
      'kept in the agent state',
    );
    assert.ok(
      announced.some((key) => key.includes(`/redo/${live}/`)),
      'the live file after the gap is shipped',
    );
  });
});
