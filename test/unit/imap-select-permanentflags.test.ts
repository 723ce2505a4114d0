// SELECT / EXAMINE and [PERMANENTFLAGS] (RFC 3501 and RFC 9051, section 7.1): when the server sends
// none, "the client should assume that all flags can be changed permanently".
import { describe, expect, test } from 'vitest';
import { C, S, login, useImapHarness } from './imap/fake-server.js';

const harness = useImapHarness();
const FLAGS = '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk)';

describe('SELECT and PERMANENTFLAGS', () => {
  test('without PERMANENTFLAGS every flag of FLAGS is permanent in a read-write mailbox', async () => {
    const server = await harness.serve([
      ...login('IMAP4rev1'),
      C('A2 SELECT INBOX'),
      S(FLAGS, '* 3 EXISTS', '* OK [UIDVALIDITY 7] UIDs valid', 'A2 OK [READ-WRITE] Select completed'),
    ]);
    const client = await harness.connect(server);
    const inbox = await client.select('INBOX');
    expect(inbox.permanentFlags).toEqual(['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', '$Junk']);
    expect(client.mailbox?.permanentFlags).toEqual(inbox.permanentFlags);
    await server.done;
  });

  test('without PERMANENTFLAGS a later FLAGS response (a keyword defined since) is permanent too', async () => {
    const server = await harness.serve([
      ...login('IMAP4rev1'),
      C('A2 SELECT INBOX'),
      S(FLAGS, '* 3 EXISTS', '* OK [UIDVALIDITY 7] UIDs valid', 'A2 OK [READ-WRITE] Select completed'),
      C('A3 NOOP'),
      S('* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk $Work)', 'A3 OK'),
    ]);
    const client = await harness.connect(server);
    await client.select('INBOX');
    await client.noop();
    expect(client.mailbox?.permanentFlags).toContain('$Work');
    await server.done;
  });

  test('without PERMANENTFLAGS nothing is permanent in a read-only mailbox', async () => {
    const server = await harness.serve([
      ...login('IMAP4rev1'),
      C('A2 EXAMINE INBOX'),
      S(FLAGS, '* 3 EXISTS', 'A2 OK [READ-ONLY] Examine completed'),
      C('A3 SELECT Shared'),
      S(FLAGS, '* 1 EXISTS', 'A3 OK [READ-ONLY] Select completed'),
    ]);
    const client = await harness.connect(server);
    expect((await client.examine('INBOX')).permanentFlags).toEqual([]);
    expect((await client.select('Shared')).permanentFlags).toEqual([]);
    await server.done;
  });

  test('an announced PERMANENTFLAGS is kept as sent, an empty one too', async () => {
    const server = await harness.serve([
      ...login('IMAP4rev1'),
      C('A2 SELECT INBOX'),
      S(FLAGS, '* OK [PERMANENTFLAGS (\\Seen \\*)] Limited', 'A2 OK [READ-WRITE] Select completed'),
      C('A3 SELECT Archive'),
      S(FLAGS, '* OK [PERMANENTFLAGS ()] No permanent flags permitted', 'A3 OK [READ-WRITE] Select completed'),
      C('A4 SELECT Drafts'),
      S(FLAGS, 'A4 OK [PERMANENTFLAGS (\\Draft)] Select completed'),
    ]);
    const client = await harness.connect(server);
    expect((await client.select('INBOX')).permanentFlags).toEqual(['\\Seen', '\\*']);
    expect((await client.select('Archive')).permanentFlags).toEqual([]);
    expect((await client.select('Drafts')).permanentFlags).toEqual(['\\Draft']);
    await server.done;
  });
});

describe('SELECT and UIDNOTSTICKY', () => {
  test('`NO [UIDNOTSTICKY]` (RFC 4315 section 3) is SELECT\'s own data: the state says the UIDs do not persist', async () => {
    const server = await harness.serve([
      ...login('IMAP4rev1 UIDPLUS'),
      C('A2 SELECT Scratch'),
      S(FLAGS, '* 1 EXISTS', '* OK [UIDVALIDITY 9] UIDs valid', '* NO [UIDNOTSTICKY] Non-persistent UIDs', 'A2 OK [READ-WRITE] Select completed'),
      C('A3 SELECT INBOX'),
      S(FLAGS, '* 2 EXISTS', '* OK [UIDVALIDITY 7] UIDs valid', 'A3 OK [READ-WRITE] Select completed'),
      C('A4 NOOP'),
      S('* 3 EXISTS', 'A4 OK done'),
    ]);
    const client = await harness.connect(server);
    const events = client.events();
    const scratch = await client.select('Scratch');
    expect(scratch.uidNotSticky).toBe(true);
    expect(client.mailbox?.uidNotSticky).toBe(true);
    const inbox = await client.select('INBOX');
    expect(inbox.uidNotSticky).toBe(false);
    expect(client.mailbox?.uidNotSticky).toBe(false);
    // Nothing of it reached the event stream: the first event is the NOOP's.
    await client.noop();
    expect((await events.next()).value).toEqual({ kind: 'exists', count: 3, mailbox: 'INBOX' });
    await server.done;
  });
});
