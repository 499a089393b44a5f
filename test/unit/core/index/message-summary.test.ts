import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attachmentsOf, hintsOf, summarizeMessage } from '#core/index/message-summary.ts';

const message = (head: string, body = 'hello\r\n') => Buffer.from(`${head}\r\n\r\n${body}`, 'utf8');

describe('what search reads of a message', () => {
  it('subject, sender and recipients (To and Cc, folded and encoded) from the header block only', () => {
    const summary = summarizeMessage(
      message(
        [
          'From: Ann <ann@example.com>',
          'To: bob@example.net,',
          ' carol@example.net',
          'Cc: =?utf-8?q?Andr=C3=A9?= <andre@example.org>',
          'Subject: =?utf-8?b?UmVjaG51bmc=?= 42',
        ].join('\r\n'),
        'To: not-a-header@example.com\r\n',
      ),
    );
    assert.deepEqual(summary, {
      from: 'Ann <ann@example.com>',
      to: 'bob@example.net, carol@example.net, André <andre@example.org>',
      subject: 'Rechnung 42',
    });
  });

  it("names attachments from every part's headers: quoted, bare, RFC 2047 and RFC 2231, each once", () => {
    const body = [
      '--b',
      'Content-Type: text/plain',
      '',
      'see attached',
      '--b',
      'Content-Type: application/pdf; name="the-part-type-name.pdf"',
      'Content-Disposition: attachment;',
      '\tfilename="Q3 report.pdf"',
      '--b',
      'Content-Disposition: attachment; filename=plain.txt',
      '--b',
      "Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.txt",
      '--b',
      "Content-Disposition: attachment; filename*0*=utf-8''long%20na; filename*1=me.csv",
      '--b',
      'Content-Type: image/png; name="=?utf-8?q?B=C3=BCro.png?="',
      '--b',
      'Content-Disposition: attachment; filename="plain.txt"',
      '--b--',
    ].join('\r\n');
    const content = message('Content-Type: multipart/mixed; boundary="b"', body);
    assert.deepEqual(attachmentsOf(content), [
      'the-part-type-name.pdf',
      'Q3 report.pdf',
      'plain.txt',
      'résumé.txt',
      'long name.csv',
      'Büro.png',
    ]);
    assert.deepEqual(summarizeMessage(content).attachments, attachmentsOf(content));
    assert.equal(summarizeMessage(message('Subject: none')).attachments, undefined);
  });

  it('hints keep only what is there', () => {
    assert.deepEqual(hintsOf({ subject: 's', to: undefined }), { subject: 's' });
  });
});
