/** Big-endian writer growing a list of chunks (Java DataOutput + Zimbra's RedoLogOutput strings). */
export class ByteWriter {
  private readonly chunks: Buffer[] = [];

  private fixed(n: number, write: (b: Buffer) => void): void {
    const bytes = Buffer.alloc(n);
    write(bytes);
    this.chunks.push(bytes);
  }
  bool(v: boolean) {
    this.fixed(1, (b) => b.writeUInt8(v ? 1 : 0));
  }
  i8(v: number) {
    this.fixed(1, (b) => b.writeInt8(v));
  }
  i16(v: number) {
    this.fixed(2, (b) => b.writeInt16BE(v));
  }
  i32(v: number) {
    this.fixed(4, (b) => b.writeInt32BE(v));
  }
  i64(v: number | bigint) {
    this.fixed(8, (b) => b.writeBigInt64BE(BigInt(v)));
  }
  str(v: string | null | undefined) {
    if (v === null || v === undefined) return this.i32(-1);
    const bytes = Buffer.from(v, 'utf8');
    this.i32(bytes.length);
    this.chunks.push(bytes);
  }
  strArray(v: (string | null)[] | null | undefined) {
    if (v === null || v === undefined) return this.i32(-1);
    this.i32(v.length);
    for (const s of v) this.str(s);
  }
  /** i32 count, then i32 each. */
  i32Array(list: readonly number[]) {
    this.i32(list.length);
    for (const id of list) this.i32(id);
  }
  raw(bytes: Buffer) {
    this.chunks.push(bytes);
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
