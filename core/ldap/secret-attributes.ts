// Directory attributes that hold secrets (password hashes, shared secrets): the index never keeps them, a
// restore carries them only when an operator asks (`--with-secrets`), and a load never removes them.
const SECRET = /password|secret/i;

export function isSecretAttribute(name: string): boolean {
  return SECRET.test(name);
}

/** The secret attributes of an entry (none: an empty object). */
export function secretAttributesOf(attributes: Readonly<Record<string, string[]>>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => isSecretAttribute(name)));
}
