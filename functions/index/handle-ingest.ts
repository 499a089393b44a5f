import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { IngestMessage } from '#core/announcement.ts';
import { type RecordShipmentResult, recordShipment } from '#functions/catalog/record-shipment.ts';
import { sqs } from '#functions/clients/sqs.ts';
import type { FunctionConfig } from '#functions/config.ts';
import { type AdvanceOutcome, advanceServer } from '#functions/index/advance-server.ts';
import { type BridgeResult, bridgeGap } from '#functions/index/bridge-gap.ts';
import { indexLdapDump, type LdapIndexResult } from '#functions/index/index-ldap-dump.ts';
import { type BodyPackResult, ingestBodyPack } from '#functions/index/ingest-body-pack.ts';
import {
  finishReindex,
  indexPendingDumps,
  type ReindexSummary,
  type ResetStep,
  readReindex,
  resetServer,
} from '#functions/index/reindex-server.ts';
import { upgradeVersionKeys } from '#functions/index/upgrade-version-keys.ts';
import { touchOperation } from '#functions/operations/operations-store.ts';

export interface IngestResult {
  shipment?: RecordShipmentResult;
  outcome?: AdvanceOutcome;
  directory?: LdapIndexResult;
  bodyPack?: BodyPackResult;
  bridge?: BridgeResult;
  /** A reindex step (index-reset), or its end. */
  reindex?: ResetStep | { state: 'finished'; summary: ReindexSummary };
}

/**
 * One ingest message: an announced object goes into the catalog (verified against S3), then the server's
 * redo stream is indexed as far as the catalog allows. Out of time, the indexer queues a continuation in
 * the server's message group, so an idle agent does not leave catalogued segments unindexed. While a reindex
 * wipes a server's index, announcements are only catalogued; once it indexes again, its LDAP dumps are taken
 * in first, and when the stream has caught up the reindex reports.
 */
export async function handleIngest(
  message: IngestMessage,
  config: FunctionConfig<'indexer'>,
  deadline: number,
): Promise<IngestResult> {
  const result: IngestResult = {};
  const target = { table: config.indexTable, bucket: config.backupBucket, serverId: message.serverId };
  const goOn = (body: IngestMessage, tag: string) =>
    sqs().send(
      new SendMessageCommand({
        QueueUrl: config.ingestQueueUrl,
        MessageGroupId: message.serverId,
        MessageDeduplicationId: `${tag}-${message.serverId}-${Date.now()}`,
        MessageBody: JSON.stringify(body),
      }),
    );
  if (message.type === 'index-reset') {
    result.reindex = await resetServer(target, message, deadline);
    if (result.reindex.state === 'wiping') {
      await goOn({ ...message, round: message.round + 1 }, `reset-${message.round + 1}`);
      return result;
    }
    if (result.reindex.state === 'superseded') return result;
  } else if (message.type === 'index-bridge') result.bridge = await bridgeGap(target, message);
  else if (message.type !== 'index-continue') result.shipment = await recordShipment(message, config);
  // A scan's bodies: taken in at once (bodies are the whole deployment's, not the server's stream), so the
  // snapshot announced after them finds them located.
  if (message.type === 'body-pack') {
    result.bodyPack = await ingestBodyPack(target, message);
    return result;
  }

  // The reset just read (and maybe wrote) the marker; any other message reads it.
  const reindex = result.reindex?.state === 'indexing' ? result.reindex.marker : await readReindex(target);
  // Wiping: the reset goes on in its own messages; what arrived meanwhile is catalogued and indexed after.
  if (reindex?.phase === 'wiping') return result;
  // Nothing of the server's entities is written while its versions are in the old layout.
  await upgradeVersionKeys(target.table, message.serverId);
  if (message.type === 'ldap-dump' && !reindex) {
    result.directory = await indexLdapDump(target, message);
    return result;
  }
  if (reindex && !(await indexPendingDumps(target, deadline))) {
    await goOn({ type: 'index-continue', serverId: message.serverId }, 'continue');
    return result;
  }
  result.outcome = await advanceServer(target, deadline);
  if (result.outcome.state === 'more') {
    await goOn(
      { type: 'index-continue', serverId: message.serverId },
      `continue-${result.outcome.indexed.length}`,
    );
    // A reindex of a large server runs for hours: its operation shows it is alive, so it is not failed as lost.
    if (reindex) await touchOperation(config, reindex.operationId);
  } else if (reindex) {
    const summary = await finishReindex(target, config, reindex, result.outcome);
    result.reindex = { state: 'finished', summary };
  }
  return result;
}
