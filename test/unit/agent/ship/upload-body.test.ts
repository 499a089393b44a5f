import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bufferBody, fileBody, PACE_CHUNK, type UploadBody } from '#agent/ship/upload-body.ts';

const dir = mkdtempSync(join(tmpdir(), 'offsite-upload-body-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function read(body: UploadBody, start: number, end: number): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of body.chunks(start, end)) chunks.push(Buffer.from(chunk));
  return chunks;
}

describe('upload bodies', () => {
  const bytes = randomBytes(3 * PACE_CHUNK + 1234);
  const path = join(dir, 'object');
  writeFileSync(path, bytes);

  for (const [name, body] of [
    ['a file', fileBody(path, bytes.length)],
    ['a buffer', bufferBody(bytes)],
  ] as const) {
    it(`${name}: any range, in chunks no larger than the pacing chunk`, async () => {
      assert.equal(body.size, bytes.length);
      for (const [start, end] of [
        [0, bytes.length],
        [100, 2 * PACE_CHUNK + 7],
        [bytes.length - 1, bytes.length],
        [500, 500],
      ] as const) {
        const chunks = await read(body, start, end);
        for (const chunk of chunks) assert.ok(chunk.length <= PACE_CHUNK && chunk.length > 0);
        assert.ok(Buffer.concat(chunks).equals(bytes.subarray(start, end)), `${start}–${end}`);
      }
    });
  }
});
