import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AgentState } from '#agent/ship/agent-state.ts';
import { announcementOf, deduplicationId } from '#agent/ship/announcement-of.ts';
import { crashPoint } from '#agent/ship/crash-point.ts';
import type { ScanCuts } from '#agent/ship/scan-cuts.ts';
import type { ShipReport } from '#agent/ship/ship-report.ts';
import type { Spool } from '#agent/ship/spool.ts';

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

  /** Announces from the head of the spool; stops at the first entry not uploaded yet. How many. */
  async announceUploaded(signal: AbortSignal): Promise<number> {
    const { serverId, queueUrl, sqs, state, spool, cuts, report } = this.deps;
    const barrier = cuts.first();
    let announced = 0;
    for (const entry of spool.list()) {
      if (!entry.uploaded || signal.aborted) return announced;
      if (barrier !== undefined && entry.id > barrier) return announced;
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(announcementOf(serverId, entry)),
          MessageGroupId: serverId,
          MessageDeduplicationId: deduplicationId(serverId, entry.id),
        }),
        { abortSignal: signal },
      );
      crashPoint('sent');
      await state.update((s) => {
        if (entry.kind === 'scan' || entry.kind === 'pack') return;
        if (entry.kind === 'ldap') {
          s.ldap = { lastDumpAt: entry.spooledAt, key: entry.key, entries: entry.entries ?? 0 };
        } else {
          // A seal carries no record: the last record's time stays what the file's last segment had.
          const lastOpTime =
            entry.lastOpTime !== undefined
              ? new Date(entry.lastOpTime).toISOString()
              : s.announced?.lastOpTime;
          s.announced = {
            id: entry.id,
            sequence: entry.sequence,
            offset: entry.last,
            key: entry.key,
            at: new Date().toISOString(),
            ...(lastOpTime !== undefined ? { lastOpTime } : {}),
          };
        }
      });
      crashPoint('recorded');
      await spool.remove(entry.id);
      report.announced++;
      announced++;
    }
    return announced;
  }
}
