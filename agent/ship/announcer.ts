import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ShipError } from '#agent/errors.ts';
import type { AgentState, AgentStateData } from '#agent/ship/agent-state.ts';
import { announcementOf, deduplicationId } from '#agent/ship/announcement-of.ts';
import { crashPoint } from '#agent/ship/crash-point.ts';
import type { ScanCuts } from '#agent/ship/scan-cuts.ts';
import type { ShipReport } from '#agent/ship/ship-report.ts';
import type { Spool, SpoolEntry } from '#agent/ship/spool.ts';

export interface AnnouncerDeps {
  serverId: string;
  queueUrl: string;
  sqs: SQSClient;
  state: AgentState;
  spool: Spool;
  cuts: ScanCuts;
  report: ShipReport;
}

/**
 * Announces uploaded entries on the FIFO ingest queue, strictly in spool order and never past a scan's
 * held place; an entry leaves the spool once announced and recorded.
 */
export class Announcer {
  private readonly deps: AnnouncerDeps;

  constructor(deps: AnnouncerDeps) {
    this.deps = deps;
  }

  /**
   * Announces from the head of the spool, up to the first entry not uploaded yet, ten to a request (FIFO
   * order is kept within a batch); the state and the spool are written once per batch. How many.
   */
  async announceUploaded(signal: AbortSignal): Promise<number> {
    const { spool, cuts } = this.deps;
    const barrier = cuts.first();
    const ready: SpoolEntry[] = [];
    for (const entry of spool.list()) {
      if (!entry.uploaded || (barrier !== undefined && entry.id > barrier)) break;
      ready.push(entry);
    }
    let announced = 0;
    for (let at = 0; at < ready.length && !signal.aborted; at += BATCH) {
      announced += await this.announceBatch(ready.slice(at, at + BATCH), signal);
    }
    return announced;
  }

  private async announceBatch(batch: SpoolEntry[], signal: AbortSignal): Promise<number> {
    const { serverId, queueUrl, sqs, state, spool, report } = this.deps;
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((entry, i) => ({
          Id: String(i),
          MessageBody: JSON.stringify(announcementOf(serverId, entry)),
          MessageGroupId: serverId,
          MessageDeduplicationId: deduplicationId(serverId, entry.id),
        })),
      }),
      { abortSignal: signal },
    );
    // Entries up to the first one refused count as announced; the rest are announced again on the next turn
    // (a later entry that got through is then dropped by SQS or ignored by the indexer, which orders by the
    // catalog, not by arrival).
    const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
    const firstFailed = batch.findIndex(
      (_, i) => failed.has(String(i)) || !out.Successful?.some((o) => o.Id === String(i)),
    );
    const sent = firstFailed < 0 ? batch : batch.slice(0, firstFailed);
    crashPoint('sent');
    if (sent.length > 0) {
      // Scans and packs leave nothing in the state: no write for them.
      if (sent.some((e) => e.kind !== 'scan' && e.kind !== 'pack'))
        await state.update((s) => {
          for (const entry of sent) recordAnnounced(s, entry);
        });
      crashPoint('recorded');
      await spool.removeAll(sent.map((e) => e.id));
      report.announced += sent.length;
    }
    if (firstFailed >= 0) {
      const refused = failed.get(String(firstFailed));
      throw new ShipError(
        `the ingest queue refused the announcement of ${batch[firstFailed]?.id}: ${refused?.Code ?? 'no answer for it'} ${refused?.Message ?? ''}`.trim(),
      );
    }
    return sent.length;
  }
}

/** What the state keeps of an announced entry: the last redo announced, the last LDAP dump. */
function recordAnnounced(s: AgentStateData, entry: SpoolEntry): void {
  if (entry.kind === 'scan' || entry.kind === 'pack') return;
  if (entry.kind === 'ldap') {
    s.ldap = { lastDumpAt: entry.spooledAt, key: entry.key, entries: entry.entries ?? 0 };
    return;
  }
  // A seal carries no record: the last record's time stays what the file's last segment had.
  const lastOpTime =
    entry.lastOpTime !== undefined ? new Date(entry.lastOpTime).toISOString() : s.announced?.lastOpTime;
  s.announced = {
    id: entry.id,
    sequence: entry.sequence,
    offset: entry.last,
    key: entry.key,
    at: new Date().toISOString(),
    ...(lastOpTime !== undefined ? { lastOpTime } : {}),
  };
}

/** Entries in one SendMessageBatch (the SQS limit). */
const BATCH = 10;
