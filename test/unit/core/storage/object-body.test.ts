import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { objectBody, storedLimit } from '#core/storage/object-body.ts';
import { PlaintextError } from '#core/storage/plaintext.ts';

/** A body of `chunks` chunks of `size` bytes that counts how many it handed out. */
function body(chunks: number, size: number) {
  let read = 0;
  let destroyed = false;
  const stream = Readable.from(
    (function* () {
      for (let i = 0; i < chunks; i++) {
        read++;
        yield Buffer.alloc(size, i);
      }
    })(),
  );
  const destroy = stream.destroy.bind(stream);
  stream.destroy = (error?: Error) => {
    destroyed = true;
    return destroy(error);
  };
  return { stream, read: () => read, destroyed: () => destroyed };
}

describe('objectBody', () => {
  it('reads a body within its limit whole', async () => {
    const b = body(4, 1000);
    const bytes = await objectBody({ Body: b.stream, ContentLength: 4000 }, 4000);
    assert.equal(bytes.length, 4000);
    assert.equal(bytes[3999], 3);
  });

  it('refuses before reading when the answer says the object is larger than it may be', async () => {
    const b = body(4, 1000);
    await assert.rejects(objectBody({ Body: b.stream, ContentLength: 4000 }, 3999), PlaintextError);
    assert.equal(b.read(), 0);
    assert.ok(b.destroyed(), 'the connection is let go');
  });

  it('stops reading as soon as a body without a length passes the limit', async () => {
    const b = body(100, 1000);
    await assert.rejects(objectBody({ Body: b.stream }, 2500), /more than the 2500 bytes/);
    assert.ok(b.read() <= 4, `read ${b.read()} chunks of 100`);
  });

  it('allows a stored object the room compression may add', () => {
    assert.ok(storedLimit(0) >= 4096);
    assert.ok(storedLimit(1_000_000) > 1_000_000 && storedLimit(1_000_000) < 1_020_000);
  });
});
