import { S3Client } from '@aws-sdk/client-s3';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { ControlClient } from '#agent/control-client.ts';
import { OffsiteError } from '#core/errors.ts';

/** --region, else AWS_REGION, else us-east-1: the region every command signs for. */
export function regionFrom(region: string | undefined, env: NodeJS.ProcessEnv): string {
  return region ?? env.AWS_REGION ?? 'us-east-1';
}

/** The control API from --url or OFFSITE_CONTROL_URL, signed with the default credential chain. */
export async function controlClientFrom(
  url: string | undefined,
  region: string,
  env: NodeJS.ProcessEnv,
): Promise<ControlClient> {
  const base = url ?? env.OFFSITE_CONTROL_URL;
  if (!base)
    throw new OffsiteError(
      'give the control API with --url or OFFSITE_CONTROL_URL (the stack output ControlUrl)',
    );
  return new ControlClient({ url: base, region, credentials: await defaultProvider()() });
}

/** S3 for reading the bucket directly (AWS_ENDPOINT_URL_S3 points it at a local or compatible store). */
export function s3ClientFrom(region: string, env: NodeJS.ProcessEnv): S3Client {
  return new S3Client({
    region,
    ...(env.AWS_ENDPOINT_URL_S3 ? { endpoint: env.AWS_ENDPOINT_URL_S3, forcePathStyle: true } : {}),
  });
}

export function bucketFrom(bucket: string | undefined, env: NodeJS.ProcessEnv, what: string): string {
  const name = bucket ?? env.OFFSITE_BUCKET;
  if (!name)
    throw new OffsiteError(
      `${what} needs the backup bucket: --bucket or OFFSITE_BUCKET (the stack output BackupBucketName)`,
    );
  return name;
}
