import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MailStateReplayer } from '#core/redo/replay-mail-state.ts';
import { applyOps } from '#test/support/replayed-ops.ts';

// A mailbox's configuration sections as SetConfig and DeleteConfig leave them (Mailbox.setConfig,
// DbMailbox.deleteConfig: `section LIKE ?`, compared without case).

function mailbox(): MailStateReplayer {
  const replayer = new MailStateReplayer();
  applyOps(replayer, { op: 'CreateMailbox', accountId: 'acct-1' });
  return replayer;
}
const config = (r: MailStateReplayer) => r.state.mailboxes['1']?.config;

describe('configuration sections', () => {
  it('are set, replaced whatever the case of their name, and deleted by an empty config', () => {
    const r = mailbox();
    applyOps(
      r,
      { op: 'SetConfig', section: 'imap', config: 'd4:subsl5:Inboxee' },
      { op: 'SetConfig', section: 'CONTACT_RANKINGS', config: 'd1:ni1ee' },
      { op: 'SetConfig', section: 'IMAP', config: 'd4:subsl4:Sentee' },
    );
    assert.deepEqual(config(r), { IMAP: 'd4:subsl4:Sentee', CONTACT_RANKINGS: 'd1:ni1ee' });
    applyOps(r, { op: 'SetConfig', section: 'contact_rankings', config: '' });
    assert.deepEqual(config(r), { IMAP: 'd4:subsl4:Sentee' });
  });

  it('DeleteConfig takes every section its LIKE pattern matches, and no other', () => {
    const r = mailbox();
    applyOps(
      r,
      { op: 'SetConfig', section: 'dev1:Email', config: 'd1:a1:1e' },
      { op: 'SetConfig', section: 'dev1:Calendar', config: 'd1:a1:2e' },
      { op: 'SetConfig', section: 'dev10', config: 'd1:a1:3e' },
      { op: 'SetConfig', section: 'dev1_x', config: 'd1:a1:4e' },
      { op: 'DeleteConfig', section: 'DEV1:%' },
    );
    assert.deepEqual(Object.keys(config(r) ?? {}).sort(), ['DEV10', 'DEV1_X']);
    applyOps(r, { op: 'DeleteConfig', section: 'dev1\\_x' });
    assert.deepEqual(Object.keys(config(r) ?? {}), ['DEV10'], 'an escaped _ is itself');
    applyOps(r, { op: 'DeleteConfig', section: 'dev_0' });
    assert.equal(config(r), undefined, '_ is any one character; no sections left: none at all');
  });

  it('never keeps a section that holds secrets', () => {
    const r = mailbox();
    applyOps(r, { op: 'SetConfig', section: 'YAUTH', config: 'd5:token3:abce' });
    assert.equal(config(r), undefined);
    assert.deepEqual(r.warnings, []);
  });
});

describe('custom metadata sections', () => {
  it('are set on a message and a folder, replaced per section, and removed when emptied', () => {
    const r = mailbox();
    applyOps(r, {
      op: 'CreateFolder',
      name: 'Projects',
      parentId: 1,
      view: 0,
      flags: 0,
      color: 0,
      url: null,
      folderId: 300,
      custom: { key: 'com_acme', value: 'd1:ai1ee' },
    });
    assert.deepEqual(r.state.mailboxes['1']?.folders['300']?.custom, { com_acme: 'd1:ai1ee' });
    applyOps(
      r,
      {
        op: 'SetCustomData',
        itemId: 300,
        itemType: 1,
        custom: { key: 'com_zimbra_followup', value: 'd1:bi2ee' },
      },
      { op: 'SetCustomData', itemId: 300, itemType: 1, custom: { key: 'com_acme', value: 'de' } },
    );
    assert.deepEqual(r.state.mailboxes['1']?.folders['300']?.custom, { com_zimbra_followup: 'd1:bi2ee' });
    applyOps(r, {
      op: 'SetCustomData',
      itemId: 300,
      itemType: 1,
      custom: { key: 'com_zimbra_followup', value: 'de' },
    });
    assert.equal(r.state.mailboxes['1']?.folders['300']?.custom, undefined, 'no sections left: none at all');
    applyOps(r, { op: 'SetCustomData', itemId: 999, itemType: 5, custom: { key: 'x', value: 'd1:ai1ee' } });
    assert.match(r.warnings.join('\n'), /SetCustomData .*item 999 .*not known/);
  });
});
