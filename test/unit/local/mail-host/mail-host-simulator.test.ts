// Round trip: simulator workload → redo files → reader → transaction assembler → replay reproduces the
// simulator's ground truth at many instants.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { fileSource } from '#core/redo/byte-source.ts';
import { listRedoLogFiles } from '#core/redo/list-redo-log-files.ts';
import { type RedoEvent, readRedo } from '#core/redo/redo-reader.ts';
import { MailStateReplayer } from '#core/redo/replay-mail-state.ts';
import { type CommittedTxn, TransactionAssembler } from '#core/redo/transaction-assembler.ts';
import { blobStorePath } from '#core/scan/blob-store-path.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { MailHostSimulator, type SimulatorAction } from '#local/mail-host/mail-host-simulator.ts';
import { forceActions, RARE_ACTIONS } from '#test/support/forced-actions.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function hostDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'offsite-sim-'));
  dirs.push(d);
  return d;
}

const logFiles = (host: string) => listRedoLogFiles(join(host, 'redolog'));

async function readAll(files: string[]) {
  const assembler = new TransactionAssembler();
  const committed: CommittedTxn[] = [];
  const tails: RedoEvent[] = [];
  for (const file of files) {
    const source = await fileSource(file);
    try {
      for await (const e of readRedo(source, { captureBodies: Number.POSITIVE_INFINITY })) {
        if (e.kind === 'record') {
          const txn = assembler.push(e.record);
          if (txn) committed.push(txn);
        } else if (e.kind === 'unparsed') assert.fail(`unparsed bytes in ${file}: ${e.reason}`);
        else if (e.kind === 'end' || e.kind === 'incomplete') tails.push(e);
      }
    } finally {
      await source.close();
    }
  }
  return { committed, assembler, tails };
}

function replayUpTo(committed: CommittedTxn[], time: number) {
  const replayer = new MailStateReplayer();
  for (const txn of committed) if (txn.commitTime <= time) replayer.apply(txn);
  return replayer;
}

const EVERY_ACTION = [
  'deliver',
  'deliver-shared',
  'deliver-threaded',
  'conversation',
  'move',
  'trash',
  'empty-trash',
  'draft',
  'create-contact',
  'rename-folder',
  'copy',
  'imap-copy',
  'rename-tag',
  'invite',
  'create-appointment',
  'create-task',
  'update-invite',
  'cancel-invite',
  'reply-invite',
  'delete-calendar-item',
  'ical-reply',
  'save-document',
  'revise-document',
  'purge-revision',
  'rename-document',
  'delete-document',
];

describe('mail-host simulator round trip', () => {
  it('reproduces the ground truth at 30 random instants across rollovers', async () => {
    const host = hostDir();
    const sim = new MailHostSimulator({ hostDir: host, seed: 42, accounts: 6, rolloverBytes: 96 * 1024 });
    sim.run(1500);
    // Whatever the seed drew, every action happens (forceActions throws when one cannot).
    // (Shared deliveries, invites and cancels are kinds of what other actions draw, counted apart.)
    const kinds = ['deliver-shared', 'deliver-threaded', 'invite', 'cancel-invite'];
    forceActions(sim, [
      ...(EVERY_ACTION.filter((a) => !kinds.includes(a)) as SimulatorAction[]),
      ...RARE_ACTIONS,
    ]);
    for (const action of EVERY_ACTION) assert.ok((sim.counts[action] ?? 0) > 0, `workload did not ${action}`);
    sim.close();
    const files = logFiles(host);
    assert.ok(files.length >= 5, `expected several rollovers, got ${files.length} files`);
    const { committed, assembler, tails } = await readAll(files);
    assert.ok(
      tails.every((t) => t.kind === 'end'),
      'every closed file ends cleanly',
    );
    assert.equal(assembler.pending().length, 0);
    assert.ok(assembler.counts.aborted > 0, 'the workload aborts some transactions');
    const calendar = Object.values(sim.current().mailboxes).flatMap((m) => Object.values(m.calendar));
    assert.ok(
      calendar.some((c) => c.invites.length > 1),
      'some calendar item has an exception',
    );
    const documents = Object.values(sim.current().mailboxes).flatMap((m) => Object.values(m.documents));
    assert.ok(
      documents.some((d) => d.revisions.length > 1),
      'some document has several revisions',
    );

    const times = sim.commitTimes();
    const instants = [
      times[0] as number,
      ...Array.from({ length: 28 }, (_, i) => times[Math.floor(((i + 1) * times.length) / 29)] as number),
      sim.time(),
    ];
    for (const t of instants) {
      const replayer = replayUpTo(committed, t);
      assert.deepEqual(replayer.state, sim.truthAt(t), `state at ${new Date(t).toISOString()}`);
      assert.deepEqual(replayer.warnings, []);
    }
    // Between two commits the state is the earlier one: a rolled-back instant is not a commit instant.
    const mid = ((times[10] as number) + (times[11] as number)) / 2;
    assert.deepEqual(replayUpTo(committed, mid).state, sim.truthAt(times[10] as number));
  });

  it('keeps blobs in the blob-store layout, byte for byte', () => {
    const host = hostDir();
    const sim = new MailHostSimulator({ hostDir: host, seed: 7, accounts: 3 });
    sim.run(200);
    sim.close();
    const truth = sim.current();
    let checked = 0;
    let gzipped = 0;
    for (const [mbox, state] of Object.entries(truth.mailboxes)) {
      for (const [id, msg] of Object.entries(state.messages)) {
        const dir = join(host, 'store', '0', blobStorePath(Number(mbox), Number(id), 0)).replace(
          /-0\.msg$/,
          '',
        );
        const parent = join(dir, '..');
        const file = readdirSync(parent).find((f) => f.startsWith(`${id}-`));
        assert.ok(file, `blob of ${mbox}/${id}`);
        const stored = readFileSync(join(parent, file));
        // Large blobs are gzipped on the volume (spec §5: check the magic).
        const plain = stored[0] === 0x1f && stored[1] === 0x8b ? gunzipSync(stored) : stored;
        if (plain !== stored) gzipped++;
        assert.equal(sha256Hex(plain), msg.sha256);
        checked++;
      }
    }
    assert.ok(checked > 20);
    assert.ok(gzipped > 0, 'some large blobs are gzipped on the volume');
    // Every live account is in the directory dump, under its domain's people.
    const ldif = readFileSync(join(host, 'ldap', 'directory.ldif'), 'utf8');
    const live = sim.accounts.filter((a) => !a.deleted);
    assert.ok(live.length > 0);
    for (const account of live) {
      const [local, domain] = account.name.split('@') as [string, string];
      assert.ok(
        ldif.includes(
          `dn: uid=${local},ou=people,${domain
            .split('.')
            .map((d) => `dc=${d}`)
            .join(',')}`,
        ),
        `${account.name} in the dump`,
      );
    }
  });

  it('is reproducible from its seed', () => {
    const run = (seed: number) => {
      const host = hostDir();
      const sim = new MailHostSimulator({ hostDir: host, seed, accounts: 3 });
      sim.run(300);
      sim.close();
      return readFileSync(join(host, 'redolog', 'redo.log'));
    };
    assert.deepEqual(run(5), run(5));
    assert.notDeepEqual(run(5), run(6));
  });

  it('survives a crash: open = 1 and a torn record, then a restart that settles open transactions', async () => {
    const host = hostDir();
    const sim = new MailHostSimulator({
      hostDir: host,
      seed: 99,
      accounts: 4,
      rolloverBytes: 64 * 1024 * 1024,
    });
    sim.run(400);
    sim.crash();
    const crashed = readFileSync(join(host, 'redolog', 'redo.log'));
    assert.equal(crashed[7], 1, 'open byte stays 1 after a crash');
    sim.restart();
    sim.run(300);
    sim.close();
    const files = logFiles(host);
    assert.equal(files.length, 2);
    const { committed, tails, assembler } = await readAll(files);
    assert.equal(tails[0]?.kind, 'incomplete', 'the crashed file ends in a torn record');
    assert.equal(tails[1]?.kind, 'end');
    assert.deepEqual(
      assembler.pending().map((p) => p.ops.length),
      [],
      'no transaction left open',
    );
    const replayer = replayUpTo(committed, sim.time());
    assert.deepEqual(replayer.state, sim.truthAt(sim.time()));
  });

  it('deletes the old file on rollover when configured (the open-source default)', () => {
    const host = hostDir();
    const sim = new MailHostSimulator({
      hostDir: host,
      seed: 3,
      accounts: 3,
      deleteOnRollover: true,
      rolloverBytes: 32 * 1024,
    });
    sim.run(400);
    sim.close();
    assert.deepEqual(readdirSync(join(host, 'redolog', 'archive')), []);
    assert.ok(sim.redo.closedFiles.length > 2);
    assert.ok(sim.redo.closedFiles.every((f) => f.deleted && !existsSync(f.path)));
  });
});
