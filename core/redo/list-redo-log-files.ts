import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSequence } from '#core/redo/redo-file-names.ts';

/** A redolog directory's files in log order: archive/ by sequence, then the live redo.log (if present). */
export function listRedoLogFiles(redologDir: string): string[] {
  const archive = join(redologDir, 'archive');
  const archived = listOrEmpty(archive)
    .map((name) => ({ name, seq: archiveSequence(name) }))
    .filter((f): f is { name: string; seq: bigint } => f.seq !== undefined)
    .sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0))
    .map((f) => join(archive, f.name));
  const live = listOrEmpty(redologDir).includes('redo.log') ? [join(redologDir, 'redo.log')] : [];
  return [...archived, ...live];
}

function listOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
