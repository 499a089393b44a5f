import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crashPoint } from '#agent/ship/crash-point.ts';

/**
 * Writes `data` so that after a crash at any instant the file holds either the old content or all of the
 * new one: a temporary file, fsync, rename over the target, fsync of the directory.
 */
export async function writeDurably(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const file = await open(tmp, 'w', 0o600);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  crashPoint('durable-write');
  await rename(tmp, path);
  await syncDirectory(dirname(path));
}

/**
 * Appends `text` and syncs it before returning: after a crash the file holds everything appended before,
 * and at most a torn last append (the reader must allow for it). The directory is not synced: a file this
 * creates can be lost with a crash soon after, so a reader must take a missing file as "nothing appended".
 */
export async function appendDurably(path: string, text: string): Promise<void> {
  const file = await open(path, 'a', 0o600);
  try {
    await file.appendFile(text);
    await file.datasync();
  } finally {
    await file.close();
  }
}

/** Makes a rename or unlink in `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
