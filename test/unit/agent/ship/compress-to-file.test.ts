import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { zstdDecompressSync } from 'node:zlib';
import { AgentStateError } from '#agent/errors.ts';
import { CompressedFileWriter, compressToFile } from '#agent/ship/compress-to-file.ts';
import { bufferSource, fileSource } from '#core/redo/byte-source.ts';

const dir = mkdtempSync(join(tmpdir(), 'offsite-compress-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The content size a zstd frame header states, or undefined when it states none. */
function frameContentSize(frame: Buffer): bigint | undefined {
  assert.equal(frame.readUInt32LE(0), 0xfd2fb528, 'a zstd frame');
  const descriptor = frame[4] ?? 0;
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const dictBytes = [0, 1, 2, 4][descriptor & 3] ?? 0;
  const at = 5 + (singleSegment ? 0 : 1) + dictBytes;
  switch (fcsFlag === 0 && singleSegment ? -1 : fcsFlag) {
    case -1:
      return BigInt(frame[at] ?? 0);
    case 0:
      return undefined;
    case 1:
      return BigInt(frame.readUInt16LE(at) + 256);
    case 2:
      return BigInt(frame.readUInt32LE(at));
    default:
      return frame.readBigUInt64LE(at);
  }
}

describe('compressToFile', () => {
  it('stores a range of several read chunks: it decompresses to the range, with its digest, size and content size', async () => {
    // Text-like bytes over 3.5 MiB: four reads of the 1 MiB buffers taking turns, the last one short.
    const bytes = Buffer.concat([
      randomBytes(1000),
      Buffer.from('quarterly figures attached. '.repeat(140_000)),
    ]);
    const path = join(dir, 'log');
    writeFileSync(path, bytes);
    const from = 777;
    const length = bytes.length - from - 5;
    const range = bytes.subarray(from, from + length);
    const source = await fileSource(path);
    const out = join(dir, 'segment.zst');
    try {
      const result = await compressToFile(source, from, length, 3, out);
      const stored = readFileSync(out);
      assert.deepEqual(result, {
        size: length,
        sha256: createHash('sha256').update(range).digest('hex'),
        storedSize: stored.length,
      });
      assert.ok(stored.length < length / 10, 'compressed');
      assert.ok(zstdDecompressSync(stored).equals(range), 'the range, byte for byte');
      assert.equal(frameContentSize(stored), BigInt(length), 'the frame states its content size');
      assert.equal(statSync(out).mode & 0o777, 0o600, 'readable by the agent only');
    } finally {
      await source.close();
    }
  });

  it('refuses a range the source ends before, naming the byte, and leaves no file', async () => {
    const out = join(dir, 'short.zst');
    await assert.rejects(
      compressToFile(bufferSource(randomBytes(3 * 1024 * 1024)), 1024, 4 * 1024 * 1024, 3, out),
      (error: unknown) =>
        error instanceof AgentStateError && /ended at byte 3145728, before byte 4195328/.test(error.message),
    );
    assert.equal(existsSync(out), false);
  });

  it('stores an empty range as an empty frame', async () => {
    const out = join(dir, 'empty.zst');
    const result = await compressToFile(bufferSource(Buffer.alloc(10)), 10, 0, 3, out);
    assert.equal(result.size, 0);
    assert.equal(zstdDecompressSync(readFileSync(out)).length, 0);
  });
});

describe('CompressedFileWriter', () => {
  it('writes what it is given, piece by piece, as one frame with its digest and sizes', async () => {
    const pieces = Array.from({ length: 40 }, (_, i) =>
      Buffer.from(`dn: uid=user${i},dc=example\n`.repeat(500)),
    );
    const whole = Buffer.concat(pieces);
    const writer = new CompressedFileWriter(join(dir, 'dump.zst'), 3);
    for (const piece of pieces) await writer.write(piece);
    const result = await writer.finish();
    const stored = readFileSync(writer.path);
    assert.deepEqual(result, {
      size: whole.length,
      sha256: createHash('sha256').update(whole).digest('hex'),
      storedSize: stored.length,
    });
    assert.ok(zstdDecompressSync(stored).equals(whole));
    assert.equal(frameContentSize(stored), undefined, 'no size was pledged');
  });

  it('leaves no file when given up', async () => {
    const writer = new CompressedFileWriter(join(dir, 'given-up.zst'), 3);
    await writer.write(randomBytes(100_000));
    await writer.abort();
    assert.equal(existsSync(writer.path), false);
  });
});
