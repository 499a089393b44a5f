import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { crc32, zstdCompressSync } from 'node:zlib';
import {
  bodyOfFrame,
  encodePack,
  PACK_FOOTER_BYTES,
  PackError,
  readTrailer,
  trailerLength,
} from '#core/storage/body-pack.ts';
import { sha256Hex } from '#core/zimbra-digest.ts';

const body = (text: string | Buffer) => {
  const content = Buffer.isBuffer(text) ? text : Buffer.from(text);
  return { sha256: sha256Hex(content), content };
};

describe('a pack of bodies', () => {
  const mail = body(`Subject: hello\r\n\r\n${'the same line again\r\n'.repeat(200)}`);
  const noise = body(randomBytes(4096));
  const tiny = body('x');

  it('holds each body once, in order, each frame decoding alone to its digest', () => {
    const pack = encodePack([mail, noise, mail, tiny]);
    assert.deepEqual(
      pack.bodies.map((b) => b.sha256),
      [mail.sha256, noise.sha256, tiny.sha256],
    );
    assert.equal(pack.sha256, sha256Hex(pack.bytes));
    for (const [entry, source] of [
      [pack.bodies[0], mail],
      [pack.bodies[1], noise],
      [pack.bodies[2], tiny],
    ] as const) {
      assert.ok(entry);
      const frame = pack.bytes.subarray(entry.offset, entry.offset + entry.length);
      assert.deepEqual(bodyOfFrame(frame, entry), source.content);
      assert.equal(entry.size, source.content.length);
      assert.equal(entry.keyId, 'none');
    }
    assert.equal(pack.bodies[0]?.codec, 'zstd');
    assert.ok((pack.bodies[0]?.length ?? 0) < mail.content.length / 4, 'repetitive mail compresses');
    assert.equal(pack.bodies[1]?.codec, 'none', 'random bytes are stored as they are');
  });

  it('is a new object every time it is written, even of the same bodies', () => {
    const [a, b] = [encodePack([mail]), encodePack([mail])];
    assert.notEqual(a.sha256, b.sha256);
    assert.deepEqual(a.bodies, b.bodies);
  });

  it('repeats the locations in a trailer that reads from the end of the pack alone', () => {
    const pack = encodePack([mail, noise, tiny]);
    assert.deepEqual(readTrailer(pack.bytes, pack.bytes.length), pack.bodies);
    const footer = pack.bytes.subarray(pack.bytes.length - PACK_FOOTER_BYTES);
    const tail = pack.bytes.subarray(pack.bytes.length - PACK_FOOTER_BYTES - trailerLength(footer));
    assert.deepEqual(readTrailer(tail, pack.bytes.length), pack.bodies, 'trailer and footer are enough');
  });

  it('refuses a damaged trailer, a foreign object and a location past the frames', () => {
    const pack = encodePack([mail, tiny]);
    const damaged = Buffer.from(pack.bytes);
    const at = damaged.length - PACK_FOOTER_BYTES - 10;
    damaged[at] = (damaged[at] ?? 0) ^ 0xff;
    assert.throws(() => readTrailer(damaged, damaged.length), /damaged trailer \(CRC-32/);
    assert.throws(() => readTrailer(Buffer.from('not a pack at all, just text'), 28), /pack footer/);
    assert.throws(() => readTrailer(Buffer.alloc(4), 4), /shorter than a pack footer/);
    // A well-formed trailer (right CRC) whose entry claims bytes beyond the frames.
    const trailer = Buffer.from(
      JSON.stringify({
        format: 'offsite-pack/1',
        frame: 1,
        bodies: [[tiny.sha256, 0, 500, 1, 'none', 'none']],
      }),
    );
    const footer = Buffer.alloc(PACK_FOOTER_BYTES);
    footer.write('OFFPACK1', 'latin1');
    footer.writeUInt32BE(trailer.length, 8);
    footer.writeUInt32BE(crc32(trailer), 12);
    const forged = Buffer.concat([Buffer.from('x'), trailer, footer]);
    assert.throws(() => readTrailer(forged, forged.length), /entry 0 lies past the frames/);
    assert.throws(() => readTrailer(pack.bytes, 20), /trailer of \d+ bytes that is not there/);
  });

  it('says which frame does not hold its body: damaged bytes, other bytes, a bomb, an unknown key', () => {
    const pack = encodePack([mail]);
    const entry = pack.bodies[0];
    assert.ok(entry);
    const frame = Buffer.from(pack.bytes.subarray(entry.offset, entry.offset + entry.length));
    frame[5] = (frame[5] ?? 0) ^ 0xff;
    assert.throws(
      () => bodyOfFrame(frame, entry),
      (e: unknown) => e instanceof PackError && !e.digestMismatch,
    );
    const other = zstdCompressSync(Buffer.from('other bytes'));
    assert.throws(
      () => bodyOfFrame(other, { ...entry, size: 100 }),
      (e: unknown) =>
        e instanceof PackError && e.digestMismatch && /holds content with SHA-256/.test(e.message),
    );
    const bomb = zstdCompressSync(Buffer.alloc(64 * 1024 * 1024));
    assert.throws(() => bodyOfFrame(bomb, { ...entry, size: 1024 }), /more than the 1024 bytes/);
    assert.throws(() => bodyOfFrame(frame, { ...entry, keyId: 'mbx-7' }), /encrypted with key mbx-7/);
  });
});
