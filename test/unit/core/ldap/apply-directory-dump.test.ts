import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DIRECTORY_SCOPE, nameKey } from '#core/index/index-entity.ts';
import { redoPosition } from '#core/index/redo-position.ts';
import { attr } from '#core/ldap/directory-entry.ts';
import { directoryObjects } from '#core/ldap/directory-objects.ts';
import { seededRandom } from '#core/seeded-random.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { MemoryIndex } from '#test/support/memory-index.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('applyDirectoryDump', () => {
  it('keeps every dump as of its time: accounts by name and id across renames and deletions', () => {
    const host = mkdtempSync(join(tmpdir(), 'offsite-dir-'));
    dirs.push(host);
    const sim = new MailHostSimulator({ hostDir: host, seed: 23, accounts: 6, tickMaxMs: 60_000 });
    // Dumps every 150 steps, as a scheduled LDAP dump would take them.
    const dumps: number[] = [];
    const index = new MemoryIndex();
    for (let i = 0; i < 12; i++) {
      sim.run(150);
      const at = sim.time();
      dumps.push(at);
      index.applyDump(directoryObjects(sim.directoryAt(at)), redoPosition(0n, i), at);
    }
    assert.ok(
      (sim.counts['rename-account'] ?? 0) > 0 && (sim.counts['delete-mailbox'] ?? 0) > 0,
      'renames and deletions',
    );
    const overlay = index.applyDump(
      directoryObjects(sim.directoryAt(dumps.at(-1) as number)),
      redoPosition(0n, 99),
      (dumps.at(-1) as number) + 1,
    );
    assert.equal(overlay.versions.length, 0, 'an unchanged dump writes nothing');

    const random = seededRandom(4);
    let renamedSeen = 0;
    for (let i = 0; i < 60; i++) {
      const t =
        (dumps[0] as number) + Math.floor(random() * ((dumps.at(-1) as number) - (dumps[0] as number)));
      const dumpAt = dumps.filter((d) => d <= t).at(-1) as number;
      const entities = index.entitiesAt(DIRECTORY_SCOPE, t);
      const accounts = sim
        .directoryAt(dumpAt)
        .filter((e) => attr(e, 'objectClass').includes('zimbraAccount'));
      const indexed = [...entities.values()].filter((e) => e.kind === 'directory' && e.object === 'account');
      assert.equal(indexed.length, accounts.length, `accounts at ${new Date(t).toISOString()}`);
      for (const account of accounts) {
        const name = (attr(account, 'zimbraMailDeliveryAddress')[0] as string).toLowerCase();
        const resolved = entities.get(nameKey(name));
        assert.equal(resolved?.kind === 'name' ? resolved.zimbraId : undefined, attr(account, 'zimbraId')[0]);
        for (const alias of attr(account, 'zimbraMailAlias')) {
          const a = entities.get(nameKey(alias.toLowerCase()));
          assert.equal(
            a?.kind === 'name' ? a.zimbraId : undefined,
            attr(account, 'zimbraId')[0],
            'an alias names its account',
          );
        }
      }
      // A name some account had earlier and no longer has resolves to nothing now.
      for (const earlier of dumps.filter((d) => d < dumpAt)) {
        for (const old of sim
          .directoryAt(earlier)
          .filter((e) => attr(e, 'objectClass').includes('zimbraAccount'))) {
          const name = (attr(old, 'zimbraMailDeliveryAddress')[0] as string).toLowerCase();
          if (
            !accounts.some((a) => (attr(a, 'zimbraMailDeliveryAddress')[0] as string).toLowerCase() === name)
          ) {
            assert.equal(
              entities.get(nameKey(name)),
              undefined,
              `${name} is gone at ${new Date(t).toISOString()}`,
            );
            renamedSeen++;
          }
        }
      }
    }
    assert.ok(renamedSeen > 0, 'some instants fall after a rename or deletion');
  });
});
