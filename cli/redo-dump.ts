import { statSync } from 'node:fs';
import type { CommandInput } from '#cli/command-spec.ts';
import type { REDO_DUMP_OPTIONS } from '#cli/specs/redo-group.ts';
import { timeOption } from '#cli/time-option.ts';
import { ValidationError } from '#core/errors.ts';
import { fileSource } from '#core/redo/byte-source.ts';
import type { RedoFileHeader } from '#core/redo/file-header.ts';
import { listRedoLogFiles } from '#core/redo/list-redo-log-files.ts';
import { opName } from '#core/redo/op-codes.ts';
import { readRedo } from '#core/redo/redo-reader.ts';
import type { OpData, RedoRecord } from '#core/redo/redo-record.ts';
import { formatVersion } from '#core/redo/version.ts';

export interface DumpOptions {
  json: boolean;
  mailboxId?: number;
  from?: number;
  to?: number;
}

/** The files to dump: one file, or a redolog directory's archives (by sequence) then redo.log. */
export function redoFiles(path: string): string[] {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    throw new ValidationError(
      `${path}: no such file or directory; give a redo log file or a redolog directory`,
    );
  }
  if (!stats.isDirectory()) return [path];
  const files = listRedoLogFiles(path);
  if (files.length === 0)
    throw new ValidationError(`${path}: no redo.log and no archive/redo-*-seq*.log files`);
  return files;
}

/** Writes a zmredodump-like listing of `files` to `write`; returns counts. */
export async function dumpRedo(files: string[], options: DumpOptions, write: (line: string) => void) {
  const counts = { records: 0, shown: 0, unparsed: 0, incomplete: 0 };
  for (const file of files) {
    const source = await fileSource(file);
    try {
      for await (const e of readRedo(source, { final: true })) {
        if (e.kind === 'header') {
          write(
            options.json
              ? JSON.stringify({ file, header: headerJson(e.header) })
              : headerLine(file, e.header),
          );
        } else if (e.kind === 'record') {
          counts.records++;
          if (!matches(e.record, options)) continue;
          counts.shown++;
          write(options.json ? JSON.stringify(recordJson(e.record)) : recordLine(e.record));
        } else if (e.kind === 'unparsed') {
          counts.unparsed++;
          const op = e.header ? opName(e.header.opCode) : undefined;
          write(
            options.json
              ? JSON.stringify({ unparsed: { offset: e.offset, end: e.end, reason: e.reason, op } })
              : `!! unparsed bytes [${e.offset}, ${e.end}): ${e.reason}`,
          );
        } else if (e.kind === 'incomplete') {
          counts.incomplete++;
          write(
            options.json
              ? JSON.stringify({ incomplete: { offset: e.offset } })
              : `.. incomplete record at ${e.offset} (a live file, or the server stopped mid-write)`,
          );
        }
      }
    } finally {
      await source.close();
    }
  }
  return counts;
}

function matches(record: RedoRecord, options: DumpOptions): boolean {
  const h = record.header;
  if (options.mailboxId !== undefined && h.mailboxId !== options.mailboxId) return false;
  if (options.from !== undefined && h.timestamp < options.from) return false;
  if (options.to !== undefined && h.timestamp > options.to) return false;
  return true;
}

function headerJson(h: RedoFileHeader) {
  return { ...h, sequence: h.sequence.toString(), version: formatVersion(h.version) };
}

function headerLine(file: string, h: RedoFileHeader): string {
  const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : '-');
  return [
    `== ${file}`,
    `   sequence ${h.sequence}  server ${h.serverId}  version ${formatVersion(h.version)}  ${h.open ? 'OPEN (live, or not closed cleanly)' : 'closed'}`,
    `   created ${iso(h.createTime)}  first op ${iso(h.firstOpTime)}  last op ${iso(h.lastOpTime)}  size ${h.open ? '-' : h.fileSize}`,
  ].join('\n');
}

/** Op data without body bytes (their location and length instead). */
function printable(data: OpData): Record<string, unknown> {
  const out: Record<string, unknown> = { ...data };
  if ('body' in data && data.body) {
    const b = data.body as { type?: string; offset?: number; length?: number };
    out.body =
      b.type === 'link' ? { type: 'link' } : { type: b.type ?? 'inline', offset: b.offset, length: b.length };
  }
  return out;
}

function recordJson(r: RedoRecord) {
  const h = r.header;
  return {
    offset: r.offset,
    length: r.length,
    time: new Date(h.timestamp).toISOString(),
    txn: `${h.txnId.time}-${h.txnId.counter}`,
    mailbox: h.mailboxId,
    version: formatVersion(h.version),
    changeId: h.changeId,
    ...printable(r.data),
  };
}

function recordLine(r: RedoRecord): string {
  const h = r.header;
  const { op, ...fields } = printable(r.data);
  const keys = Object.entries(fields)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return `${new Date(h.timestamp).toISOString()} txn=${h.txnId.time}-${h.txnId.counter} mbox=${h.mailboxId} ${String(op)} ${keys} @${r.offset}`;
}

/** `offsite redo dump`; exit 1 when a range did not parse. */
export async function redoDumpCommand({
  values,
  positionals,
  write,
  error,
}: CommandInput<typeof REDO_DUMP_OPTIONS>): Promise<number> {
  const mailboxId = values.mailbox === undefined ? undefined : Number(values.mailbox);
  if (mailboxId !== undefined && !Number.isInteger(mailboxId))
    throw new ValidationError(`--mailbox ${JSON.stringify(values.mailbox)} is not a mailbox id (an integer)`);
  const from = timeOption(values.from, 'from', values.tz);
  const to = timeOption(values.to, 'to', values.tz);
  const options: DumpOptions = {
    json: values.json,
    ...(mailboxId !== undefined ? { mailboxId } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
  };
  const counts = await dumpRedo(redoFiles(positionals[0] as string), options, (line) => write(`${line}\n`));
  if (!options.json)
    error(
      `${counts.shown} of ${counts.records} records shown; ${counts.unparsed} unparsed ranges; ${counts.incomplete} incomplete tails\n`,
    );
  return counts.unparsed > 0 ? 1 : 0;
}
