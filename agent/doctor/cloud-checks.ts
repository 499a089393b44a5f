import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AgentConfig } from '#agent/config/agent-config.ts';
import { ControlApiError, type ControlClient } from '#agent/control-client.ts';
import { type DoctorCheck, fail, ok, warn } from '#agent/doctor/doctor-check.ts';

/** Beyond this the cloud refuses signatures (15 min) long before; purges assume clocks within 5 minutes. */
export const MAX_SKEW_SECONDS = 300;
const WARN_SKEW_SECONDS = 60;
const TIMEOUT_MS = 10_000;

/** Where the agent's S3 requests go. */
export function s3Endpoint(aws: AgentConfig['aws']): string {
  return aws.endpoint ?? `https://s3.${aws.region}.amazonaws.com/`;
}

/** This host's clock against the cloud's: the Date of an (unsigned) answer from the S3 endpoint. */
export async function clockCheck(config: AgentConfig, now: () => number = Date.now): Promise<DoctorCheck> {
  const name = 'clock';
  const url = s3Endpoint(config.aws);
  let remote: number;
  let local: number;
  try {
    const sent = now();
    const response = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(TIMEOUT_MS) });
    local = (sent + now()) / 2;
    remote = Date.parse(response.headers.get('date') ?? '');
  } catch (error) {
    return fail(
      name,
      `cannot reach ${url}: ${(error as Error).message}`,
      'check the network, DNS and proxy to S3',
    );
  }
  if (!Number.isFinite(remote)) return warn(name, `${url} answered without a Date: skew unknown`);
  // Date has whole seconds: half a second either way is no skew.
  const skew = Math.round((local - remote) / 1000);
  const text = `${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : skew < 0 ? 'behind' : 'in step with'} the cloud (${url})`;
  if (Math.abs(skew) > MAX_SKEW_SECONDS)
    return fail(
      name,
      `this host is ${text}`,
      'synchronise the clock (chrony or systemd-timesyncd) before starting the agent',
    );
  if (Math.abs(skew) > WARN_SKEW_SECONDS)
    return warn(name, `this host is ${text}`, 'synchronise the clock (chrony or systemd-timesyncd)');
  return ok(name, `this host is ${text}`);
}

const codeOf = (error: unknown) =>
  (error as { name?: string; Code?: string }).Code ?? (error as { name?: string }).name ?? 'Error';
const statusOf = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const CREDENTIAL_ERRORS =
  /Credentials|InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|InvalidClientTokenId|UnrecognizedClient/;

function credentialFailure(name: string, error: unknown): DoctorCheck | undefined {
  if (!CREDENTIAL_ERRORS.test(`${codeOf(error)} ${(error as Error).message}`)) return undefined;
  return fail(
    name,
    `no valid AWS credentials: ${(error as Error).message}`,
    "give the host its identity: offsite agent enroll (then AWS_PROFILE=offsite), or the stack's AgentPolicyArn on the host's role",
  );
}

/** The bucket, with this host's identity (a server's own role may write but not list it: that passes). */
export async function s3Check(config: AgentConfig, s3: S3Client): Promise<DoctorCheck> {
  const name = 'S3 bucket';
  const bucket = config.aws.bucket;
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }), {
      abortSignal: AbortSignal.timeout(TIMEOUT_MS),
    });
    return ok(name, `${bucket} is reachable`);
  } catch (error) {
    const status = statusOf(error);
    if (status === 403)
      return ok(
        name,
        `${bucket} is reachable; this identity may not list it (as a server's own role may not)`,
      );
    if (status === 404 || codeOf(error) === 'NoSuchBucket' || codeOf(error) === 'NotFound')
      return fail(
        name,
        `there is no bucket ${bucket}`,
        'set aws.bucket to the stack output BackupBucketName',
      );
    return (
      credentialFailure(name, error) ??
      fail(
        name,
        `cannot reach S3 (${s3Endpoint(config.aws)}): ${codeOf(error)}: ${(error as Error).message}`,
        'check the network path to S3, and aws.region / aws.endpoint',
      )
    );
  }
}

/** The ingest queue: there, and the FIFO queue the stack made. */
export async function queueCheck(config: AgentConfig, sqs: SQSClient): Promise<DoctorCheck> {
  const name = 'ingest queue';
  const url = config.aws.ingestQueueUrl;
  try {
    const out = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['FifoQueue', 'QueueArn'] }),
      { abortSignal: AbortSignal.timeout(TIMEOUT_MS) },
    );
    if (out.Attributes?.FifoQueue !== 'true')
      return fail(
        name,
        `${url} is not a FIFO queue`,
        'set aws.ingestQueueUrl to the stack output IngestQueueUrl',
      );
    return ok(name, `${url} is reachable (FIFO)`);
  } catch (error) {
    if (/NonExistentQueue|QueueDoesNotExist/.test(`${codeOf(error)} ${(error as Error).message}`))
      return fail(
        name,
        `there is no queue ${url}`,
        'set aws.ingestQueueUrl to the stack output IngestQueueUrl',
      );
    if (statusOf(error) === 403 && !CREDENTIAL_ERRORS.test(codeOf(error)))
      return fail(
        name,
        `this identity may not use ${url}: ${(error as Error).message}`,
        "give the host the server's agent role (offsite agent enroll)",
      );
    return (
      credentialFailure(name, error) ??
      fail(
        name,
        `cannot reach SQS: ${codeOf(error)}: ${(error as Error).message}`,
        'check the network path to SQS and aws.region / aws.endpoint',
      )
    );
  }
}

/** The agent API: reachable, and this identity may act for this server there. */
export async function agentApiCheck(
  config: AgentConfig,
  control: ControlClient | undefined,
): Promise<DoctorCheck> {
  const name = 'agent API';
  if (!control || !config.control)
    return warn(
      name,
      'no "control" section: the agent runs no dispatched operations (nightly scans) and reports nothing to `offsite status`',
      'set control.url to the stack output AgentControlUrl',
    );
  try {
    await control.call('dispatches', { serverId: config.serverId });
    return ok(name, `${config.control.url} answers for server ${config.serverId}`);
  } catch (error) {
    if (error instanceof ControlApiError && error.status === 403)
      return fail(
        name,
        error.message,
        `sign as server ${config.serverId}'s agent role: offsite agent enroll --server ${config.serverId}, then AWS_PROFILE=offsite`,
      );
    if (error instanceof ControlApiError && error.status === 404)
      return fail(
        name,
        error.message,
        'set control.url to the stack output AgentControlUrl (not ControlUrl)',
      );
    return (
      credentialFailure(name, error) ??
      fail(
        name,
        `cannot reach ${config.control.url}: ${(error as Error).message}`,
        'check control.url (the stack output AgentControlUrl) and the network',
      )
    );
  }
}
