import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedoHeaderError } from '#core/redo/errors.ts';
import { encodeFileHeader, parseFileHeader } from '#core/redo/file-header.ts';
import { hex } from '#test/support/hex.ts';

const SERVER_ID = '6f1b6e2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b';

/** A closed file's header, byte by byte from spec §1. */
function goldenHeader(
  overrides: { open?: string; serverIdLen?: string; version?: string; magic?: string } = {},
) {
  const serverId = Buffer.from(SERVER_ID, 'utf8').toString('hex').padEnd(254, '0');
  return hex(`
    ${overrides.magic ?? '5a4d5f5245444f'}   // 0: magic "ZM_REDO"
    ${overrides.open ?? '00'}                // 7: open = 0 (closed cleanly)
    0000000000100000                         // 8: fileSize 1 MiB
    000000000000002a                         // 16: sequence 42
    ${overrides.serverIdLen ?? '24'}         // 24: serverIdLen 36
    ${serverId}                              // 25: serverId, zero padded to 127 bytes
    0000018bcfe5687b                         // 152: firstOpTstamp
    0000018bcfe5a000                         // 160: lastOpTstamp
    ${overrides.version ?? '0001002a'}       // 168: version 1.42
    0000018bcfe56000                         // 172: createTime
    ${'00'.repeat(332)}                      // 180: padding
  `);
}

describe('redo file header', () => {
  it('decodes every field of a closed file header', () => {
    const bytes = goldenHeader();
    assert.equal(bytes.length, 512);
    const header = parseFileHeader(bytes);
    assert.deepEqual(header, {
      open: false,
      fileSize: 1048576,
      sequence: 42n,
      serverId: SERVER_ID,
      firstOpTime: 0x18bcfe5687b,
      lastOpTime: 0x18bcfe5a000,
      version: { major: 1, minor: 42 },
      createTime: 0x18bcfe56000,
    });
    assert.deepEqual(encodeFileHeader(header), bytes, 'the writer produces the same 512 bytes');
  });

  it('reads open = 1 (live, or the writer died)', () => {
    assert.equal(parseFileHeader(goldenHeader({ open: '01' })).open, true);
  });

  it('treats version 0.0 as 1.0', () => {
    assert.deepEqual(parseFileHeader(goldenHeader({ version: '00000000' })).version, { major: 1, minor: 0 });
  });

  const rejects: [string, Buffer, RegExp][] = [
    ['a wrong magic', goldenHeader({ magic: '5a4d5f5245444e' }), /not a redo log/],
    ['a server id longer than 127 bytes', goldenHeader({ serverIdLen: '80' }), /server id length 128/],
    ['a negative version', goldenHeader({ version: 'ffff0001' }), /negative/],
    ['a version above 1.42', goldenHeader({ version: '0001002b' }), /newer than this reader knows/],
    ['an open byte other than 0 or 1', goldenHeader({ open: '02' }), /open" byte is 2/],
    ['fewer than 512 bytes', goldenHeader().subarray(0, 100), /truncated/],
    ['an empty file', Buffer.alloc(0), /empty or truncated/],
  ];
  for (const [what, bytes, message] of rejects) {
    it(`rejects ${what}`, () => {
      assert.throws(
        () => parseFileHeader(bytes),
        (e: unknown) => e instanceof RedoHeaderError && message.test(e.message),
      );
    });
  }

  it('round-trips a server id with multi-byte characters', () => {
    const header = { ...parseFileHeader(goldenHeader()), serverId: 'mail-été' };
    assert.equal(parseFileHeader(encodeFileHeader(header)).serverId, 'mail-été');
  });
});
