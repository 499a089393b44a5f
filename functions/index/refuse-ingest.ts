import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { sqs } from '#functions/clients/sqs.ts';

/**
 * Puts an ingest message the indexer will not handle into the ingest dead-letter queue at once, its body as it
 * came and the reason in a message attribute, so nothing of it is indexed and an operator sees why (the DLQ
 * alarm fires). Retrying would not make a forged or malformed message acceptable.
 */
export async function refuseIngest(
  deadLetterQueueUrl: string,
  record: SQSRecord,
  reason: string,
): Promise<void> {
  await sqs().send(
    new SendMessageCommand({
      QueueUrl: deadLetterQueueUrl,
      MessageBody: record.body,
      MessageGroupId: record.attributes.MessageGroupId ?? 'refused',
      MessageDeduplicationId: record.messageId,
      MessageAttributes: {
        refusal: { DataType: 'String', StringValue: reason.slice(0, 1000) },
        senderId: { DataType: 'String', StringValue: record.attributes.SenderId },
      },
    }),
  );
}
