import { createHash } from 'node:crypto';
import { ExportTableToPointInTimeCommand } from '@aws-sdk/client-dynamodb';
import { indexExportPrefix, tableNameOf } from '#core/storage/index-export-keys.ts';
import { dynamodb } from '#functions/clients/dynamodb.ts';

export interface ExportTarget {
  readonly backupBucket: string;
  readonly exportedTables: readonly string[];
}

export interface TableExportStarted {
  readonly table: string;
  readonly exportArn: string;
  readonly prefix: string;
  readonly status: string;
}

/**
 * Starts a point-in-time export of each table into the backup bucket's `index-exports/`, where replication
 * carries it to the replica with everything else (DynamoDB exports run on their own; a failure shows in the
 * table's export list). One export per table and day: a retried firing gives the same client token, so
 * DynamoDB starts it once.
 */
export async function exportTables(target: ExportTarget, firedAt: string): Promise<TableExportStarted[]> {
  const started: TableExportStarted[] = [];
  for (const tableArn of target.exportedTables) {
    const table = tableNameOf(tableArn);
    const prefix = indexExportPrefix(table, firedAt);
    const out = await dynamodb().send(
      new ExportTableToPointInTimeCommand({
        TableArn: tableArn,
        S3Bucket: target.backupBucket,
        S3Prefix: prefix,
        ExportFormat: 'DYNAMODB_JSON',
        ClientToken: createHash('sha256').update(prefix).digest('hex').slice(0, 32),
      }),
    );
    started.push({
      table,
      exportArn: out.ExportDescription?.ExportArn ?? '',
      prefix,
      status: out.ExportDescription?.ExportStatus ?? 'unknown',
    });
  }
  return started;
}
