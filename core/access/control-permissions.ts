import type { OperationKind } from '#core/operation.ts';

// Who may do what through the control API. People work in one of three roles (IAM roles the stack creates):
// operators run everything; help desk staff look things up and restore; compliance officers look things up,
// keep (holds, retention) and export, and restore nothing into servers. Every role may read.

export const PERSON_ROLES = ['operator', 'help-desk', 'compliance'] as const;
export type PersonRole = (typeof PERSON_ROLES)[number];

/** Which roles may create each kind of operation. */
export const MAY_CREATE: Readonly<Record<OperationKind, readonly PersonRole[]>> = {
  selftest: ['operator'],
  restore: ['operator', 'help-desk'],
  smartscan: ['operator'],
  purge: ['operator'],
  coherency: ['operator', 'compliance'],
  export: ['operator', 'compliance'],
  import: ['operator'],
  reindex: ['operator'],
  'legal-hold': ['operator', 'compliance'],
  'ldap-dump': ['operator'],
  drill: ['operator', 'compliance'],
  reconcile: ['operator'],
};

/** Who may ask for what reveals secrets (a directory restored with its password hashes). */
export const MAY_REVEAL_SECRETS: readonly PersonRole[] = ['operator'];

const HOLDS = /^\/(retention|holds|holds\/[^/]+\/release)$/;
const STOP = /^\/operations\/[0-9a-f-]{36}\/stop$/;

/** The roles that may make a request (`kind`: the operation a POST /operations creates). */
export function rolesFor(
  method: string,
  path: string,
  kind?: OperationKind,
  secrets = false,
): readonly PersonRole[] {
  if (method === 'GET' || method === 'HEAD') return PERSON_ROLES;
  if (path === '/operations' && secrets) return MAY_REVEAL_SECRETS;
  if (path === '/operations') return kind ? MAY_CREATE[kind] : ['operator'];
  if (STOP.test(path)) return ['operator', 'help-desk'];
  if (HOLDS.test(path)) return ['operator', 'compliance'];
  // Bridging a gap ("accept loss"), the agents' dispatch routes, anything new: operators only.
  return ['operator'];
}

/** What a request does, in words, for a refusal. */
export function actionOf(method: string, path: string, kind?: OperationKind, secrets = false): string {
  if (path === '/operations' && kind && secrets) return `create a ${kind} operation with password hashes`;
  return path === '/operations' && kind ? `create a ${kind} operation` : `${method} ${path}`;
}
