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
