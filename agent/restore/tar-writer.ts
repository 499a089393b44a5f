import { once } from 'node:events';
import type { Writable } from 'node:stream';

// A streaming tar writer in the dialect Zimbra's archive reader understands (com.zimbra.common.util.tar, an
// old Ant TarInputStream): it reads the 100-byte name field in the archive's charset and GNU `././@LongLink`
// entries, and ignores both the ustar prefix and pax headers. Maintained tar libraries (tar-stream, node-tar)
// write a pax header or a prefix split for a long or non-ASCII name, which that reader would turn into a
// stray entry or a wrong path, so the few header fields are written here. GNU tar and libarchive read it too.

const BLOCK = 512;
const NAME_LENGTH = 100;
/** Ant's TarEntry.DEFAULT_FILE_MODE. */
export const FILE_MODE = 0o100644;

export interface TarHeader {
  path: string;
  size: number;
  mtimeMs: number;
  /** Defaults to FILE_MODE. */
  mode?: number;
  /** Zimbra puts the item type's name here… */
  groupName?: string;
  /** …and its MailItem.Type byte here. */
  devMajor?: number;
}

export class TarWriter {
  private readonly out: Writable;

  constructor(out: Writable) {
    this.out = out;
  }

  /** One regular file: its header (a GNU long-name entry first when the name does not fit), bytes, padding. */
  async add(header: TarHeader, body: Buffer): Promise<void> {
    if (body.length !== header.size)
      throw new Error(`tar entry ${header.path}: ${body.length} bytes given for a size of ${header.size}`);
    const name = Buffer.from(header.path, 'utf8');
    if (name.length >= NAME_LENGTH) {
      const longName = Buffer.concat([name, Buffer.alloc(1)]);
      await this.push(headerBlock({ ...header, size: longName.length, mode: 0o644 }, '././@LongLink', 'L'));
      await this.push(longName);
      await this.push(padding(longName.length));
    }
    await this.push(headerBlock(header, header.path, '0'));
    await this.push(body);
    await this.push(padding(body.length));
  }

  /** The two empty blocks that end an archive; then ends the output. */
  async end(): Promise<void> {
    await this.push(Buffer.alloc(BLOCK * 2));
    this.out.end();
  }

  private async push(bytes: Buffer): Promise<void> {
    if (!this.out.write(bytes)) await once(this.out, 'drain');
  }
}

function headerBlock(header: TarHeader, path: string, type: string): Buffer {
  const h = Buffer.alloc(BLOCK);
  // The name field holds at most 100 bytes, cut on a character boundary (a long name is in the entry before).
  let name = Buffer.from(path, 'utf8');
  if (name.length > NAME_LENGTH)
    name = Buffer.from(
      name
        .subarray(0, NAME_LENGTH)
        .toString('utf8')
        .replace(/\uFFFD+$/, ''),
    );
  name.copy(h, 0, 0, Math.min(name.length, NAME_LENGTH));
  h.write(octal(header.mode ?? FILE_MODE, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  h.write(octal(header.size, 12), 124, 'latin1');
  h.write(octal(Math.max(0, Math.floor(header.mtimeMs / 1000)), 12), 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(type, 156, 'latin1');
  h.write('ustar\u000000', 257, 'latin1');
  if (header.groupName) Buffer.from(header.groupName, 'utf8').copy(h, 297, 0, 31);
  h.write(octal(header.devMajor ?? 0, 8), 329, 'latin1');
  h.write(octal(0, 8), 337, 'latin1');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'latin1');
  return h;
}

function octal(value: number, width: number): string {
  const digits = value.toString(8);
  if (digits.length > width - 1) throw new Error(`${value} does not fit a ${width}-byte tar field`);
  return `${digits.padStart(width - 1, '0')}\u0000`;
}

function padding(length: number): Buffer {
  const rest = length % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}
