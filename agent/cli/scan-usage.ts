export const SCAN_USAGE = `usage: offsite scan full|smart --config FILE (--all | --account NAME… | --domain NAME…) [--verify] [--restart] [--json]
  smart: only mailboxes changed since their last scan (or last scanned over scan.verifyDays ago; --verify: all)`;
