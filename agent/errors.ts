import { OffsiteError } from '#core/errors.ts';

/** The agent's configuration file is missing or invalid; the message names the file and the field. */
export class AgentConfigError extends OffsiteError {
  override readonly name = 'AgentConfigError';
}

/** The redo log's sequence or size contradicts what was already shipped (reset, replaced or truncated). */
export class RedoSequenceError extends OffsiteError {
  override readonly name = 'RedoSequenceError';
}

/** The agent's local state or spool is unreadable or inconsistent. */
export class AgentStateError extends OffsiteError {
  override readonly name = 'AgentStateError';
}

/** An upload or announcement failed (the segment stays spooled and is retried). */
export class ShipError extends OffsiteError {
  override readonly name = 'ShipError';
}

/** Reading or shipping the LDAP directory failed; nothing was shipped for this dump. */
export class LdapDumpError extends OffsiteError {
  override readonly name = 'LdapDumpError';
}

/** The redo log directory or a redo file cannot be read as a Zimbra redo log; the message names the path. */
export class RedoLogError extends OffsiteError {
  override readonly name = 'RedoLogError';
}

/** A scan cannot start or go on: no database configured, an unknown account, an interrupted scan in the way. */
export class ScanError extends OffsiteError {
  override readonly name = 'ScanError';
}
