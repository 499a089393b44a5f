import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseImapUrl, redactedUrl } from '#agent/restore/apply-imap.ts';

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
