import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { IngestMessage } from '#core/announcement.ts';
import { type RecordShipmentResult, recordShipment } from '#functions/catalog/record-shipment.ts';
import { sqs } from '#functions/clients/sqs.ts';
import type { FunctionConfig } from '#functions/config.ts';
import { type AdvanceOutcome, advanceServer } from '#functions/index/advance-server.ts';
import { type BridgeResult, bridgeGap } from '#functions/index/bridge-gap.ts';
import { indexLdapDump, type LdapIndexResult } from '#functions/index/index-ldap-dump.ts';

export interface IngestResult {
  shipment?: RecordShipmentResult;
  outcome?: AdvanceOutcome;
  directory?: LdapIndexResult;
  bridge?: BridgeResult;
}

/**
 * One ingest message: an announced object goes into the catalog (verified against S3), then the server's
 * redo stream is indexed as far as the catalog allows. Out of time, the indexer queues a continuation in
 * the server's message group, so an idle agent does not leave catalogued segments unindexed.
 */
export async function handleIngest(
  message: IngestMessage,
  config: FunctionConfig<'indexer'>,
  deadline: number,
): Promise<IngestResult> {
  const result: IngestResult = {};
  const target = { table: config.indexTable, bucket: config.backupBucket, serverId: message.serverId };
  if (message.type === 'index-bridge') result.bridge = await bridgeGap(target, message);
  else if (message.type !== 'index-continue') result.shipment = await recordShipment(message, config);
  if (message.type === 'ldap-dump') {
    result.directory = await indexLdapDump(
      { table: config.indexTable, bucket: config.backupBucket, serverId: message.serverId },
      message,
    );
    return result;
  }
  result.outcome = await advanceServer(target, deadline);
  if (result.outcome.state === 'more') {
    const last = result.outcome.indexed.length;
    await sqs().send(
      new SendMessageCommand({
        QueueUrl: config.ingestQueueUrl,
        MessageGroupId: message.serverId,
        MessageDeduplicationId: `continue-${message.serverId}-${Date.now()}-${last}`,
        MessageBody: JSON.stringify({
          type: 'index-continue',
          serverId: message.serverId,
        }),
      }),
    );
  }
  return result;
}
