import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imapDateTime, parseImapUrl, redactedUrl } from '#agent/restore/apply-imap.ts';

describe('an IMAP target URL', () => {
  it('gives host, port, TLS and an optional user', () => {
    assert.deepEqual(parseImapUrl('imaps://admin@mail.example.com'), {
      host: 'mail.example.com',
      port: 993,
      secure: true,
      user: 'admin',
    });
    assert.deepEqual(parseImapUrl('imap://127.0.0.1:10143'), {
      host: '127.0.0.1',
      port: 10143,
      secure: false,
    });
  });

  it('never echoes a password, whether the URL is mistyped or of another scheme', () => {
    for (const url of [
      'imap//bob:s3cret@host',
      'https://bob:s3cret@host/',
      'imap:bob:s3cret@host',
      'bob:s3cret@',
    ]) {
      let message = '';
      try {
        parseImapUrl(url);
      } catch (error) {
        message = (error as Error).message;
      }
      assert.ok(message, `${url} is refused`);
      assert.doesNotMatch(message, /s3cret/, message);
    }
    assert.throws(
      () => parseImapUrl('imap://bob:s3cret@host'),
      (error: Error) => !error.message.includes('s3cret'),
    );
    assert.equal(redactedUrl('imaps://bob:pw@host:993/x'), 'imaps://bob:***@host:993/x');
  });
});

describe("an APPEND's internal date", () => {
  it('is written as RFC 3501 date-time, in UTC', () => {
    assert.equal(imapDateTime(new Date(Date.UTC(2026, 0, 5, 9, 7, 3))), '05-Jan-2026 09:07:03 +0000');
    assert.equal(imapDateTime(new Date(Date.UTC(2025, 11, 31, 23, 59, 59))), '31-Dec-2025 23:59:59 +0000');
  });
});
