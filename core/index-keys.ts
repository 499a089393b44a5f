/** DynamoDB key layout of the index table. Fixed-width numbers keep lexical order equal to numeric order. */
const pad = (decimal: string) => decimal.padStart(20, '0');

export const indexKeys = {
  server: (serverId: string) => `SRV#${serverId}`,
  segment: (seq: string, firstOffset: string) => `SEG#${pad(seq)}#${pad(firstOffset)}`,
} as const;

export const operationKeys = {
  operation: (id: string) => ({ pk: `OP#${id}`, sk: 'OP' }),
} as const;
