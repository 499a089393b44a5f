/** ldapts errors carry the result code in their class name and often no message. */
export function ldapReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const words = error.name
    .replace(/Error$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  const code = (error as { code?: unknown }).code;
  return `${words}${typeof code === 'number' ? ` (LDAP result ${code})` : ''}${error.message.trim() ? `: ${error.message.trim()}` : ''}`;
}
