import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { BlobUploader } from '#agent/scan/blob-uploader.ts';
import { RateLimiter } from '#agent/ship/rate-limiter.ts';
import { blobStorePath } from '#core/scan/blob-store-path.ts';
import { sha256OfDigest } from '#core/scan/scan-snapshot.ts';
import { bodyOfFrame, readTrailer } from '#core/storage/body-pack.ts';
import { sha256Hex, zimbraDigest } from '#core/zimbra-digest.ts';

type Spooled = { bytes: Buffer; sha256: string; bodies: number };

function uploaderWith(
  volume: string,
  options: { packBytes?: number; known?: (shas: string[]) => Promise<string[]> } = {},
) {
  const spooled: Spooled[] = [];
  const uploader = new BlobUploader({
    volumes: { '1': volume },
    limiter: new RateLimiter(undefined),
    spoolPack: async (pack) => {
      spooled.push(pack);
    },
    ...options,
  });
  return { uploader, spooled };
}

/** A blob file on the volume, as the server stores it; its database digest. */
function blob(volume: string, itemId: number, text: string): { digest: string; content: Buffer } {
  const content = Buffer.from(text);
  const file = join(volume, blobStorePath(5, itemId, 1));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return { digest: zimbraDigest(content), content };
}

const ref = (itemId: number, digest: string) => ({
  mailboxId: 5,
  itemId,
  digest,
  volumeId: '1',
  modContent: 1,
});

describe('a scan packing blobs', () => {
  it('sends nothing for a body the agent API says is stored, and reads no file for it', async () => {
    const { uploader, spooled } = uploaderWith(mkdtempSync(join(tmpdir(), 'offsite-vol-')));
    const digest = zimbraDigest(Buffer.from('Subject: stored\r\n\r\nbody\r\n'));
    uploader.markKnown([sha256OfDigest(digest) as string]);
    // No file exists: had the uploader looked for it, it would report it missing.
    const outcome = await uploader.ensure(ref(300, digest));
    assert.deepEqual(outcome, { state: 'present', sha256: sha256OfDigest(digest), bytes: 0 });
    await uploader.flush();
    assert.deepEqual(spooled, [], 'nothing spooled');
    assert.equal(uploader.counts.skipped, 1);
  });

  it('packs each body once, checked against the database digest, and spools the pack on flush', async () => {
    const volume = mkdtempSync(join(tmpdir(), 'offsite-vol-'));
    const { uploader, spooled } = uploaderWith(volume);
    const a = blob(volume, 300, 'Subject: a\r\n\r\nfirst\r\n');
    const b = blob(volume, 301, 'Subject: b\r\n\r\nsecond\r\n');
    const c = blob(volume, 303, 'Subject: c\r\n\r\nthird\r\n');
    assert.equal((await uploader.ensure(ref(300, a.digest))).state, 'uploaded');
    assert.equal((await uploader.ensure(ref(301, b.digest))).state, 'uploaded');
    assert.equal((await uploader.ensure(ref(302, a.digest))).state, 'present', 'a copy: packed once');
    const recorded = zimbraDigest(Buffer.from('what the database says item 303 holds'));
    const mismatch = await uploader.ensure(ref(303, recorded));
    assert.equal(mismatch.state, 'digest-mismatch', 'other bytes than recorded');
    assert.equal(spooled.length, 0, 'nothing spooled before the pack is full or flushed');
    await uploader.flush();
    assert.equal(spooled.length, 1);
    const pack = spooled[0] as Spooled;
    assert.equal(pack.sha256, sha256Hex(pack.bytes));
    const bodies = readTrailer(pack.bytes, pack.bytes.length);
    assert.deepEqual(
      bodies.map((x) => x.sha256),
      [sha256Hex(a.content), sha256Hex(b.content)],
    );
    for (const [x, source] of [
      [bodies[0], a],
      [bodies[1], b],
    ] as const) {
      assert.ok(x);
      assert.deepEqual(bodyOfFrame(pack.bytes.subarray(x.offset, x.offset + x.length), x), source.content);
    }
    assert.ok(!bodies.some((x) => x.sha256 === sha256Hex(c.content)));
    await uploader.flush();
    assert.equal(spooled.length, 1, 'an empty flush spools nothing');
    assert.deepEqual(uploader.counts.packs, 1);
  });

  it('asks the store about a page of digests at once, and about an old SHA-1 digest once its bytes are hashed', async () => {
    const volume = mkdtempSync(join(tmpdir(), 'offsite-vol-'));
    const asked: string[][] = [];
    const a = blob(volume, 500, 'Subject: a\r\n\r\nstored\r\n');
    const b = blob(volume, 501, 'Subject: b\r\n\r\nnew\r\n');
    const old = blob(volume, 502, 'Subject: old\r\n\r\nSHA-1 era\r\n');
    const storeHas = new Set([sha256Hex(a.content), sha256Hex(old.content)]);
    const { uploader, spooled } = uploaderWith(volume, {
      known: async (shas) => {
        asked.push(shas);
        return shas.filter((x) => storeHas.has(x));
      },
    });
    await uploader.prefetch([a.digest, b.digest, a.digest]);
    assert.deepEqual(asked, [[sha256Hex(a.content), sha256Hex(b.content)]], 'one request for the page');
    assert.equal((await uploader.ensure(ref(500, a.digest))).state, 'present');
    assert.equal((await uploader.ensure(ref(501, b.digest))).state, 'uploaded');
    const sha1 = 'x'.repeat(28); // an older digest: trusted as recorded, names no SHA-256
    assert.equal((await uploader.ensure(ref(502, sha1))).state, 'present');
    assert.deepEqual(asked.at(-1), [sha256Hex(old.content)]);
    await uploader.flush();
    assert.deepEqual(
      spooled.map((p) => p.bodies),
      [1],
    );
  });

  it('closes a pack once it holds its size of bodies', async () => {
    const volume = mkdtempSync(join(tmpdir(), 'offsite-vol-'));
    const { uploader, spooled } = uploaderWith(volume, { packBytes: 100 });
    for (let i = 0; i < 5; i++) {
      const x = blob(volume, 400 + i, `Subject: ${i}\r\n\r\n${'y'.repeat(60)}${i}\r\n`);
      await uploader.ensure(ref(400 + i, x.digest));
    }
    assert.equal(spooled.length, 2, 'two full packs of two bodies each');
    await uploader.flush();
    assert.deepEqual(
      spooled.map((p) => p.bodies),
      [2, 2, 1],
    );
  });
});
