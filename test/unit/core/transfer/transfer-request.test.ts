import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  exportParamsSchema,
  importParamsSchema,
  locationOf,
  locationProblem,
} from '#core/transfer/transfer-request.ts';

describe('export and import requests', () => {
  it('needs a selection, and "all" alone', () => {
    assert.equal(exportParamsSchema.safeParse({}).success, false);
    assert.equal(exportParamsSchema.safeParse({ all: true, domains: ['example.com'] }).success, false);
    assert.equal(exportParamsSchema.parse({ accounts: ['ann@example.com'] }).chunkBlobs, 500);
  });

  it('refuses prefixes that climb, hide or start at the root', () => {
    for (const prefix of ['../x', 'a/../b', '/abs', '.hidden/x', 'a//b', 'a b', 'a\\b', ''])
      assert.equal(importParamsSchema.safeParse({ prefix }).success, false, prefix);
    for (const prefix of ['exports/2026-12/', 'archive/a.b_c-d', 'x'])
      assert.equal(importParamsSchema.safeParse({ prefix }).success, true, prefix);
  });

  it("allows this deployment's exports/ and the configured transfer buckets only", () => {
    const own = 'backup-bucket';
    const problem = (bucket: string, prefix: string) =>
      locationProblem(locationOf(bucket, prefix), own, ['archive-bucket']);
    assert.equal(problem(own, 'exports/one'), undefined);
    assert.match(problem(own, 'servers/srv-1/') ?? '', /under exports\//);
    assert.match(problem(own, 'exports/') ?? '', /under exports\//);
    assert.equal(problem('archive-bucket', 'anything/'), undefined);
    assert.match(problem('someone-else', 'x/') ?? '', /not a transfer bucket.*archive-bucket/);
    assert.equal(locationOf(own, 'exports/a').prefix, 'exports/a/');
  });
});
