// `offsite console` in a real browser (headless Chromium driven by playwright-core): browse a mailbox as of
// an instant, restore an item from there, see the operation succeed and its report.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import type { LocalCloud } from '#local/local-cloud.ts';
import { MailHostSimulator } from '#local/mail-host/mail-host-simulator.ts';
import { eventually, startTestCloud } from '#test/integration/harness.ts';
import { LOCAL_AWS_ENV, OFFSITE_CLI, offsite, writeAgentConfig } from '#test/support/agent-cli.ts';

const SERVER = 'srv-console';
/** Debian's chromium (installed by .ci/run). */
const CHROMIUM = process.env.OFFSITE_CHROMIUM ?? '/usr/bin/chromium';

describe('the console in a browser', () => {
  const work = mkdtempSync(join(tmpdir(), 'offsite-console-'));
  let cloud: LocalCloud;
  let browser: Browser;
  let consoleProcess: ChildProcess;
  let consoleUrl: string;
  let account: string;

  before(async () => {
    cloud = await startTestCloud();
    const sim = new MailHostSimulator({ hostDir: join(work, 'host'), seed: 8, accounts: 2 });
    sim.run(80);
    const config = writeAgentConfig(join(work, 'agent.json'), cloud, {
      serverId: SERVER,
      zimbraHome: sim.hostDir,
      stateDir: join(work, 'state'),
      metrics: { enabled: false },
    });
    const shipped = await offsite(['agent', 'ship-once', '--config', config]);
    assert.equal(shipped.code, 0, shipped.stderr);
    // A mailbox with a message in its Inbox, once the index has it.
    const [mailboxId] = Object.entries(sim.current().mailboxes).find(([, m]) =>
      Object.values(m.messages).some((message) => message.folderId === 2),
    ) ?? [undefined];
    assert.ok(mailboxId, 'the simulated host has a message in an Inbox');
    account = `${SERVER}:${mailboxId}`;
    await eventually(
      async () => {
        const out = await offsite([
          'search',
          account,
          '--folder',
          '2',
          '--json',
          '--url',
          cloud.outputs.ControlUrl as string,
        ]);
        return out.code === 0 && (JSON.parse(out.stdout) as { items: unknown[] }).items.length > 0
          ? true
          : undefined;
      },
      60_000,
      'the index to hold the Inbox',
    );
    consoleProcess = spawn(
      process.execPath,
      [
        OFFSITE_CLI,
        'console',
        '--json',
        '--url',
        cloud.outputs.ControlUrl as string,
        '--bucket',
        cloud.outputs.BackupBucketName as string,
      ],
      {
        env: { ...LOCAL_AWS_ENV, AWS_ENDPOINT_URL_S3: cloud.endpoints.s3 },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    consoleUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      consoleProcess.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split('\n')[0];
        if (out.includes('\n') && line) resolve((JSON.parse(line) as { url: string }).url);
      });
      consoleProcess.once('exit', (code) => reject(new Error(`offsite console exited (${code})`)));
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    consoleProcess?.kill('SIGKILL');
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('listens on loopback only, and answers nothing without its token or at another host name', async () => {
    const url = new URL(consoleUrl);
    assert.equal(url.hostname, '127.0.0.1');
    assert.ok((url.searchParams.get('token') ?? '').length >= 40);
    assert.equal((await fetch(`${url.origin}/api/status`)).status, 403);
    assert.equal((await fetch(`${url.origin}/`)).status, 403);
    const wrongToken = await fetch(`${url.origin}/api/status`, {
      headers: { 'x-offsite-token': 'x'.repeat(43) },
    });
    assert.equal(wrongToken.status, 403);
    const ok = await fetch(`${url.origin}/api/status`, {
      headers: { 'x-offsite-token': url.searchParams.get('token') ?? '' },
    });
    assert.equal(ok.status, 200);
  });

  it('browse, restore an item, the operation succeeds, its report is shown', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(consoleUrl);
      assert.ok(!page.url().includes('token='), 'the token leaves the address bar');
      await page.waitForSelector(`[data-testid="server-rows"] tr[data-server="${SERVER}"]`);
      await page.click(`tr[data-server="${SERVER}"]`);
      await page.waitForSelector('[data-testid="timeline"] span');

      await page.click('[data-testid="nav-browse"]');
      await page.fill('[data-testid="account"]', account);
      await page.click('[data-testid="open"]');
      await page.click('tr[data-folder="/Inbox"]');
      const box = page.locator('[data-testid="item-rows"] input[type="checkbox"]').first();
      await box.check();
      const itemId = await box.getAttribute('data-item');
      await page.click('[data-testid="item-rows"] a >> nth=0');
      await page.waitForSelector('[data-testid="history"] li');
      await page.click('[data-testid="restore-items"]');

      const message = page.locator('[data-testid="message"]', { hasText: /restore [0-9a-f-]{36} started/ });
      await message.waitFor();
      const operationId = /restore ([0-9a-f-]{36}) started/.exec(
        (await message.textContent()) ?? '',
      )?.[1] as string;
      await page.waitForSelector(`tr[data-operation="${operationId}"][data-state="succeeded"]`, {
        timeout: 120_000,
      });
      await page.click(`[data-testid="report-${operationId}"]`);
      const totals = await page.waitForSelector('[data-testid="report-totals"]');
      assert.match(
        (await totals.textContent()) ?? '',
        /^1 items restored .* in 1 account\(s\), 0 not restored$/,
      );

      // The same operation through the CLI: the item the page chose, restored.
      const shown = await offsite([
        'ops',
        'show',
        operationId,
        '--json',
        '--url',
        cloud.outputs.ControlUrl as string,
      ]);
      const op = JSON.parse(shown.stdout) as {
        state: string;
        params: { itemIds: number[]; accounts: string[] };
      };
      assert.equal(op.state, 'succeeded');
      assert.deepEqual(op.params.itemIds, [Number(itemId)]);
      assert.deepEqual(op.params.accounts, [account]);
    } finally {
      await page.close();
    }
  });

  it('stops on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => consoleProcess.once('exit', resolve));
    consoleProcess.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
