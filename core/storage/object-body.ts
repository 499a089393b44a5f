import { MAX_PLAINTEXT_BYTES, PlaintextError } from '#core/storage/plaintext.ts';

/** What a GetObject answer carries that reading its body needs (the SDK's output has both). */
export interface ObjectAnswer {
  readonly Body?: unknown;
  readonly ContentLength?: number;
}

/** The most a stored object may hold when it decodes to at most `plaintext` bytes (compression's worst case). */
export function storedLimit(plaintext: number): number {
  return plaintext + Math.ceil(plaintext / 128) + 4096;
}

/**
 * An object's stored bytes, read chunk by chunk and refused as soon as they pass `maxBytes` — before reading
 * anything when the answer's length already says so — so an object larger than it may be (a forged or
 * damaged one) never fills the memory of whoever reads it.
 */
export async function objectBody(
  answer: ObjectAnswer,
  maxBytes: number = MAX_PLAINTEXT_BYTES,
): Promise<Buffer> {
  const body = answer.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
  const tooLarge = () => {
    body?.destroy?.();
    return new PlaintextError(`holds more than the ${maxBytes} bytes it may`);
  };
  if (answer.ContentLength !== undefined && answer.ContentLength > maxBytes) throw tooLarge();
  if (body === undefined) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of body) {
    length += chunk.length;
    if (length > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}
