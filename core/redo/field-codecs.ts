import type { BodyRef, ByteCursor } from '#core/redo/byte-cursor.ts';
import type { ByteWriter } from '#core/redo/byte-writer.ts';
import { RedoEncodeError } from '#core/redo/errors.ts';
import { decodeCustom, encodeBody, encodeCustom } from '#core/redo/message-fields.ts';
import type { CustomData, RecordHeader } from '#core/redo/redo-record.ts';
import { atLeast, type RedoVersion } from '#core/redo/version.ts';

/**
 * How one field (or a run of fields) of an op is read and written, for a given record version. One
 * description serves the reader and the writer, so the two cannot drift apart.
 */
export interface FieldCodec<T> {
  read(c: ByteCursor, v: RedoVersion, h: RecordHeader): T;
  write(w: ByteWriter, v: RedoVersion, value: T): void;
}

type ValueOf<C> = C extends FieldCodec<infer T> ? T : never;

const prim = <T>(read: (c: ByteCursor) => T, write: (w: ByteWriter, value: T) => void): FieldCodec<T> => ({
  read: (c) => read(c),
  write: (w, _v, value) => write(w, value),
});

export const i8 = prim(
  (c) => c.i8(),
  (w, x: number) => w.i8(x),
);
export const i16 = prim(
  (c) => c.i16(),
  (w, x: number) => w.i16(x),
);
export const i32 = prim(
  (c) => c.i32(),
  (w, x: number) => w.i32(x),
);
export const i64 = prim(
  (c) => c.i64(),
  (w, x: number) => w.i64(x),
);
export const bool = prim(
  (c) => c.bool(),
  (w, x: boolean) => w.bool(x),
);
/** i32 byte length (−1 = null), UTF-8. */
export const str = prim(
  (c) => c.str(),
  (w, x: string | null) => w.str(x),
);
/** i32 count (−1 = null), then strings. */
export const strArray = prim(
  (c) => c.strArray(),
  (w, x: (string | null)[] | null) => w.strArray(x),
);
/** i32 count, then i32 each. */
export const i32Array = prim(
  (c) => c.i32Array(),
  (w, x: number[]) => w.i32Array(x),
);
/** i32 length, then raw bytes (bodies, calendar MIME). */
export const bytes = prim(
  (c) => {
    const at = c.pos;
    return c.body(c.i32(), at);
  },
  (w, x: BodyRef) => encodeBody(w, x),
);
export const customData = prim(
  (c) => decodeCustom(c),
  (w, x: CustomData | null) => encodeCustom(w, x),
);
/** A color: an i64 (RGB or index) from 1.27, a byte before. */
export const color: FieldCodec<number> = {
  read: (c, v) => (atLeast(v, 1, 27) ? c.i64() : c.i8()),
  write: (w, v, x) => (atLeast(v, 1, 27) ? w.i64(x) : w.i8(x)),
};

/** A field present from version `major.minor` on; undefined in older records. */
export function since<T>(major: number, minor: number, codec: FieldCodec<T>): FieldCodec<T | undefined> {
  return {
    read: (c, v, h) => (atLeast(v, major, minor) ? codec.read(c, v, h) : undefined),
    write: (w, v, x) => {
      if (!atLeast(v, major, minor)) return;
      if (x === undefined) throw new RedoEncodeError(`a field of version ${major}.${minor} is missing`);
      codec.write(w, v, x);
    },
  };
}

/** A boolean "present", then the value when true; null when absent. */
export function optional<T>(codec: FieldCodec<T>): FieldCodec<T | null> {
  return {
    read: (c, v, h) => (c.bool() ? codec.read(c, v, h) : null),
    write: (w, v, x) => {
      w.bool(x !== null);
      if (x !== null) codec.write(w, v, x);
    },
  };
}

/** An i32 count, then that many elements. */
export function list<T>(codec: FieldCodec<T>): FieldCodec<T[]> {
  return {
    read: (c, v, h) => {
      const at = c.pos;
      const n = c.count(c.i32(), at);
      const out: T[] = [];
      for (let i = 0; i < n; i++) out.push(codec.read(c, v, h));
      return out;
    },
    write: (w, v, x) => {
      w.i32(x.length);
      for (const e of x) codec.write(w, v, e);
    },
  };
}

/** Named fields in order; a codec of its own (no name) is a run of fields spread into the record. */
export type Entry = readonly [name: string, codec: FieldCodec<unknown>] | FieldCodec<object>;

type Named<E> = E extends readonly [infer N extends string, infer C]
  ? undefined extends ValueOf<C>
    ? { [K in N]?: Exclude<ValueOf<C>, undefined> }
    : { [K in N]: ValueOf<C> }
  : unknown;
type Spread<E> = E extends FieldCodec<infer T> ? T : unknown;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;
/** The decoded shape of a list of entries. */
export type RecordOf<E extends readonly Entry[]> = UnionToIntersection<
  { [I in keyof E]: Named<E[I]> & Spread<E[I]> }[number]
> & {};

export function record<const E extends readonly Entry[]>(...entries: E): FieldCodec<RecordOf<E>> {
  return {
    read: (c, v, h) => {
      const out: Record<string, unknown> = {};
      for (const e of entries) {
        if (isNamed(e)) {
          const value = e[1].read(c, v, h);
          if (value !== undefined) out[e[0]] = value;
        } else Object.assign(out, e.read(c, v, h));
      }
      return out as RecordOf<E>;
    },
    write: (w, v, x) => {
      const value = x as Record<string, unknown>;
      for (const e of entries) {
        if (isNamed(e)) e[1].write(w, v, value[e[0]]);
        else e.write(w, v, value);
      }
    },
  };
}

function isNamed(e: Entry): e is readonly [string, FieldCodec<unknown>] {
  return Array.isArray(e);
}

/** A constant the writer always puts there (a reserved short, an unused int); the reader checks nothing. */
export function reserved<T>(codec: FieldCodec<T>, value: T): FieldCodec<object> {
  return {
    read: (c, v, h) => {
      codec.read(c, v, h);
      return {};
    },
    write: (w, v) => codec.write(w, v, value),
  };
}

/** `newer` from version `major.minor` on, `older` before (a field whose encoding changed). */
export function byVersion<A, B>(
  major: number,
  minor: number,
  newer: FieldCodec<A>,
  older: FieldCodec<B>,
): FieldCodec<A | B> {
  return {
    read: (c, v, h) => (atLeast(v, major, minor) ? newer.read(c, v, h) : older.read(c, v, h)),
    write: (w, v, x) => (atLeast(v, major, minor) ? newer.write(w, v, x as A) : older.write(w, v, x as B)),
  };
}

/** A 64-bit mask kept exactly, as decimal text. */
export const i64Text = prim(
  (c) => c.i64Exact().toString(),
  (w, x: string) => w.i64(BigInt(x)),
);

/** A value preceded by a "present" boolean from version `major.minor` on; always present before. */
export function presentSince<T>(major: number, minor: number, codec: FieldCodec<T>): FieldCodec<T | null> {
  return {
    read: (c, v, h) => (!atLeast(v, major, minor) || c.bool() ? codec.read(c, v, h) : null),
    write: (w, v, x) => {
      if (atLeast(v, major, minor)) w.bool(x !== null);
      else if (x === null) throw new RedoEncodeError(`before ${major}.${minor} the value is always present`);
      if (x !== null) codec.write(w, v, x);
    },
  };
}

/** An i32 count where −1 means "no list" (null), then that many elements. */
export function nullableList<T>(codec: FieldCodec<T>): FieldCodec<T[] | null> {
  const inner = list(codec);
  return {
    read: (c, v, h) => {
      const at = c.pos;
      if (c.i32() === -1) return null;
      c.pos = at;
      return inner.read(c, v, h);
    },
    write: (w, v, x) => (x === null ? w.i32(-1) : inner.write(w, v, x)),
  };
}
