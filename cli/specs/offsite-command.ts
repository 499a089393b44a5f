import type { CommandSpec } from '#cli/command-spec.ts';
import { AGENT_GROUP } from '#cli/specs/agent-group.ts';
import { BACKUP_GROUP, CATALOG_COMMANDS } from '#cli/specs/catalog-group.ts';
import { COMPLETION_COMMAND } from '#cli/specs/completion-command-spec.ts';
import { CONSOLE_COMMAND } from '#cli/specs/console-command-spec.ts';
import { DRILL_GROUP } from '#cli/specs/drill-group.ts';
import { OPS_GROUP } from '#cli/specs/ops-group.ts';
import { REBUILD_COMMAND } from '#cli/specs/rebuild-command-spec.ts';
import { REDO_GROUP } from '#cli/specs/redo-group.ts';
import { RESTORE_GROUP } from '#cli/specs/restore-group.ts';
import { HOLD_GROUP, RETENTION_GROUP } from '#cli/specs/retention-group.ts';
import { SCAN_GROUP } from '#cli/specs/scan-group.ts';
import { SCHEDULE_GROUP } from '#cli/specs/schedule-group.ts';
import { DOCTOR_COMMAND, INIT_COMMAND } from '#cli/specs/setup-group.ts';
import { EXPORT_COMMAND, IMPORT_COMMAND } from '#cli/specs/transfer-group.ts';

/** Exit codes, as `offsite --help` states them. */
export const EXIT_CODES_HELP = `Exit codes:
  0  done
  1  done, with a failure or a finding to look at (a failed operation, a gap, a body that did
     not verify)
  2  not done: a usage error (it names the option and the accepted values), or what was asked
     could not start (a bad configuration, a service that cannot be reached)`;

/** The whole command tree of `offsite`: every command, its options and help, in one place. */
export const OFFSITE_COMMAND: CommandSpec = {
  name: 'offsite',
  summary: 'offsite backup and disaster recovery for Zimbra mail servers',
  description:
    'Commands that talk to the cloud use the AWS credential chain (AWS_PROFILE…) and the control API of the stack (--url or OFFSITE_CONTROL_URL). `offsite COMMAND --help` shows each command.',
  more: EXIT_CODES_HELP,
  examples: [
    'offsite backup list',
    'offsite search alice@example.com --subject invoice',
    'offsite restore alice@example.com --at "2026-12-05 10:15" --tz Europe/Paris --wait',
    'offsite restore --help',
  ],
  commands: [
    BACKUP_GROUP,
    ...CATALOG_COMMANDS,
    RESTORE_GROUP,
    CONSOLE_COMMAND,
    REBUILD_COMMAND,
    EXPORT_COMMAND,
    IMPORT_COMMAND,
    OPS_GROUP,
    DRILL_GROUP,
    RETENTION_GROUP,
    HOLD_GROUP,
    SCHEDULE_GROUP,
    INIT_COMMAND,
    DOCTOR_COMMAND,
    AGENT_GROUP,
    SCAN_GROUP,
    REDO_GROUP,
    COMPLETION_COMMAND,
  ],
};
