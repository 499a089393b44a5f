import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IngestMessage } from '#core/announcement.ts';
import { serverKeys } from '#core/storage/server-keys.ts';
import { ingestRefusal } from '#functions/index/authenticate-ingest.ts';

// A host that owns one mail server must not get another server's objects indexed, nor queue indexing work.

const sha = (c: string) => c.repeat(64);
const INTERNAL = { internal: ['AROAINDEXER', 'AROACONTROL'], servers: {} };
const IDENTIFIED = { ...INTERNAL, servers: { 'srv-a': 'AROASRVA', 'srv-b': 'AROASRVB' } };
const segment = (serverId: string, key: string): IngestMessage => ({
  type: 'redo-segment',
  serverId,
  seq: '7',
  firstOffset: '512',
  lastOffset: '1024',
  key,
  sha256: sha('a'),
  size: 512,
  storedSize: 100,
  codec: 'zstd',
  shippedAt: '2026-12-05T10:00:00.000Z',
});
const scan = (serverId: string, key: string): IngestMessage => ({
  type: 'scan-snapshot',
  serverId,
  key,
  sha256: sha('b'),
  size: 10,
  storedSize: 10,
  codec: 'zstd',
  seq: '7',
  offset: '1024',
  scanId: 'full-1',
  scanKind: 'full',
  mailboxId: 3,
  accountId: 'acct-1',
  items: 1,
  takenAt: '2026-12-05T10:00:00.000Z',
  shippedAt: '2026-12-05T10:00:01.000Z',
});

describe('who may put what on the ingest queue', () => {
  it('takes an object announced under its own server, by whoever sends it', () => {
    const key = serverKeys.segment('srv-a', '7', 512, 1024, sha('a'));
    assert.equal(ingestRefusal(segment('srv-a', key), 'AROAHOST:i-1', INTERNAL), undefined);
    const scanKey = serverKeys.scan('srv-a', 'acct-1', '2026-12-05T10:00:00.000Z', sha('b'));
    assert.equal(ingestRefusal(scan('srv-a', scanKey), 'AROAHOST:i-1', INTERNAL), undefined);
  });

  it("refuses another server's object, a key for other bytes or offsets, and a key outside the layout", () => {
    const other = serverKeys.segment('srv-b', '7', 512, 1024, sha('a'));
    assert.match(
      ingestRefusal(segment('srv-a', other), 'AROAHOST:i-1', INTERNAL) ?? '',
      /not one of that server's objects/,
    );
    const moved = serverKeys.segment('srv-a', '7', 0, 1024, sha('a'));
    assert.match(
      ingestRefusal(segment('srv-a', moved), 'x', INTERNAL) ?? '',
      /another object than the one announced/,
    );
    const bytes = serverKeys.segment('srv-a', '7', 512, 1024, sha('c'));
    assert.match(ingestRefusal(segment('srv-a', bytes), 'x', INTERNAL) ?? '', /holds digest c+, not a+/);
    const traversal = `servers/srv-a/../srv-b/redo/7/512-1024.${sha('a')}`;
    assert.ok(ingestRefusal(segment('srv-a', traversal), 'x', INTERNAL));
    const otherAccount = serverKeys.scan('srv-a', 'acct-2', '2026-12-05T10:00:00.000Z', sha('b'));
    assert.ok(ingestRefusal(scan('srv-a', otherAccount), 'x', INTERNAL));
  });

  it("takes indexing work only from offsite's own functions", () => {
    const bridge: IngestMessage = {
      type: 'index-bridge',
      serverId: 'srv-a',
      seq: '7',
      offset: '512',
      requestedAt: '2026-12-05T10:00:00.000Z',
    };
    assert.equal(ingestRefusal(bridge, 'AROACONTROL:offsite-control', INTERNAL), undefined);
    assert.match(
      ingestRefusal(bridge, 'AROAHOST:i-1', INTERNAL) ?? '',
      /index-bridge is queued only by offsite's own functions, not by sender AROAHOST:i-1/,
    );
    const goOn: IngestMessage = { type: 'index-continue', serverId: 'srv-a' };
    assert.equal(ingestRefusal(goOn, 'AROAINDEXER:offsite-indexer', INTERNAL), undefined);
    assert.ok(
      ingestRefusal(goOn, 'AROAINDEXERX:offsite-indexer', INTERNAL),
      'the whole role id, not a prefix',
    );
  });

  it('takes an object of a server with an identity only from its agent, or from offsite itself (an import)', () => {
    const key = serverKeys.segment('srv-a', '7', 512, 1024, sha('a'));
    assert.equal(ingestRefusal(segment('srv-a', key), 'AROASRVA:mail1', IDENTIFIED), undefined);
    assert.equal(ingestRefusal(segment('srv-a', key), 'AROACONTROL:offsite-transfer', IDENTIFIED), undefined);
    assert.match(
      ingestRefusal(segment('srv-a', key), 'AROASRVB:mail2', IDENTIFIED) ?? '',
      /redo-segment of server srv-a was not sent by its agent \(sender AROASRVB:mail2\)/,
    );
    const unknown = serverKeys.segment('srv-z', '7', 512, 1024, sha('a'));
    assert.match(
      ingestRefusal(segment('srv-z', unknown), 'AROASRVA:mail1', IDENTIFIED) ?? '',
      /has no identity/,
    );
    // Its own agent still cannot announce a key outside its objects.
    const other = serverKeys.segment('srv-b', '7', 512, 1024, sha('a'));
    assert.ok(ingestRefusal(segment('srv-a', other), 'AROASRVA:mail1', IDENTIFIED));
  });
});
