import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { accountMailboxItem } from '#core/index/account-mailbox-item.ts';
import { applyTransaction, entityNeeds, transactionOp } from '#core/index/apply-transaction.ts';
import { catalogEntryOfKind, type SegmentEntry } from '#core/index/catalog-entries.ts';
import type { Item } from '#core/index/entity-items.ts';
import { IndexInputError } from '#core/index/errors.ts';
import { bodiesOf, itemIdOf } from '#core/index/index-entity.ts';
import { parseRedoPosition, redoPosition } from '#core/index/redo-position.ts';
import { uncertainMark } from '#core/index/server-marks.ts';
import { countByOp, type UndecodedRecord } from '#core/index/undecoded-record.ts';
import { VersionOverlay } from '#core/index/version-overlay.ts';
import { indexKeys, keyPrefixes } from '#core/index-keys.ts';
import { bufferSource } from '#core/redo/byte-source.ts';
import { opName } from '#core/redo/op-codes.ts';
import { isTreatedAsUnknown, opEffect } from '#core/redo/op-effects.ts';
import { readRedo } from '#core/redo/redo-reader.ts';
import type { RecordHeader, RedoRecord } from '#core/redo/redo-record.ts';
import { type CommittedTxn, TransactionAssembler } from '#core/redo/transaction-assembler.ts';
import { formatVersion } from '#core/redo/version.ts';
import { MAX_HELD_REFS } from '#core/storage/body-location.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';
import { SegmentCorruptError } from '#functions/index/errors.ts';
import type { IndexCursor, PendingRef, PendingTxnRef } from '#functions/index/index-cursor.ts';
import { incomingItem, incomingRefItem, loadEntities } from '#functions/index/load-entities.ts';
import { type DeletedHead, persistOverlay, type TransactItem } from '#functions/index/persist-overlay.ts';
import { fetchPlaintext } from '#functions/index/segment-object.ts';
import { rewriteLostBodies, storeBodies } from '#functions/index/store-bodies.ts';

export interface IndexTarget {
  table: string;
  bucket: string;
  serverId: string;
}

export interface SegmentResult {
  /** The segment's S3 key. */
  segment: string;
  transactions: number;
  ops: number;
  versions: number;
  heads: number;
  /**
   * Records that did not decode (an op code no known release writes, or data that does not read): skipped,
   * their mailbox marked uncertain from there; indexing goes on.
   */
  undecoded: UndecodedRecord[];
  /**
   * Committed ops whose result the record does not carry (a retention purge, a calendar fix): nothing
   * applied, their mailbox marked uncertain from their commit until a scan restates it.
   */
  resultNotRecorded: UndecodedRecord[];
  /** Committed ops whose mailbox data the index does not apply yet (kept in the segment), by op. */
  notApplied: Record<string, number>;
  bodiesWritten: number;
  pending: number;
  /** The earliest position of a body stored by an earlier segment that this one linked a message to. */
  linkedFrom?: string;
  warnings: string[];
}

/**
 * Indexes one redo segment, the next one after `cursor`: parses it, completes transactions (with those
 * carried over from earlier segments), applies the committed ones to the entities they touch, and writes
 * in an order that makes a retry after a crash at any point compute the same writes again: bodies, then
 * closed versions (and incoming blobs, references, the list of heads it deletes), then heads, then the
 * cursor, then the list's clean-up. `deleted`: the heads a try of it that a crash cut short deleted.
 */
export async function indexSegment(
  target: IndexTarget,
  segment: SegmentEntry,
  cursor: IndexCursor | undefined,
  deleted: readonly DeletedHead[] = [],
): Promise<SegmentResult> {
  const segmentStart = redoPosition(segment.seq, segment.firstOffset);
  const seqOf = new WeakMap<RedoRecord, string>();
  const expected = Number(BigInt(segment.lastOffset) - BigInt(segment.firstOffset));
  const plain = await fetchPlaintext(target.bucket, segment.s3Key, segment.sha256, segment.codec, expected);
  if (plain.length !== expected)
    throw new SegmentCorruptError(`${segment.s3Key} holds ${plain.length} bytes, its name says ${expected}`);

  const assembler = new TransactionAssembler(await loadPending(target, cursor?.pending ?? [], seqOf));
  const committed: { seq: string; txn: CommittedTxn }[] = [];
  const undecoded: UndecodedRecord[] = [];
  const opTimes: number[] = [];
  for await (const event of readRedo(bufferSource(plain), {
    origin: Number(segment.firstOffset),
    from: Number(segment.firstOffset),
    final: true,
    captureBodies: Number.POSITIVE_INFINITY,
  })) {
    if (event.kind === 'header' && String(event.header.sequence) !== segment.seq) {
      throw new SegmentCorruptError(
        `${segment.s3Key} starts a redo file with sequence ${event.header.sequence}, not ${segment.seq}`,
      );
    }
    if (event.kind === 'unparsed') {
      if (event.header) {
        undecoded.push(undecodedRecord(event.header, event.offset, event.end, event.reason));
        continue;
      }
      throw new SegmentCorruptError(
        `${segment.s3Key}: bytes ${event.offset}-${event.end} of redo file ${segment.seq} are not redo records (${event.reason})`,
      );
    }
    if (event.kind === 'incomplete')
      throw new SegmentCorruptError(`${segment.s3Key} ends inside a record at offset ${event.offset}`);
    if (event.kind !== 'record') continue;
    opTimes[opTimes.length === 0 ? 0 : 1] = event.record.header.timestamp;
    if (isTreatedAsUnknown(event.record.data.op)) {
      const { header, offset, length, data } = event.record;
      undecoded.push(
        undecodedRecord(header, offset, offset + length, `${data.op} is not modelled by this build`),
      );
      continue;
    }
    seqOf.set(event.record, segment.seq);
    const txn = assembler.push(event.record);
    if (txn) committed.push({ seq: segment.seq, txn });
  }

  const overlay = new VersionOverlay();
  const stale = await loadEntities(
    { table: target.table, serverId: target.serverId, segmentStart, deleted },
    overlay,
    committed.flatMap(({ txn }) => entityNeeds(txn)),
  );
  let ops = 0;
  for (const { seq, txn } of committed) {
    overlay.begin(redoPosition(seq, txn.commit.offset), txn.commitTime, transactionOp(txn));
    try {
      applyTransaction(txn, overlay);
    } catch (error) {
      if (error instanceof IndexInputError)
        throw new SegmentCorruptError(`${segment.s3Key}: ${error.message}`, { cause: error });
      throw error;
    }
    ops += txn.ops.length;
  }

  const notApplied: Record<string, number> = {};
  for (const { txn } of committed)
    for (const { data } of txn.ops)
      if (opEffect(data.op) === 'not-applied') notApplied[data.op] = (notApplied[data.op] ?? 0) + 1;
  // Marked where they took effect: at their transaction's commit, in this segment.
  const resultNotRecorded = overlay.uncertainties.map(
    ({ record, reason, pos, time }): UndecodedRecord => ({
      ...undecodedRecord(record.header, commitOffset(pos), commitOffset(pos), reason),
      time,
      cause: 'result-not-recorded',
    }),
  );

  // Before the bodies' locations are read: a sweep that finished before this cannot have dropped one since.
  const bodiesSeenAt = Date.now();
  const references = referenceItems(target.serverId, overlay, segmentStart);
  const stored = await storeBodies(
    { bucket: target.bucket, table: target.table },
    overlay.bodies,
    heldReferences(references),
  );
  const bodiesWritten = stored.written;
  const heads = overlay.changedHeads();
  const pending = assembler.pending().map(
    (txn): PendingTxnRef => ({
      txnId: txn.txnId,
      ops: txn.ops.map(
        (r): PendingRef => ({ seq: seqOf.get(r) ?? segment.seq, offset: r.offset, length: r.length }),
      ),
    }),
  );
  const result: SegmentResult = {
    segment: segment.s3Key,
    transactions: committed.length,
    ops,
    versions: overlay.versions.length,
    heads: heads.length,
    undecoded,
    resultNotRecorded,
    notApplied,
    bodiesWritten,
    pending: pending.length,
    ...(overlay.linkedFrom !== undefined ? { linkedFrom: overlay.linkedFrom } : {}),
    warnings: overlay.warnings,
  };
  await persistOverlay(target.table, target.serverId, overlay, {
    extra: [
      ...overlay.newIncoming.flatMap((blob) => [
        incomingItem(target.serverId, blob),
        incomingRefItem(target.serverId, blob),
      ]),
      // A reference a body's location holds needs no item of its own.
      ...references.filter((r) => {
        const sha256 = shaOfBlob(r);
        return sha256 === undefined || !stored.heldRefs.get(sha256)?.has(String(r.sk));
      }),
      ...[...undecoded, ...resultNotRecorded].map((u) => uncertainMark(target.serverId, segment, u)),
    ],
    commit: commitItems(target, segment, cursor, pending, committed.at(-1)?.txn.commitTime, result, opTimes),
    cleanupAt: redoPosition(segment.seq, segment.lastOffset),
    stale,
  });
  // A purge may have dropped one of these bodies after storeBodies saw it located and before the references
  // above were written: it is written again.
  await rewriteLostBodies({ table: target.table, bucket: target.bucket }, overlay.bodies, bodiesSeenAt);
  return result;
}

const commitOffset = (pos: string): number => Number(parseRedoPosition(pos).offset);

/** A record skipped undecoded, where it is and what its header says. */
function undecodedRecord(header: RecordHeader, offset: number, end: number, reason: string): UndecodedRecord {
  return {
    offset,
    end,
    op: opName(header.opCode),
    version: formatVersion(header.version),
    mailboxId: header.mailboxId,
    reason,
    time: header.timestamp,
  };
}

/**
 * Ops that give an item a body: deliveries, drafts, contacts, document revisions, and copies (the copy shares
 * the source's blob).
 */
const BODY_OPS: ReadonlySet<string> = new Set([
  'CreateMessage',
  'SaveDraft',
  'CreateChat',
  'SaveChat',
  'CreateContact',
  'ModifyContact',
  'CopyItem',
  'ImapCopyItem',
  'RecoverItem',
  'SaveDocument',
  'SaveWiki',
  'AddDocumentRevision',
]);

/**
 * Blob references of bodies items came to hold in this segment, and the account → mailbox link of new
 * mailboxes.
 */
function referenceItems(serverId: string, overlay: VersionOverlay, segmentStart: string): Item[] {
  const items = new Map<string, Item>();
  // What an entity held before this segment is referred to already (a document's older revisions, a
  // contact saved again with the same photo): only bodies it did not hold get a reference.
  const heldBefore = new Set<string>();
  for (const v of overlay.versions)
    if (v.fromPos < segmentStart && v.state)
      for (const body of bodiesOf(v.state)) heldBefore.add(`${v.mailboxId}\0${v.key}\0${body.sha256}`);
  const created = [
    ...overlay.versions,
    ...overlay.changedHeads().map((h) => ({ mailboxId: h.mailboxId, key: h.key, ...h.head })),
  ];
  for (const c of created) {
    if (c.fromPos < segmentStart || !c.state) continue;
    // Whoever holds a body refers to it: a coherency check tells orphans by the absence of references.
    for (const body of BODY_OPS.has(c.op) ? bodiesOf(c.state) : []) {
      if (heldBefore.has(`${c.mailboxId}\0${c.key}\0${body.sha256}`)) continue;
      const itemId = itemIdOf(c.key) as number;
      const item = {
        pk: indexKeys.blob(body.sha256),
        sk: indexKeys.blobRef(serverId, c.mailboxId, itemId),
        ...(body.size !== undefined ? { size: body.size } : {}),
        firstSeen: c.fromTime,
      };
      items.set(`${item.pk}\0${item.sk}`, item);
    }
    if (c.state.kind === 'mailbox' && c.op === 'CreateMailbox') {
      const item = accountMailboxItem(c.state.accountId, {
        serverId,
        mailboxId: c.mailboxId,
        createdAt: c.fromTime,
      });
      items.set(`${item.pk}\0${item.sk}`, item);
    }
  }
  return [...items.values()];
}

const shaOfBlob = (item: Item): string | undefined =>
  typeof item.pk === 'string' && item.pk.startsWith(keyPrefixes.blob)
    ? item.pk.slice(keyPrefixes.blob.length)
    : undefined;

/**
 * For each body referred to, the references its location holds if this segment stores it: the first
 * MAX_HELD_REFS by key (a delivery to more mailboxes than that writes the others as items).
 */
function heldReferences(references: readonly Item[]): Map<string, string[]> {
  const bySha = new Map<string, string[]>();
  for (const r of references) {
    const sha256 = shaOfBlob(r);
    if (sha256 === undefined || typeof r.sk !== 'string') continue;
    bySha.set(sha256, [...(bySha.get(sha256) ?? []), r.sk]);
  }
  for (const [sha256, refs] of bySha) bySha.set(sha256, [...new Set(refs)].sort().slice(0, MAX_HELD_REFS));
  return bySha;
}

/**
 * Moves the cursor past the segment and marks the segment indexed, in one transaction: a crash can leave
 * neither half done alone. The cursor must still be where this segment began (no one else moved it).
 */
function commitItems(
  target: IndexTarget,
  segment: SegmentEntry,
  cursor: IndexCursor | undefined,
  pending: PendingTxnRef[],
  lastCommitTime: number | undefined,
  result: SegmentResult,
  opTimes: readonly number[],
): TransactItem[] {
  const last = lastCommitTime ?? cursor?.lastCommitTime ?? null;
  // An entry rebuilt from the bucket lacks the op times the agent announces: the records tell them.
  const [first, lastOp = first] = opTimes;
  const times =
    segment.firstOpTime === undefined && first !== undefined
      ? {
          firstOpTime: new Date(first).toISOString(),
          lastOpTime: new Date(lastOp as number).toISOString(),
          gsi1sk: new Date(first).toISOString(),
        }
      : {};
  return [
    {
      Update: {
        TableName: target.table,
        Key: { pk: indexKeys.server(target.serverId), sk: indexKeys.cursor },
        UpdateExpression:
          'SET #seq = :seq, #offset = :offset, #pending = :pending, #segments = :segments, #state = :ok, #last = :last REMOVE #reason, #since',
        ConditionExpression: cursor
          ? '#seq = :was_seq AND #offset = :was_offset'
          : 'attribute_not_exists(pk)',
        ExpressionAttributeNames: {
          '#seq': 'seq',
          '#offset': 'offset',
          '#state': 'state',
          '#pending': 'pending',
          '#segments': 'segments',
          '#last': 'lastCommitTime',
          '#reason': 'reason',
          '#since': 'since',
        },
        ExpressionAttributeValues: {
          ':seq': segment.seq,
          ':offset': segment.lastOffset,
          ':pending': pending,
          ':segments': (cursor?.segments ?? 0) + 1,
          ':ok': 'ok',
          ':last': last,
          ...(cursor ? { ':was_seq': cursor.seq, ':was_offset': cursor.offset } : {}),
        },
      },
    },
    {
      Update: {
        TableName: target.table,
        Key: { pk: segment.pk, sk: segment.sk },
        UpdateExpression: `SET #state = :indexed, #counts = :counts${Object.keys(times)
          .map((k) => `, ${k} = :${k}`)
          .join('')}`,
        ExpressionAttributeNames: { '#state': 'state', '#counts': 'indexed' },
        ExpressionAttributeValues: {
          ...Object.fromEntries(Object.entries(times).map(([k, v]) => [`:${k}`, v])),
          ':indexed': 'indexed',
          ':counts': {
            transactions: result.transactions,
            ops: result.ops,
            versions: result.versions,
            undecoded: countByOp(result.undecoded),
            resultNotRecorded: countByOp(result.resultNotRecorded),
            // Transactions still open at the segment's end: a purge cuts redo only where none is.
            pending: result.pending,
            // A body stored before this segment that it linked a message to: no cut between the two.
            ...(result.linkedFrom !== undefined ? { linkedFrom: result.linkedFrom } : {}),
            notApplied: result.notApplied,
            warnings: result.warnings.length,
          },
        },
      },
    },
    // The list of servers the query API offers: written with a server's first segment.
    ...(cursor
      ? []
      : [{ Put: { TableName: target.table, Item: { pk: indexKeys.servers, sk: target.serverId } } }]),
  ];
}

/** Reads the records of transactions left open by earlier segments from the segments that hold them. */
async function loadPending(
  target: IndexTarget,
  refs: readonly PendingTxnRef[],
  seqOf: WeakMap<RedoRecord, string>,
): Promise<{ txnId: PendingTxnRef['txnId']; ops: RedoRecord[] }[]> {
  const plaintexts = new Map<string, Promise<Buffer>>();
  const holder = async (ref: PendingRef) => {
    const item = await containingSegment(target, ref);
    let plain = plaintexts.get(item.sk);
    if (!plain) {
      const size = Number(BigInt(item.lastOffset) - BigInt(item.firstOffset));
      plain = fetchPlaintext(target.bucket, item.s3Key, item.sha256, item.codec, size);
      plaintexts.set(item.sk, plain);
    }
    return { item, plain: await plain };
  };
  const out: { txnId: PendingTxnRef['txnId']; ops: RedoRecord[] }[] = [];
  for (const txn of refs) {
    const ops: RedoRecord[] = [];
    for (const ref of txn.ops) {
      const { item, plain } = await holder(ref);
      const record = await readOne(item, plain, ref);
      seqOf.set(record, ref.seq);
      ops.push(record);
    }
    out.push({ txnId: txn.txnId, ops });
  }
  return out;
}

async function containingSegment(target: IndexTarget, ref: PendingRef): Promise<SegmentEntry> {
  const out = await dynamodb().send(
    new QueryCommand({
      TableName: target.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
      ExpressionAttributeValues: {
        ':pk': indexKeys.server(target.serverId),
        ':low': indexKeys.segment(ref.seq, '0'),
        ':high': indexKeys.segment(ref.seq, String(ref.offset)),
      },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const found = out.Items?.[0];
  const item = found && catalogEntryOfKind('segment', found);
  if (!item || BigInt(item.lastOffset) < BigInt(ref.offset + ref.length))
    throw new SegmentCorruptError(
      `the record at ${ref.offset} of redo file ${ref.seq}, part of an open transaction, is in no catalogued segment`,
    );
  return item;
}

async function readOne(item: SegmentEntry, plain: Buffer, ref: PendingRef): Promise<RedoRecord> {
  for await (const event of readRedo(bufferSource(plain), {
    origin: Number(item.firstOffset),
    from: ref.offset,
    limit: ref.offset + ref.length,
    captureBodies: Number.POSITIVE_INFINITY,
  })) {
    if (event.kind === 'record') return event.record;
  }
  throw new SegmentCorruptError(`no record at ${ref.offset} of redo file ${ref.seq} (${item.s3Key})`);
}
