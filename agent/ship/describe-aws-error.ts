import type { AgentConfig } from '#agent/config/agent-config.ts';

export interface AwsProblem {
  message: string;
  /** Retrying cannot help until someone changes the configuration or the permissions. */
  permanent: boolean;
}

const CREDENTIALS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'ExpiredToken',
  'ExpiredTokenException',
]);
const NO_QUEUE = new Set(['AWS.SimpleQueueService.NonExistentQueue', 'QueueDoesNotExist']);

/** Turns an S3/SQS failure into a message that says what is wrong and where, and whether to retry. */
export function describeAwsError(error: unknown, aws: AgentConfig['aws']): AwsProblem {
  const e = error as { name?: string; message?: string; Code?: string };
  const name = e.Code ?? e.name ?? 'Error';
  const at = aws.endpoint ? ` at ${aws.endpoint}` : ` in ${aws.region}`;
  if (name === 'NoSuchBucket') {
    return {
      message: `bucket "${aws.bucket}" does not exist${at}: set aws.bucket to the stack's BackupBucketName output`,
      permanent: true,
    };
  }
  if (NO_QUEUE.has(name)) {
    return {
      message: `queue ${aws.ingestQueueUrl} does not exist${at}: set aws.ingestQueueUrl to the stack's IngestQueueUrl output`,
      permanent: true,
    };
  }
  if (CREDENTIALS.has(name)) {
    return {
      message: `AWS refused the agent's credentials (${name}${e.message ? `: ${e.message}` : ''}): give the host a role or keys with the stack's AgentPolicy`,
      permanent: true,
    };
  }
  if (name === 'CredentialsProviderError') {
    return {
      message: `no AWS credentials found (${e.message ?? ''}): give the host an instance role, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE for the agent`,
      permanent: true,
    };
  }
  return { message: e.message || name, permanent: false };
}
