import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileSource } from '#core/redo/byte-source.ts';
import { listRedoLogFiles } from '#core/redo/list-redo-log-files.ts';
import { readRedo } from '#core/redo/redo-reader.ts';
import { TransactionAssembler } from '#core/redo/transaction-assembler.ts';
import type { PlacedTxn } from '#test/support/memory-index.ts';

/** Every committed transaction of a simulated host's redo log, with the sequence of the file its commit is in. */
export async function simulatedTransactions(hostDir: string): Promise<PlacedTxn[]> {
  const assembler = new TransactionAssembler();
  const out: PlacedTxn[] = [];
  for (const file of listRedoLogFiles(join(hostDir, 'redolog'))) {
    const source = await fileSource(file);
    let seq: bigint | undefined;
    try {
      for await (const e of readRedo(source, { captureBodies: Number.POSITIVE_INFINITY })) {
        if (e.kind === 'header') seq = e.header.sequence;
        else if (e.kind === 'record') {
          const txn = assembler.push(e.record);
          if (txn) out.push({ seq: seq as bigint, txn });
        } else if (e.kind === 'unparsed') assert.fail(`unparsed bytes in ${file}: ${e.reason}`);
      }
    } finally {
      await source.close();
    }
  }
  return out;
}
