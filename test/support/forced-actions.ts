import type { MailHostSimulator, SimulatorAction } from '#local/mail-host/mail-host-simulator.ts';

/**
 * What the workload draws rarely: every folder attribute (colors, shares, a subscription), saved searches,
 * mountpoints, chats (a new one, then one saved again), configuration, custom data, notes and comments.
 */
export const RARE_ACTIONS: readonly SimulatorAction[] = [
  'color-folder',
  'share-folder',
  'share-folder',
  'unshare-folder',
  'subscribe-folder',
  'create-search',
  'modify-search',
  'create-mountpoint',
  'chat',
  'save-chat',
  'set-retention',
  'set-retention',
  'hide-from-activesync',
  'offline-sync-days',
  'move-document-path',
  'imap-subscriptions',
  'app-config',
  'app-config',
  'delete-config',
  'yahoo-auth',
  'custom-data',
  'custom-data',
  'custom-data',
  'create-link',
  'create-note',
  'create-note',
  'edit-note',
  'reposition-note',
  'color-note',
  'delete-note',
  'comment-document',
  'comment-document',
];

/**
 * Makes each action happen once more, whatever the seed drew (an action that finds nothing to act on, like
 * revoking a share in a mailbox without one, is tried again, a bounded number of times). Throws if one never
 * happens: a test that relies on it must not pass without it.
 */
export function forceActions(sim: MailHostSimulator, actions: readonly SimulatorAction[]): void {
  for (const action of actions) {
    const before = sim.counts[action] ?? 0;
    for (let i = 0; i < 100 && (sim.counts[action] ?? 0) === before; i++) sim.act(action);
    if ((sim.counts[action] ?? 0) === before) throw new Error(`the simulator could not ${action}`);
  }
}
