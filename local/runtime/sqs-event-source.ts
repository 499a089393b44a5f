import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { LambdaFunction } from '#local/runtime/lambda-function.ts';
import type { LocalEventSourceMapping } from '#local/template/local-resources.ts';

export interface EventSourceOptions {
  readonly region: string;
  /**
   * Lambda leaves failed messages invisible until the queue's visibility timeout ends. Tests may shorten that
   * wait: failed messages are made visible again after this many seconds. Undefined keeps Lambda's behaviour.
   */
  readonly retryVisibilitySeconds?: number;
  readonly onError?: (mapping: LocalEventSourceMapping, error: unknown) => void;
}

export interface EventSourceStats {
  batches: number;
  deleted: number;
  failed: number;
}

/**
 * An SQS event source mapping, as Lambda runs it: long-poll the queue, hand the function batches of up to
 * `BatchSize` records in the SQS event shape, delete what succeeded. With ReportBatchItemFailures only the
 * records named in `batchItemFailures` stay; an invalid or thrown response fails the whole batch. The queue's
 * own redrive policy moves a record to its DLQ after `maxReceiveCount` receives.
 */
export class SqsEventSource {
  readonly mapping: LocalEventSourceMapping;
  readonly stats: EventSourceStats = { batches: 0, deleted: 0, failed: 0 };
  private readonly fn: LambdaFunction;
  private readonly sqs: SQSClient;
  private readonly options: EventSourceOptions;
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  /** While paused: opened by resume(). Pollers park before their next receive. */
  private gate: { opened: Promise<void>; open: () => void } | undefined;
  private parked = 0;
  private onParked: (() => void) | undefined;

  constructor(
    mapping: LocalEventSourceMapping,
    fn: LambdaFunction,
    sqs: SQSClient,
    options: EventSourceOptions,
  ) {
    this.mapping = mapping;
    this.fn = fn;
    this.sqs = sqs;
    this.options = options;
  }

  start(): void {
    if (!this.mapping.enabled) return;
    this.loops = Array.from({ length: this.mapping.maxConcurrency }, () => this.loop());
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.onParked?.();
    await Promise.allSettled(this.loops);
  }

  /**
   * Like disabling the event source mapping: no batch is started after this resolves (a batch under way
   * finishes first); messages wait in the queue until resume().
   */
  async pause(): Promise<void> {
    if (!this.gate) {
      let open = () => {};
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      this.gate = { opened, open };
    }
    while (this.parked < this.loops.length && !this.abort.signal.aborted)
      await new Promise<void>((resolve) => {
        this.onParked = resolve;
      });
  }

  resume(): void {
    const gate = this.gate;
    this.gate = undefined;
    gate?.open();
  }

  private async loop(): Promise<void> {
    while (!this.abort.signal.aborted) {
      const gate = this.gate;
      if (gate) {
        this.parked++;
        this.onParked?.();
        await Promise.race([
          gate.opened,
          new Promise((resolve) => this.abort.signal.addEventListener('abort', resolve, { once: true })),
        ]);
        this.parked--;
        continue;
      }
      try {
        const messages = await this.receive();
        if (messages.length > 0) await this.deliver(messages);
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.options.onError?.(this.mapping, error);
        await sleep(500, this.abort.signal);
      }
    }
  }

  private async receive(): Promise<Message[]> {
    const wanted = this.mapping.batchSize;
    const windowEnds = Date.now() + this.mapping.maxBatchingWindowSeconds * 1000;
    const messages: Message[] = [];
    do {
      const result = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.mapping.queueUrl,
          MaxNumberOfMessages: Math.min(10, wanted - messages.length),
          WaitTimeSeconds: messages.length === 0 ? 1 : 0,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: this.abort.signal },
      );
      messages.push(...(result.Messages ?? []));
      if ((result.Messages ?? []).length === 0 && messages.length > 0) break;
    } while (messages.length > 0 && messages.length < wanted && Date.now() < windowEnds);
    return messages;
  }

  private async deliver(messages: Message[]): Promise<void> {
    this.stats.batches++;
    const records = messages.map((m) => toRecord(m, this.mapping.queueArn, this.options.region));
    let failedIds: Set<string>;
    try {
      const { result } = await this.fn.invoke({ Records: records });
      failedIds = this.failuresFrom(result, records);
    } catch (error) {
      this.options.onError?.(this.mapping, error);
      failedIds = new Set(records.map((r) => r.messageId));
    }
    const succeeded = messages.filter((m) => m.MessageId && !failedIds.has(m.MessageId));
    const failed = messages.filter((m) => m.MessageId && failedIds.has(m.MessageId));
    this.stats.failed += failed.length;
    for (let i = 0; i < succeeded.length; i += 10) {
      const chunk = succeeded.slice(i, i + 10);
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.mapping.queueUrl,
          Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      this.stats.deleted += chunk.length;
    }
    if (failed.length > 0 && this.options.retryVisibilitySeconds !== undefined) {
      for (let i = 0; i < failed.length; i += 10) {
        await this.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.mapping.queueUrl,
            Entries: failed.slice(i, i + 10).map((m, j) => ({
              Id: String(j),
              ReceiptHandle: m.ReceiptHandle,
              VisibilityTimeout: this.options.retryVisibilitySeconds,
            })),
          }),
        );
      }
    }
  }

  /** Lambda's rules for a partial batch response; anything malformed fails the whole batch. */
  private failuresFrom(result: unknown, records: SQSRecord[]): Set<string> {
    const all = new Set(records.map((r) => r.messageId));
    if (!this.mapping.reportBatchItemFailures) return new Set();
    if (result === null || result === undefined) return new Set();
    const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
    if (failures === undefined || failures === null) return new Set();
    if (!Array.isArray(failures)) return all;
    const ids = new Set<string>();
    for (const failure of failures) {
      const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      if (typeof id !== 'string' || !all.has(id)) return all;
      ids.add(id);
    }
    return ids;
  }
}

export function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const a = message.Attributes ?? {};
  const attributes: SQSRecord['attributes'] = {
    ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
    SentTimestamp: a.SentTimestamp ?? String(Date.now()),
    SenderId: a.SenderId ?? '000000000000',
    ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    ...(a.SequenceNumber ? { SequenceNumber: a.SequenceNumber } : {}),
    ...(a.MessageGroupId ? { MessageGroupId: a.MessageGroupId } : {}),
    ...(a.MessageDeduplicationId ? { MessageDeduplicationId: a.MessageDeduplicationId } : {}),
  };
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes,
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          stringValue: value.StringValue,
          binaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : undefined,
          stringListValues: value.StringListValues ?? [],
          binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
          dataType: value.DataType ?? 'String',
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
