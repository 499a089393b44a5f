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

/** Makes a rename or unlink in `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
