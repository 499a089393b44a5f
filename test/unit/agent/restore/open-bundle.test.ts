import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { applyToMaildir } from '#agent/restore/apply-maildir.ts';
import { directoryBundleSource } from '#agent/restore/bundle-source.ts';
import { BundleIntegrityError, RestoreTargetError } from '#agent/restore/errors.ts';
import { openBundle } from '#agent/restore/open-bundle.ts';
import { FIXTURE_MESSAGE, fixtureAccount, writeFixtureBundle } from '#test/support/bundle-fixture.ts';

// A restore bundle comes from a bucket: whatever it says is checked before anything is written, and
// nothing it says can place a file outside the target directory.

describe('an untrusted restore bundle', () => {
  const root = mkdtempSync(join(tmpdir(), 'offsite-bundle-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const fresh = () => join(root, String(n++));

  /** Opens and applies a bundle to a Maildir inside a sandbox; returns the error and what was written. */
  async function tryApply(account: unknown, options?: Parameters<typeof writeFixtureBundle>[2]) {
    const bundleDir = fresh();
    const sandbox = fresh();
    const target = join(sandbox, 'target');
    writeFixtureBundle(bundleDir, account, options);
    let error: unknown;
    try {
      await applyToMaildir(await openBundle(directoryBundleSource(bundleDir)), target);
    } catch (caught) {
      error = caught;
    }
    const written = existsSync(sandbox) ? readdirSync(sandbox, { recursive: true, encoding: 'utf8' }) : [];
    return { error, written };
  }

  it('a sound bundle applies to a Maildir, flags and tags included', async () => {
    const { error, written } = await tryApply(fixtureAccount());
    assert.equal(error, undefined);
    const files = written.filter((f) => f.includes('/cur/'));
    assert.equal(files.length, 2);
    assert.ok(
      files.every((f) => f.endsWith(':2,Sa')),
      `flags: seen + keyword a (${files.join(', ')})`,
    );
  });

  const cases: [string, (a: ReturnType<typeof fixtureAccount>) => void, RegExp][] = [
    [
      'a folder named ".."',
      (a) => {
        (a.folders[1] as { name: string }).name = '..';
      },
      /folder name "\.\." is "\.\."/,
    ],
    [
      'a folder name with a path',
      (a) => {
        (a.folders[1] as { name: string }).name = '../../etc';
      },
      /contains a path separator/,
    ],
    [
      'an absolute folder name',
      (a) => {
        (a.folders[1] as { name: string }).name = '/etc/cron.d';
      },
      /contains a path separator/,
    ],
    [
      'a NUL in a folder name',
      (a) => {
        (a.folders[1] as { name: string }).name = 'Work\0.eml';
      },
      /contains a NUL/,
    ],
    [
      'an overlong folder name',
      (a) => {
        (a.folders[1] as { name: string }).name = 'x'.repeat(300);
      },
      /longer than 255/,
    ],
    [
      'a tag with a control character',
      (a) => {
        (a.messages[0] as { tags: string[] }).tags = ['a\nb'];
      },
      /control character/,
    ],
    [
      'an account name that climbs',
      (a) => {
        a.target = '../../root@example.com';
      },
      /account name/,
    ],
    [
      'a message file of its own choosing',
      (a) => {
        (a.messages[0] as { file: string }).file = '../../../evil.eml';
      },
      /must be messages\/257\.eml/,
    ],
    [
      'a folder cycle',
      (a) => {
        (a.folders[1] as { parentId: number }).parentId = 300;
      },
      /parent cycle/,
    ],
    [
      'a message in a folder the bundle lacks',
      (a) => {
        (a.messages[1] as { folderId: number }).folderId = 999;
      },
      /folder 999 is not in the bundle/,
    ],
  ];
  for (const [what, mutate, message] of cases)
    it(`refuses ${what}, writing nothing`, async () => {
      const account = fixtureAccount();
      mutate(account);
      const { error, written } = await tryApply(account);
      assert.ok(error instanceof BundleIntegrityError, `${what}: ${String(error)}`);
      assert.match(error.message, message);
      assert.deepEqual(written, [], 'nothing was written');
    });

  it('refuses an account manifest changed after the bundle manifest named its digest', async () => {
    const { error, written } = await tryApply(fixtureAccount(), {
      afterDigests: (dir) => {
        const file = join(dir, 'accounts/0/manifest.json');
        writeFileSync(file, readFileSync(file, 'utf8').replace('"Work"', '"Private"'));
      },
    });
    assert.ok(error instanceof BundleIntegrityError);
    assert.match(error.message, /accounts\/0\/manifest\.json .* has SHA-256 [0-9a-f]{64}, the manifest says/);
    assert.deepEqual(written, []);
  });

  it('leaves out a message whose content does not match its digest, reports it, and writes the others', async () => {
    const bundleDir = fresh();
    const target = join(fresh(), 'target');
    writeFixtureBundle(bundleDir, fixtureAccount(), {
      messages: { 'messages/257.eml': FIXTURE_MESSAGE, 'messages/258.eml': Buffer.from('something else') },
    });
    const [report] = await applyToMaildir(await openBundle(directoryBundleSource(bundleDir)), target);
    const written = readdirSync(target, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.includes('/cur/'),
    );
    assert.equal(report?.appended, 1);
    assert.deepEqual(
      report?.failed.map((f) => f.id),
      [258],
    );
    assert.match(report?.failed[0]?.reason ?? '', /messages\/258\.eml .* SHA-256/);
    assert.ok(!written.some((f) => f.includes('M258')), 'the altered message was not written');
    assert.ok(
      written.some((f) => f.includes('M257')),
      'the sound one was',
    );
  });

  it('does not follow a symbolic link planted in the target directory', async () => {
    const bundleDir = fresh();
    writeFixtureBundle(bundleDir, fixtureAccount());
    const target = fresh();
    const elsewhere = fresh();
    mkdirSync(target, { recursive: true });
    mkdirSync(elsewhere, { recursive: true });
    symlinkSync(elsewhere, join(target, 'jane@example.com'));
    await assert.rejects(
      applyToMaildir(await openBundle(directoryBundleSource(bundleDir)), target),
      (e: unknown) => e instanceof RestoreTargetError && /is a symbolic link/.test(e.message),
    );
    assert.deepEqual(readdirSync(elsewhere), [], 'nothing was written through the link');
  });

  it('refuses a bundle manifest other than the one the operation recorded', async () => {
    const dir = fresh();
    writeFixtureBundle(dir, fixtureAccount());
    await assert.rejects(
      openBundle(directoryBundleSource(dir), 'f'.repeat(64)),
      /the operation recorded f{64}/,
    );
  });

  it('refuses paths outside the bundle when reading it', async () => {
    const dir = fresh();
    writeFixtureBundle(dir, fixtureAccount());
    const source = directoryBundleSource(dir);
    for (const path of ['../manifest.json', '/etc/passwd', 'accounts/../../x', 'a\0b', 'a\\b'])
      await assert.rejects(source.read(path), /unsafe path in bundle/, path);
  });
});
