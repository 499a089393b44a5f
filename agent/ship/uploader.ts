import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AgentConfig } from '#agent/config/agent-config.ts';
import { ShipError } from '#agent/errors.ts';
import type { AgentLog } from '#agent/observability.ts';
import type { AgentState } from '#agent/ship/agent-state.ts';
import type { Announcer } from '#agent/ship/announcer.ts';
import { crashPoint } from '#agent/ship/crash-point.ts';
import { describeAwsError } from '#agent/ship/describe-aws-error.ts';
import { RateLimiter } from '#agent/ship/rate-limiter.ts';
import type { ShipReport } from '#agent/ship/ship-report.ts';
import type { Spool, SpoolEntry } from '#agent/ship/spool.ts';
import { uploadObject } from '#agent/ship/upload-object.ts';
import type { Wakeup } from '#agent/ship/wakeup.ts';

const MiB = 1024 * 1024;

export interface UploaderDeps {
  config: AgentConfig;
  s3: S3Client;
  log: AgentLog;
  state: AgentState;
  spool: Spool;
  announcer: Announcer;
  report: ShipReport;
  /** Kicked whenever something is spooled or a scan's place is released. */
  work: Wakeup;
}

/**
 * Ships the spool: up to `upload.concurrency` uploads in flight at any time (a sliding window, not batches:
 * a slow object holds back only the announcements after it), announcements after each, retries with
 * backoff while S3 or SQS fails.
 */
export class Uploader {
  private readonly deps: UploaderDeps;
  private readonly limiter: RateLimiter;

  constructor(deps: UploaderDeps) {
    this.deps = deps;
    const mbps = deps.config.upload.maxMiBps;
    this.limiter = new RateLimiter(mbps === undefined ? undefined : mbps * MiB);
  }

  /**
   * With `done`, returns once the spool is empty and `done()` (else runs until aborted, or until the spool
   * is empty once `stopping` aborted). Aborted with entries uploaded but not announced: they stay spooled
   * for the next start.
   */
  async run(signal: AbortSignal, done: (() => boolean) | undefined, stopping?: AbortSignal): Promise<void> {
    const untilEmpty = done !== undefined;
    const { config, log, state, spool, announcer, work } = this.deps;
    const inflight = new Map<string, Promise<void>>();
    // An upload's failure, taken by the loop (an upload may end while the loop is elsewhere, say announcing).
    let failed: { error: unknown } | undefined;
    let failures = 0;
    // Shipping has resumed only once something got through: an upload finished or an announcement went out.
    let succeeded = false;
    try {
      while (!signal.aborted) {
        const entries = spool.list();
        if (entries.length === 0 && inflight.size === 0) {
          if (done?.() || stopping?.aborted || signal.aborted) return;
          await work.wait(config.pollMs * 5, signal);
          continue;
        }
        try {
          if (failed) {
            const { error } = failed;
            failed = undefined;
            throw error;
          }
          for (const entry of entries) {
            if (inflight.size >= config.upload.concurrency) break;
            if (entry.uploaded || inflight.has(entry.id)) continue;
            const upload = this.upload(entry, signal)
              .then(
                () => {
                  succeeded = true;
                },
                (error: unknown) => {
                  failed ??= { error };
                },
              )
              .finally(() => {
                inflight.delete(entry.id);
                // Wakes the wait below, or the next one when this loop is busy announcing: the next upload
                // starts then, not a timeout later.
                work.kick();
              });
            inflight.set(entry.id, upload);
          }
          if ((await announcer.announceUploaded(signal)) > 0) succeeded = true;
          if (failures > 0 && succeeded) {
            log.info('shipping resumed', { afterFailures: failures });
            failures = 0;
            await state.update((s) => {
              s.lastError = null;
            });
          }
          // Until an upload ends or something is spooled or released (each kicks). With nothing in flight,
          // what is left waits behind a scan's cut: without this wait the loop would spin and starve the scan.
          if (!failed && (inflight.size > 0 || spool.list().length > 0))
            await work.wait(config.pollMs * 5, signal);
        } catch (error) {
          if (signal.aborted) return;
          failures++;
          succeeded = false;
          const { message, permanent } = describeAwsError(error, config.aws);
          log.error('shipping failed; segments stay spooled and are retried', {
            attempt: failures,
            error: message,
          });
          await state.update((s) => {
            s.lastError = { message, at: new Date().toISOString() };
          });
          // The daemon retries even these (someone may fix the bucket policy); one-shot shipping says so now.
          if (untilEmpty && permanent) throw new ShipError(message, { cause: error });
          if (untilEmpty && failures >= 5) {
            throw new ShipError(`shipping failed ${failures} times, last: ${message}`, { cause: error });
          }
          // Exponential backoff with jitter; the log is still followed meanwhile.
          const delay =
            Math.min(config.upload.maxBackoffSeconds * 1000, 500 * 2 ** Math.min(failures, 12)) *
            (0.5 + Math.random() / 2);
          await sleep(delay, undefined, { signal }).catch(() => undefined);
        }
      }
    } finally {
      // Nothing of this run goes on behind its caller (a stop aborts what is in flight).
      await Promise.allSettled(inflight.values());
    }
  }

  private async upload(entry: SpoolEntry, signal: AbortSignal): Promise<void> {
    const { config, s3, spool, report } = this.deps;
    await uploadObject(s3, {
      bucket: config.aws.bucket,
      key: entry.key,
      body: spool.body(entry),
      metadata: { sha256: entry.sha256, codec: entry.codec, size: String(entry.size) },
      multipartThreshold: config.upload.multipartThresholdMiB * MiB,
      partSize: config.upload.partMiB * MiB,
      partConcurrency: config.upload.partConcurrency,
      limiter: this.limiter,
      signal,
    });
    await spool.markUploaded(entry.id);
    crashPoint('uploaded');
    report.uploaded++;
    report.bytes += entry.storedSize;
  }
}
