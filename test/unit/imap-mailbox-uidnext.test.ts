// client.mailbox.uidNext follows what the session hears after SELECT: new mail (EXISTS growth)
// makes the old value known too low, and a FETCH or a [UIDNEXT] code says what it is now.
import { describe, expect, it } from 'vitest';
import { C, S, login, selectInbox, useImapHarness } from './imap/fake-server.js';

const { serve, connect } = useImapHarness();

describe('ImapClient: mailbox.uidNext after SELECT', () => {
  it('is no longer the SELECT value once EXISTS grows, and an untagged FETCH of a new message raises it', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 3),
      C('A3 NOOP'),
      S('* 4 EXISTS', 'A3 OK done'),
      C('A4 NOOP'),
      S('* 5 EXISTS', '* 5 FETCH (UID 9 FLAGS ())', 'A4 OK done'),
      C('A5 NOOP'),
      // A FETCH of an older message says nothing new of UIDNEXT.
      S('* 2 FETCH (UID 2 FLAGS (\\Seen))', 'A5 OK done'),
      C('A6 NOOP'),
      S('* 6 EXISTS', '* OK [UIDNEXT 12] Predicted next UID', 'A6 OK done'),
      C('A7 NOOP'),
      // A FETCH with a UID at or above UIDNEXT raises it, whichever message it is.
      S('* 6 FETCH (UID 12 FLAGS ())', 'A7 OK done'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    expect(client.mailbox?.uidNext).toBe(4);
    await client.noop();
    // Message 4 has a UID of 4 or more: 4 is known too low, and the new value unknown.
    expect(client.mailbox).toMatchObject({ exists: 4, uidNext: undefined });
    await client.noop();
    expect(client.mailbox).toMatchObject({ exists: 5, uidNext: 10 });
    await client.noop();
    expect(client.mailbox?.uidNext).toBe(10);
    await client.noop();
    expect(client.mailbox).toMatchObject({ exists: 6, uidNext: 12 });
    await client.noop();
    expect(client.mailbox?.uidNext).toBe(13);
    await server.done;
  });

  it('stays when EXISTS does not grow (an EXPUNGE, or the same count again)', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2', 3),
      C('A3 NOOP'),
      S('* 2 EXPUNGE', '* 2 EXISTS', 'A3 OK done'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    await client.noop();
    expect(client.mailbox).toMatchObject({ exists: 2, uidNext: 4 });
    await server.done;
  });
});
