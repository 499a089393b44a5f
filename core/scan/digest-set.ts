const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;
/** Four 32-bit words (128 bits) of each digest are kept. */
const WORDS = 4;
const FIRST_SLOTS = 1024;

/**
 * A set of SHA-256 digests (hex) in one typed array: the first 128 bits of each, open addressing. A scan of a
 * server with millions of bodies keeps every digest it has packed or was told is stored; as a `Set` of hex
 * strings that is ~100 bytes a digest (a scan's memory grew with the server), here 21–43. Two different
 * bodies share their first 128 bits with a probability of about n²/2¹²⁹ (10⁻²⁵ for ten million): `has`
 * answering wrongly would skip a body, so fewer bits would not do.
 */
export class DigestSet {
  /** Slots of WORDS words; all zero is an empty slot. */
  private table = new Uint32Array(FIRST_SLOTS * WORDS);
  private slots = FIRST_SLOTS;
  private count = 0;
  /** A digest whose first 128 bits are zero cannot take a slot (it would read as empty). */
  private zero = false;
  private readonly key = new Uint32Array(WORDS);

  static isDigest(value: string): boolean {
    return HEX_DIGEST.test(value);
  }

  get size(): number {
    return this.count + (this.zero ? 1 : 0);
  }

  /** Adds a digest (64 hex digits, either case); anything else is a programming error. */
  add(sha256: string): void {
    if (!this.parse(sha256)) throw new RangeError(`not a SHA-256 digest in hex: ${sha256.slice(0, 80)}`);
    if (this.isZero()) {
      this.zero = true;
      return;
    }
    const at = this.find();
    if (
      this.table[at] !== 0 ||
      this.table[at + 1] !== 0 ||
      this.table[at + 2] !== 0 ||
      this.table[at + 3] !== 0
    )
      return; // there already
    this.table.set(this.key, at);
    this.count++;
    if (this.count * 4 > this.slots * 3) this.grow();
  }

  /** Whether the digest was added; false for anything that is not a digest. */
  has(sha256: string): boolean {
    if (!this.parse(sha256)) return false;
    if (this.isZero()) return this.zero;
    const at = this.find();
    return (
      this.table[at] !== 0 || this.table[at + 1] !== 0 || this.table[at + 2] !== 0 || this.table[at + 3] !== 0
    );
  }

  private parse(sha256: string): boolean {
    if (!HEX_DIGEST.test(sha256)) return false;
    for (let w = 0; w < WORDS; w++) this.key[w] = Number.parseInt(sha256.slice(w * 8, w * 8 + 8), 16);
    return true;
  }

  private isZero(): boolean {
    return this.key[0] === 0 && this.key[1] === 0 && this.key[2] === 0 && this.key[3] === 0;
  }

  /** The slot (word offset) holding the key, or the empty one where it would go: linear probing. */
  private find(table = this.table, slots = this.slots): number {
    const k = this.key;
    // The digest's bits are uniform: its first word is the hash.
    for (let slot = (k[0] as number) & (slots - 1); ; slot = (slot + 1) & (slots - 1)) {
      const at = slot * WORDS;
      const w0 = table[at];
      const w1 = table[at + 1];
      const w2 = table[at + 2];
      const w3 = table[at + 3];
      if (w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0) return at;
      if (w0 === k[0] && w1 === k[1] && w2 === k[2] && w3 === k[3]) return at;
    }
  }

  private grow(): void {
    const old = this.table;
    const slots = this.slots * 2;
    const table = new Uint32Array(slots * WORDS);
    for (let at = 0; at < old.length; at += WORDS) {
      if (old[at] === 0 && old[at + 1] === 0 && old[at + 2] === 0 && old[at + 3] === 0) continue;
      this.key.set(old.subarray(at, at + WORDS));
      table.set(this.key, this.find(table, slots));
    }
    this.table = table;
    this.slots = slots;
  }
}
