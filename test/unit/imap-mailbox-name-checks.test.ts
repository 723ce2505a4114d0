// Mailbox names the protocol forbids are refused before anything is sent, whatever the mode.
import { describe, expect, test } from 'vitest';
import { InvalidArgumentError } from '../../src/common/errors.js';
import type { ImapClient } from '../../src/imap/client.js';
import { uid } from '../../src/imap/wire/sequence-set.js';
import { greeting, scripted, selectInbox } from './imap-commands/fake-server.js';

/** Every command that takes a mailbox name, given `name`. */
function callsWith(client: ImapClient, name: string): [string, () => Promise<unknown>][] {
  return [
    ['create', () => client.createMailbox(name)],
    ['select', () => client.select(name)],
    ['examine', () => client.examine(name)],
    ['rename (source)', () => client.renameMailbox(name, 'Archive')],
    ['rename (target)', () => client.renameMailbox('Archive', name)],
    ['append', () => client.append(name, 'Subject: hi\r\n\r\nHello\r\n')],
    ['copy (target)', () => client.copy(uid(1), name)],
    ['move (target)', () => client.move(uid(1), name)],
    ['status', () => client.status(name, ['MESSAGES'])],
    ['list pattern', () => client.list({ pattern: name })],
  ];
}

async function expectRefused(client: ImapClient, name: string): Promise<void> {
  for (const [what, call] of callsWith(client, name)) {
    const error = await call().catch((caught: unknown) => caught);
    expect(error, what).toBeInstanceOf(InvalidArgumentError);
  }
}

// RFC 9051 section 5.1 and RFC 6855 section 3 (Net-Unicode, RFC 5198): no C0 or C1 control, DEL,
// line or paragraph separator.
const CONTROLS = [
  ['TAB', 'a\tb'],
  ['U+0001', 'a\x01b'],
  ['ESC', 'a\x1bb'],
  ['DEL', 'a\x7fb'],
  ['NEL (U+0085)', 'a\u0085b'],
  ['CSI (U+009B)', 'a\u009bb'],
  ['LINE SEPARATOR', 'a\u2028b'],
  ['PARAGRAPH SEPARATOR', 'a\u2029b'],
];

describe('mailbox names with control characters', () => {
  test.each(CONTROLS)('%s is refused in modified UTF-7 mode, nothing sent', async (_label, name) => {
    const { client, server, finish } = await scripted([greeting('MOVE UIDPLUS'), ...selectInbox('A1')], { select: true });
    const before = server.received();
    await expectRefused(client, name);
    await finish();
    expect(server.received()).toBe(before);
  });

  test.each(CONTROLS)('%s is refused under UTF8=ACCEPT, nothing sent', async (_label, name) => {
    const { client, server, finish } = await scripted([
      greeting('ENABLE UTF8=ACCEPT MOVE UIDPLUS'),
      'C: A1 ENABLE UTF8=ACCEPT',
      'S: * ENABLED UTF8=ACCEPT',
      'S: A1 OK done',
      ...selectInbox('A2'),
    ]);
    await client.enable(['UTF8=ACCEPT']);
    await client.select('INBOX');
    const before = server.received();
    await expectRefused(client, name);
    await finish();
    expect(server.received()).toBe(before);
  });

  test('printable names with spaces and non-ASCII letters still go out', async () => {
    const { client, finish } = await scripted([greeting(''), 'C: A1 CREATE "Entw&APw-rfe 2026"', 'S: A1 OK done']);
    await client.createMailbox('Entwürfe 2026');
    await finish();
  });
});

// Exchange lists names with TABs in them: a name the server listed goes back exactly as listed.
describe('mailbox names the server listed with a TAB', () => {
  test('are sent as listed in modified UTF-7 mode; an invented one is still refused', async () => {
    const { client, server, finish } = await scripted([
      greeting('MOVE UIDPLUS'),
      'C: A1 LIST "" *',
      'S: * LIST () "/" "Old\tmail"',
      'S: * LIST () "/" Tab&AAk-encoded',
      'S: A1 OK done',
      'C: A2 STATUS "Old\tmail" (MESSAGES)',
      'S: * STATUS "Old\tmail" (MESSAGES 2)',
      'S: A2 OK done',
      'C: A3 EXAMINE "Old\tmail"',
      'S: * 2 EXISTS',
      'S: A3 OK [READ-ONLY] done',
      'C: A4 RENAME "Old\tmail" Old',
      'S: A4 OK done',
      'C: A5 DELETE Tab&AAk-encoded',
      'S: A5 OK done',
    ]);
    const names = (await client.list()).map((entry) => entry.name);
    expect(names).toEqual(['Old\tmail', 'Tab\tencoded']);
    expect(await client.status('Old\tmail', ['MESSAGES'])).toEqual({ messages: 2 });
    await client.examine('Old\tmail');
    await client.renameMailbox('Old\tmail', 'Old');
    await client.deleteMailbox('Tab\tencoded');
    const before = server.received();
    await expectRefused(client, 'New\tmail');
    await finish();
    expect(server.received()).toBe(before);
  });

  test('are sent as listed under UTF8=ACCEPT', async () => {
    const { client, finish } = await scripted([
      greeting('ENABLE UTF8=ACCEPT'),
      'C: A1 ENABLE UTF8=ACCEPT',
      'S: * ENABLED UTF8=ACCEPT',
      'S: A1 OK done',
      'C: A2 LIST "" *',
      'S: * LIST () "/" "Été\tarchive"',
      'S: A2 OK done',
      'C: A3 SUBSCRIBE "Été\tarchive"',
      'S: A3 OK done',
    ]);
    await client.enable(['UTF8=ACCEPT']);
    const [listed] = await client.list();
    await client.subscribeMailbox(listed!.name);
    await finish();
  });

  test('CR, LF and NUL are refused even in a listed name', async () => {
    const { client, server, finish } = await scripted([
      greeting(''),
      'C: A1 LIST "" *',
      'S: * LIST () "/" {4}',
      'S: a\r\nb',
      'S: * LIST () "/" {3}',
      'S: a\0b',
      'S: A1 OK done',
    ]);
    const names = (await client.list()).map((entry) => entry.name);
    expect(names).toEqual(['a\r\nb', 'a\0b']);
    const before = server.received();
    for (const name of names) await expectRefused(client, name);
    await finish();
    expect(server.received()).toBe(before);
  });
});
