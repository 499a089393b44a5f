import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { itemKey, MAILBOX_KEY, type MessageEntity } from '#core/index/index-entity.ts';
import { VersionOverlay } from '#core/index/version-overlay.ts';
import { seededRandom } from '#core/seeded-random.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { forceActions } from '#test/support/forced-actions.ts';
import { MemoryIndex } from '#test/support/memory-index.ts';
import { randomInstants } from '#test/support/random-instants.ts';
import { simulatedTransactions } from '#test/support/simulated-transactions.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const folder = (name: string) => ({ kind: 'folder' as const, name, parentId: 1 });

describe('VersionOverlay', () => {
  it('closes the previous version at each change and keeps a chain back through tombstones', () => {
    const overlay = new VersionOverlay();
    overlay.load(1, itemKey(300), null);
    overlay.begin('p1', 1000, 'CreateFolder');
    overlay.set(1, itemKey(300), folder('a'));
    overlay.begin('p2', 2000, 'RenameFolder');
    overlay.set(1, itemKey(300), folder('b'));
    overlay.begin('p3', 3000, 'DeleteItem');
    overlay.set(1, itemKey(300), null);
    assert.deepEqual(
      overlay.versions.map((v) => [v.fromPos, v.toPos, v.op, v.endedBy, (v.state as { name: string }).name]),
      [
        ['p1', 'p2', 'CreateFolder', 'RenameFolder', 'a'],
        ['p2', 'p3', 'RenameFolder', 'DeleteItem', 'b'],
      ],
    );
    assert.deepEqual(overlay.changedHeads(), [
      {
        mailboxId: 1,
        key: itemKey(300),
        head: { state: null, fromPos: 'p3', fromTime: 3000, prevFrom: 'p2', prevTo: 3000, op: 'DeleteItem' },
      },
    ]);
    // Created again: the chain goes back to the last live version, which ended at the deletion, not now.
    overlay.begin('p4', 4000, 'CreateFolder');
    overlay.set(1, itemKey(300), folder('d'));
    assert.equal(overlay.versions.length, 2);
    assert.deepEqual(overlay.changedHeads()[0]?.head, {
      state: folder('d'),
      fromPos: 'p4',
      fromTime: 4000,
      prevFrom: 'p2',
      prevTo: 3000,
      op: 'CreateFolder',
    });
  });

  it('makes one version of several changes in one transaction, and none of deleting nothing', () => {
    const overlay = new VersionOverlay();
    overlay.load(1, itemKey(300), {
      state: folder('a'),
      fromPos: 'p0',
      fromTime: 0,
      prevFrom: null,
      prevTo: null,
      op: 'x',
    });
    overlay.load(1, itemKey(301), null);
    overlay.begin('p1', 1000, 'MoveItem');
    overlay.set(1, itemKey(300), folder('b'));
    overlay.set(1, itemKey(300), folder('c'));
    overlay.set(1, itemKey(301), null);
    assert.equal(overlay.versions.length, 1);
    assert.equal(overlay.get(1, itemKey(300))?.kind, 'folder');
    assert.deepEqual(
      overlay.changedHeads().map((h) => [h.key, (h.head.state as { name: string }).name]),
      [[itemKey(300), 'c']],
    );
  });

  it('makes no version of a change to what the entity already is, and keeps when it last changed', () => {
    const overlay = new VersionOverlay();
    const message: MessageEntity = {
      kind: 'message',
      folderId: 2,
      flags: 1,
      tags: ['a'],
      digest: 'd',
      size: 10,
      sha256: 'a'.repeat(64),
      receivedDate: 1_795_000_000_000,
    };
    overlay.load(1, itemKey(400), {
      state: message,
      fromPos: 'p0',
      fromTime: 500,
      prevFrom: null,
      prevTo: null,
      op: 'CreateMessage',
    });
    overlay.begin('p1', 1000, 'AlterItemTag');
    overlay.set(1, itemKey(400), { ...message, tags: ['a'] });
    overlay.begin('p2', 2000, 'MoveItem');
    overlay.set(1, itemKey(400), { ...message, folderId: 2 });
    assert.equal(overlay.versions.length, 0);
    assert.deepEqual(overlay.changedHeads(), []);
    assert.equal(overlay.changedAt(1, itemKey(400)), 500);
    overlay.begin('p3', 3000, 'MoveItem');
    overlay.set(1, itemKey(400), { ...message, folderId: 5 });
    assert.deepEqual(
      overlay.versions.map((v) => [v.fromPos, v.toPos, v.endedBy]),
      [['p0', 'p3', 'MoveItem']],
    );
    assert.equal(overlay.changedAt(1, itemKey(400)), 3000);
  });

  it('records where the earliest body it linked a message to was stored, among bodies stored before it', () => {
    const overlay = new VersionOverlay();
    overlay.loadIncoming({ path: '/a', sha256: 'a', size: 1, pos: 'P2' });
    overlay.loadIncoming({ path: '/b', sha256: 'b', size: 1, pos: 'P1' });
    overlay.loadIncoming({ path: '/old', sha256: 'o', size: 1 });
    overlay.begin('P5', 5, 'StoreIncomingBlob');
    overlay.storeIncoming({ path: '/c', sha256: 'c', size: 1 }, []);
    assert.equal(overlay.newIncoming[0]?.pos, 'P5', 'a body stored here says where');
    overlay.incoming('/c', 1);
    overlay.incoming('/old', 1);
    assert.equal(overlay.linkedFrom, undefined, 'its own bodies, and ones stored before positions were kept');
    overlay.incoming('/a', 1);
    assert.equal(overlay.linkedFrom, 'P2');
    overlay.incoming('/b', 1);
    overlay.incoming('/a', 1);
    assert.equal(overlay.linkedFrom, 'P1');
  });

  it('keeps an incoming blob for later batches unless every mailbox its delivery named linked it here', () => {
    const overlay = new VersionOverlay();
    overlay.begin('P1', 1, 'StoreIncomingBlob');
    overlay.storeIncoming({ path: '/all', sha256: 'a', size: 1 }, [1, 2, 2]);
    overlay.storeIncoming({ path: '/some', sha256: 's', size: 1 }, [1, 3]);
    overlay.storeIncoming({ path: '/unlisted', sha256: 'u', size: 1 }, []);
    overlay.storeIncoming({ path: '/none', sha256: 'n', size: 1 }, [4]);
    overlay.begin('P2', 2, 'CreateMessage');
    for (const mailboxId of [1, 2]) overlay.incoming('/all', mailboxId);
    overlay.incoming('/some', 1);
    overlay.incoming('/some', 9);
    overlay.incoming('/unlisted', 1);
    assert.deepEqual(
      overlay.newIncoming.map((b) => b.path),
      ['/some', '/unlisted', '/none'],
      'the blob every named mailbox linked needs no item; one a named mailbox has not linked, or with no list, does',
    );
    overlay.storeIncoming({ path: '/all', sha256: 'a', size: 1 }, [5]);
    assert.ok(
      overlay.newIncoming.some((b) => b.path === '/all'),
      'stored again for another delivery: awaited again',
    );
  });

  it('refuses to read what was not loaded, so a missing need cannot pass silently', () => {
    const overlay = new VersionOverlay();
    assert.throws(() => overlay.get(7, MAILBOX_KEY), /without being loaded/);
    assert.throws(() => [...overlay.list(7)], /loaded completely/);
    overlay.markComplete(7);
    assert.equal(overlay.get(7, MAILBOX_KEY), null);
  });

  it('reproduces the ground truth at 100 random instants of a three-day workload, batch by batch', async () => {
    const host = mkdtempSync(join(tmpdir(), 'offsite-versions-'));
    dirs.push(host);
    const sim = new MailHostSimulator({
      hostDir: host,
      seed: 7,
      accounts: 8,
      rolloverBytes: 128 * 1024,
      tickMaxMs: 60_000,
    });
    sim.run(3000);
    // Whatever the seed drew, these happen (forceActions throws when one cannot).
    forceActions(sim, [
      'rename-account',
      'delete-mailbox',
      'empty-trash',
      'move',
      'rename-folder',
      'purge-imap',
      'conversation',
    ]);
    assert.ok((sim.counts['deliver-threaded'] ?? 0) > 0, 'some deliveries are threaded');
    sim.close();
    const days = (sim.time() - (sim.commitTimes()[0] ?? 0)) / 86_400_000;
    assert.ok(days > 2, `the workload spans ${days.toFixed(1)} days`);

    const txns = await simulatedTransactions(host);
    const index = new MemoryIndex();
    const random = seededRandom(11);
    for (let i = 0; i < txns.length; ) {
      const size = 1 + Math.floor(random() * 60);
      const overlay = index.applyBatch(txns.slice(i, i + size));
      assert.deepEqual(overlay.warnings, []);
      i += size;
    }
    for (const t of randomInstants(sim.commitTimes(), 100, random)) {
      assert.deepEqual(index.snapshotAt(t), sim.truthAt(t), `state at ${new Date(t).toISOString()}`);
    }
  });
});
