// Calendars and address books restored into a real CalDAV/CardDAV server (Radicale, on loopback): one
// collection per source folder, each event, task or card once by its UID; a second run adds nothing.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256Hex } from '#core/zimbra-digest.ts';
import { offsite } from '#test/support/agent-cli.ts';
import { FIXTURE_MESSAGE, fixtureAccount, writeFixtureBundle } from '#test/support/bundle-fixture.ts';
import { type Radicale, startRadicale, storedItems } from '#test/support/radicale.ts';

const ICS = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//test//EN',
  'BEGIN:VTIMEZONE',
  'TZID:Europe/Berlin',
  'BEGIN:STANDARD',
  'DTSTART:19701025T030000',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
  'BEGIN:VEVENT',
  'UID:weekly-1@example.com',
  'DTSTAMP:20261120T090000Z',
  'DTSTART;TZID=Europe/Berlin:20261123T100000',
  'DTEND;TZID=Europe/Berlin:20261123T110000',
  'RRULE:FREQ=WEEKLY;COUNT=5',
  'SUMMARY:Weekly sync with a long summary that the writer folded over two lines as RFC 5545 a',
  ' llows',
  'BEGIN:VALARM',
  'ACTION:DISPLAY',
  'TRIGGER:-PT15M',
  'END:VALARM',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:weekly-1@example.com',
  'DTSTAMP:20261120T090000Z',
  'RECURRENCE-ID;TZID=Europe/Berlin:20261130T100000',
  'DTSTART;TZID=Europe/Berlin:20261130T140000',
  'DTEND;TZID=Europe/Berlin:20261130T150000',
  'SUMMARY:Weekly sync (moved)',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:lunch/2@example.com',
  'DTSTAMP:20261120T090000Z',
  'DTSTART:20261201T110000Z',
  'SUMMARY:Lunch',
  'END:VEVENT',
  'BEGIN:VTODO',
  'UID:task-3@example.com',
  'DTSTAMP:20261120T090000Z',
  'SUMMARY:File the report',
  'END:VTODO',
  'BEGIN:VEVENT',
  'DTSTAMP:20261120T090000Z',
  'DTSTART:20261202T110000Z',
  'SUMMARY:No UID',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');
const VCF = [
  'BEGIN:VCARD',
  'VERSION:3.0',
  'UID:a1:300',
  'FN:Ann Example',
  'EMAIL:ann@example.net',
  'END:VCARD',
  'BEGIN:VCARD',
  'VERSION:3.0',
  'UID:a1:301',
  'FN:Bob Example',
  'END:VCARD',
  'BEGIN:VCARD',
  'VERSION:3.0',
  'FN:No UID',
  'END:VCARD',
  '',
].join('\r\n');

describe('restore apply --to caldav:// and carddav:// (a real Radicale)', () => {
  let server: Radicale;
  const work = mkdtempSync(join(tmpdir(), 'offsite-dav-'));
  const bundleDir = mkdtempSync(join(work, 'bundle-'));
  const apply = (to: string, password = server.password) =>
    offsite(
      [
        'restore',
        'apply',
        '--from-dir',
        bundleDir,
        '--to',
        to,
        '--user',
        server.user,
        '--insecure',
        '--json',
      ],
      { OFFSITE_DAV_PASSWORD: password },
    );
  const target = (kind: string) => `${kind}://${server.url.replace('http://', '')}/`;

  before(async () => {
    server = await startRadicale(join(work, 'radicale'));
    const account = fixtureAccount();
    writeFixtureBundle(
      bundleDir,
      {
        ...account,
        folders: [
          ...account.folders,
          { id: 10, name: 'Calendar', parentId: 1 },
          { id: 7, name: 'Contacts', parentId: 1 },
        ],
        calendars: [{ folderId: 10, file: 'calendars/10.ics', sha256: sha256Hex(ICS), components: 5 }],
        addressBooks: [{ folderId: 7, file: 'contacts/7.vcf', sha256: sha256Hex(VCF), cards: 3 }],
      },
      {
        messages: {
          'messages/257.eml': FIXTURE_MESSAGE,
          'messages/258.eml': FIXTURE_MESSAGE,
          'calendars/10.ics': Buffer.from(ICS),
          'contacts/7.vcf': Buffer.from(VCF),
        },
      },
    );
  });
  after(async () => {
    await server?.stop();
  });

  it('one calendar per folder, each UID once with its instances and time zone; again adds nothing', async () => {
    const out = await apply(target('caldav'));
    assert.equal(out.code, 0, out.stderr + out.stdout);
    const [report] = (
      JSON.parse(out.stdout) as { accounts: { added: number; present: number; withoutUid: number }[] }
    ).accounts;
    assert.deepEqual([report?.added, report?.present, report?.withoutUid], [3, 0, 1]);
    const items = [...storedItems(server, 'jane@example.com/Calendar').values()];
    assert.equal(items.length, 3);
    const weekly = items.find((t) => t.includes('UID:weekly-1@example.com')) ?? '';
    assert.match(weekly, /RECURRENCE-ID;TZID=Europe\/Berlin:20261130T100000/);
    assert.match(weekly, /BEGIN:VTIMEZONE/);
    assert.match(weekly, /BEGIN:VALARM/);
    assert.ok(items.some((t) => t.includes('BEGIN:VTODO') && t.includes('UID:task-3@example.com')));
    assert.ok(items.every((t) => !t.includes('No UID')));
    // Read back over CalDAV too: the server serves what it stored.
    const listing = await fetch(`${server.url}/jane@example.com/Calendar/`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${server.user}:${server.password}`).toString('base64')}`,
      },
    });
    const calendar = await listing.text();
    assert.equal(listing.status, 200);
    assert.equal(calendar.match(/BEGIN:VEVENT/g)?.length, 3);

    const again = await apply(target('caldav'));
    assert.equal(again.code, 0, again.stderr);
    const [second] = (JSON.parse(again.stdout) as { accounts: { added: number; present: number }[] })
      .accounts;
    assert.deepEqual([second?.added, second?.present], [0, 3]);
  });

  it('one address book per folder, each card once', async () => {
    const out = await apply(target('carddav'));
    assert.equal(out.code, 0, out.stderr + out.stdout);
    const [report] = (JSON.parse(out.stdout) as { accounts: { added: number; withoutUid: number }[] })
      .accounts;
    assert.deepEqual([report?.added, report?.withoutUid], [2, 1]);
    const cards = [...storedItems(server, 'jane@example.com/Contacts').values()];
    assert.deepEqual(cards.map((c) => /FN:(.*)/.exec(c)?.[1]?.trim()).sort(), ['Ann Example', 'Bob Example']);
  });

  it('a calendar named with an ampersand, accents and Cyrillic keeps its name (path and display name)', async () => {
    const name = 'Équipe & R&D — Календарь';
    const dir = mkdtempSync(join(work, 'names-'));
    const account = fixtureAccount();
    writeFixtureBundle(
      dir,
      {
        ...account,
        folders: [...account.folders, { id: 11, name, parentId: 1 }],
        calendars: [{ folderId: 11, file: 'calendars/11.ics', sha256: sha256Hex(ICS), components: 5 }],
      },
      {
        messages: {
          'messages/257.eml': FIXTURE_MESSAGE,
          'messages/258.eml': FIXTURE_MESSAGE,
          'calendars/11.ics': Buffer.from(ICS),
        },
      },
    );
    const out = await offsite(
      ['restore', 'apply', '--from-dir', dir, '--to', target('caldav'), '--user', server.user, '--insecure'],
      { OFFSITE_DAV_PASSWORD: server.password },
    );
    assert.equal(out.code, 0, out.stderr);
    const found = await fetch(`${server.url}/jane@example.com/${encodeURIComponent(name)}/`, {
      method: 'PROPFIND',
      headers: {
        depth: '0',
        authorization: `Basic ${Buffer.from(`${server.user}:${server.password}`).toString('base64')}`,
      },
    });
    assert.equal(found.status, 207);
    const body = await found.text();
    const shown = /<[^>]*displayname>([^<]*)</.exec(body)?.[1]?.replaceAll('&amp;', '&');
    assert.equal(shown, name);
  });

  it('a wrong password is refused naming the server, never the password; https is the default', async () => {
    const wrong = await apply(target('caldav'), 'not-it-5512');
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /refused the credentials .*HTTP 401/);
    assert.doesNotMatch(wrong.stdout + wrong.stderr, /not-it-5512/);
    const tls = await offsite(
      ['restore', 'apply', '--from-dir', bundleDir, '--to', target('caldav'), '--user', server.user],
      { OFFSITE_DAV_PASSWORD: server.password },
    );
    assert.notEqual(tls.code, 0);
    assert.match(tls.stderr, /cannot reach https:\/\/127\.0\.0\.1/);
  });
});
