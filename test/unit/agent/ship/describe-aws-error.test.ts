import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeAwsError } from '#agent/ship/describe-aws-error.ts';

const aws = {
  region: 'eu-west-1',
  bucket: 'backups',
  ingestQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/ingest.fifo',
  connectTimeoutSeconds: 5,
  idleTimeoutSeconds: 30,
};
const named = (name: string, message = '') => Object.assign(new Error(message), { name });

describe('describing S3/SQS failures', () => {
  it('names the bucket, queue or credentials problem and marks it permanent', () => {
    assert.deepEqual(describeAwsError(named('NoSuchBucket'), aws), {
      message: `bucket "backups" does not exist in eu-west-1: set aws.bucket to the stack's BackupBucketName output`,
      permanent: true,
    });
    assert.match(
      describeAwsError(named('QueueDoesNotExist'), aws).message,
      /queue https:.*ingest\.fifo does not exist/,
    );
    const denied = describeAwsError(named('AccessDenied', 'not authorized'), aws);
    assert.ok(denied.permanent);
    assert.match(
      denied.message,
      /refused the agent's credentials \(AccessDenied: not authorized\).*AgentPolicy/,
    );
    assert.ok(
      describeAwsError(named('CredentialsProviderError', 'Could not load credentials'), aws).permanent,
    );
  });

  it('leaves network and throttling errors to the retries', () => {
    assert.deepEqual(describeAwsError(named('Error', 'connect ECONNREFUSED 127.0.0.1:4566'), aws), {
      message: 'connect ECONNREFUSED 127.0.0.1:4566',
      permanent: false,
    });
    assert.equal(describeAwsError(named('SlowDown'), aws).permanent, false);
  });
});
