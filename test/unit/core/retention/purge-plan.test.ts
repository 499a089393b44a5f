import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '#core/errors.ts';
import { headItem } from '#core/index/entity-items.ts';
import {
  bodiesOf,
  mailboxEndedBefore,
  planMailboxPurge,
  type StoredEntity,
  storedEntityOf,
} from '#core/retention/purge-plan.ts';

const sha = (c: string) => c.repeat(64);
const version = (k: string, from: number, tt: number, body?: string): StoredEntity => ({
  sk: `V#${k}#${from}`,
  k,
  tt,
  st: body ? { kind: 'message', sha256: sha(body) } : {},
});
const head = (k: string, body?: string): StoredEntity => ({
  sk: `H#${k}`,
  k,
  st: body ? { kind: 'message', sha256: sha(body) } : {},
});

describe('planning a mailbox purge', () => {
  const cutoff = 1000;
  it('removes versions that ended before the cutoff, never heads nor later versions', () => {
    const plan = planMailboxPurge(
      [
        version('item:300', 1, 500, 'a'), // moved at 500: its old place is history
        head('item:300', 'a'),
        version('item:301', 1, 999, 'b'), // deleted before the cutoff: gone
        version('item:302', 1, 1000, 'c'), // deleted at the cutoff: still needed at the cutoff
        version('tag:work', 1, 10),
        head('tag:work'),
      ],
      cutoff,
    );
    assert.deepEqual(plan.versions.sort(), ['V#item:300#1', 'V#item:301#1', 'V#tag:work#1']);
    assert.equal(plan.itemsGone, 1);
    // Item 300 still holds body a in its head: only item 301's reference goes.
    assert.deepEqual(plan.references, [{ sha256: sha('b'), itemId: 301 }]);
  });

  it('takes everything of a mailbox deleted before the cutoff, current heads included', () => {
    const deleted = [version('mailbox', 1, 800), { sk: 'H#MBX', k: 'mailbox', st: null }];
    assert.ok(mailboxEndedBefore(deleted, cutoff));
    assert.ok(!mailboxEndedBefore([version('mailbox', 1, 800)], 700), 'deleted after this cutoff');
    assert.ok(!mailboxEndedBefore([version('mailbox', 1, 800), head('mailbox')], cutoff), 'live again');
    const plan = planMailboxPurge([head('item:300', 'a'), version('item:301', 1, 400, 'b')], cutoff, true);
    assert.deepEqual(plan.versions.sort(), ['H#item:300', 'V#item:301#1']);
    assert.equal(plan.itemsGone, 2);
    assert.deepEqual(plan.references, [
      { sha256: sha('a'), itemId: 300 },
      { sha256: sha('b'), itemId: 301 },
    ]);
  });

  it('keeps a reference while any remaining version of the item has that body', () => {
    const plan = planMailboxPurge(
      [
        version('item:7', 1, 100, 'draft1'),
        version('item:7', 2, 200, 'draft2'),
        version('item:7', 3, 5000, 'draft2'),
      ],
      cutoff,
    );
    assert.equal(plan.versions.length, 2);
    assert.equal(plan.itemsGone, 0);
    assert.deepEqual(plan.references, [{ sha256: sha('draft1'), itemId: 7 }]);
  });

  it("lets a contact's old body go like a message's, and keeps the one its head still holds", () => {
    const contact = (sk: string, body: string, tt?: number): StoredEntity => ({
      sk,
      k: 'item:9',
      ...(tt !== undefined ? { tt } : {}),
      st: { kind: 'contact', sha256: sha(body) },
    });
    const plan = planMailboxPurge(
      [contact('V#item:9#1', 'v1', 100), contact('V#item:9#2', 'v2', 200), contact('H#item:9', 'v2')],
      cutoff,
    );
    assert.deepEqual(plan.versions.sort(), ['V#item:9#1', 'V#item:9#2']);
    assert.deepEqual(plan.references, [{ sha256: sha('v1'), itemId: 9 }]);
  });
});

describe('stored entities as purge reads them', () => {
  it('take heads and versions of every kind as stored, a contact without a body included', () => {
    const message = storedEntityOf({
      pk: 'MBX#s#7',
      sk: 'V#item:9#1',
      k: 'item:9',
      tt: 5,
      st: { kind: 'message', sha256: sha('a'), size: 3 },
    });
    assert.deepEqual(bodiesOf(message), [sha('a')]);
    const contact = storedEntityOf({
      pk: 'MBX#s#7',
      sk: 'H#item:10',
      k: 'item:10',
      st: { kind: 'contact', sha256: null },
    });
    assert.deepEqual(bodiesOf(contact), []);
    const photo = storedEntityOf({
      pk: 'MBX#s#7',
      sk: 'V#item:12#1',
      k: 'item:12',
      tt: 5,
      st: { kind: 'contact', sha256: sha('c') },
    });
    assert.deepEqual(bodiesOf(photo), [sha('c')], "a contact's body is referred to like a message's");
    const tombstone = storedEntityOf({ pk: 'MBX#s#7', sk: 'H#item:11', k: 'item:11' });
    assert.equal(tombstone.st, undefined);
  });

  it("read a document's revisions from a state stored deflated, as the indexer stores a large one", () => {
    const revision = (n: number, body: string) => ({
      version: n,
      name: `Quarterly figures, draft ${n} of many, with comments from everyone in the team.ods`,
      contentType: 'application/vnd.oasis.opendocument.spreadsheet',
      author: 'ann@example.com',
      date: 1_700_000_000_000 + n,
      size: 4096,
      digest: 'ZGlnZXN0',
      sha256: sha(body),
    });
    const state = {
      kind: 'document' as const,
      type: 'document' as const,
      folderId: 16,
      flags: 0,
      tags: [],
      name: 'figures.ods',
      description: '',
      revisions: [revision(1, 'a'), revision(2, 'b'), revision(3, 'c'), revision(4, 'd'), revision(5, 'e')],
    };
    const stored = headItem('s', 7, 'item:13', {
      state,
      fromPos: '1',
      fromTime: 1,
      prevFrom: null,
      prevTo: null,
      op: 'SaveDocument',
    });
    assert.ok(stored.sz !== undefined && stored.st === undefined, 'stored deflated');
    assert.deepEqual(bodiesOf(storedEntityOf(stored)), ['a', 'b', 'c', 'd', 'e'].map(sha));
  });

  it('refuse an item whose key, end time or bodies are not what the index writes, naming it', () => {
    assert.throws(
      () => storedEntityOf({ pk: 'MBX#s#7', sk: 'V#item:9#1', tt: '5', st: {} }),
      (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.match(error.message, /index item MBX#s#7 V#item:9#1/);
        assert.match(error.message, /k\b/);
        assert.match(error.message, /tt/);
        return true;
      },
    );
    assert.throws(
      () => storedEntityOf({ pk: 'p', sk: 'H#1', k: 'item:1', st: { kind: 'document', revisions: [{}] } }),
      /revisions/,
    );
  });
});
