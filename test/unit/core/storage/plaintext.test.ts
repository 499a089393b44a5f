import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { PlaintextError, plaintextOf } from '#core/storage/plaintext.ts';

describe("a stored object's plaintext", () => {
  it('decompresses by its codec, up to its limit exactly', () => {
    const text = Buffer.from('Subject: hi\r\n\r\nbody\r\n');
    assert.deepEqual(plaintextOf(zstdCompressSync(text), 'zstd', text.length), text);
    assert.deepEqual(plaintextOf(gzipSync(text), 'gzip', text.length), text);
    assert.deepEqual(plaintextOf(text, 'none', text.length), text);
    assert.deepEqual(plaintextOf(text, undefined), text);
  });

  it('stops a decompression bomb at its limit instead of filling the memory', () => {
    const bomb = zstdCompressSync(Buffer.alloc(64 * 1024 * 1024));
    assert.ok(bomb.length < 10_000, 'a few KiB that claim 64 MiB');
    assert.throws(
      () => plaintextOf(bomb, 'zstd', 1024 * 1024),
      (e: unknown) => e instanceof PlaintextError && /more than the 1048576 bytes/.test(e.message),
    );
    assert.throws(() => plaintextOf(gzipSync(Buffer.alloc(4 * 1024 * 1024)), 'gzip', 1024), PlaintextError);
    assert.throws(() => plaintextOf(Buffer.alloc(10), 'none', 5), /holds more than the 5 bytes/);
  });

  it('says what is wrong with bytes that are not what their codec claims', () => {
    assert.throws(() => plaintextOf(Buffer.from('plain text'), 'zstd', 100), /does not decompress as zstd/);
    assert.throws(() => plaintextOf(Buffer.from('x'), 'lz4', 100), /unknown codec lz4/);
  });
});
