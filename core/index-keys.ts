/** DynamoDB key layout of the index table. Fixed-width numbers keep lexical order equal to numeric order. */
const pad = (decimal: string) => decimal.padStart(20, '0');

export const indexKeys = {
  server: (serverId: string) => `SRV#${serverId}`,
  segment: (seq: string, firstOffset: string) => `SEG#${pad(seq)}#${pad(firstOffset)}`,
  /** A redo file's seal (final header): the file is complete. */
  seal: (seq: string) => `FILE#${pad(seq)}`,
  ldapDump: (dumpedAt: string) => `LDAP#${dumpedAt}`,
} as const;

export const operationKeys = {
  operation: (id: string) => ({ pk: `OP#${id}`, sk: 'OP' }),
} as const;
