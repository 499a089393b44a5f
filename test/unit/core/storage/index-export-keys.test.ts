import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { indexExportPrefix, tableNameOf } from '#core/storage/index-export-keys.ts';

describe('table export keys', () => {
  it('put each table under index-exports/<table>/<date>', () => {
    const arn = 'arn:aws:dynamodb:eu-west-1:111122223333:table/Offsite-IndexTable-1A2B';
    assert.equal(tableNameOf(arn), 'Offsite-IndexTable-1A2B');
    assert.equal(
      indexExportPrefix(tableNameOf(arn), '2026-12-06T07:00:00Z'),
      'index-exports/Offsite-IndexTable-1A2B/2026-12-06',
    );
    assert.throws(() => tableNameOf('arn:aws:s3:::bucket'), /not a DynamoDB table ARN/);
  });
});
