/**
 * The IAM role id in a principal id as AWS reports it for an assumed role (`AROA…:<session>`: SQS's SenderId,
 * a function URL caller's userId); the whole id for a user or an account.
 */
export function roleIdOf(principalId: string): string {
  return principalId.split(':')[0] ?? '';
}
