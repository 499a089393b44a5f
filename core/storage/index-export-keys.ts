import { BUCKET } from '#core/storage/bucket-layout.ts';

/**
 * Where a table's daily export goes: `index-exports/<table name>/<YYYY-MM-DD>` (DynamoDB adds
 * `/AWSDynamoDB/<export id>/` with its manifest and data files below).
 */
export const indexExportPrefix = (tableName: string, firedAt: string) =>
  `${BUCKET.indexExports}${tableName}/${firedAt.slice(0, 10)}`;

/** A table's name from its ARN (`arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`). */
export function tableNameOf(tableArn: string): string {
  const name = /:table\/([A-Za-z0-9_.-]{3,255})$/.exec(tableArn)?.[1];
  if (!name) throw new RangeError(`${tableArn} is not a DynamoDB table ARN`);
  return name;
}
