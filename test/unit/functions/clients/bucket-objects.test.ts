import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NoSuchBucket, NoSuchKey, NotFound } from '@aws-sdk/client-s3';
import { isNotFound } from '#functions/clients/bucket-objects.ts';

// What reads as "the object is not there": a GET's NoSuchKey, a HEAD's bare 404; never a missing bucket,
// which is a deployment fault that must not turn into "a segment is gone" (a quarantine) or "a pack is gone".
describe('isNotFound', () => {
  const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
  it('takes a missing key, from a GET or a HEAD', () => {
    assert.equal(isNotFound(new NoSuchKey({ message: 'gone', $metadata: {} })), true);
    assert.equal(isNotFound(new NotFound({ message: '', $metadata: {} })), true);
    assert.equal(isNotFound(Object.assign(new Error('404'), meta(404))), true);
  });
  it('not a missing bucket, a refusal or a failure', () => {
    assert.equal(
      isNotFound(Object.assign(new NoSuchBucket({ message: 'no bucket', $metadata: {} }), meta(404))),
      false,
    );
    assert.equal(isNotFound(Object.assign(new Error('denied'), { name: 'AccessDenied' }, meta(403))), false);
    assert.equal(isNotFound(Object.assign(new Error('boom'), meta(500))), false);
  });
});
