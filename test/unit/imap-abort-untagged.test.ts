// A call aborted while its command is still in flight on the server: what the server reports after
// that about the mailbox (expunges) must reach the event stream, not a command nobody awaits.
import { describe, expect, it } from 'vitest';
import type { ImapClient } from '../../src/imap/client.js';
import { expunge } from '../../src/imap/commands/expunge.js';
import { move } from '../../src/imap/commands/copy-move.js';
import { C, S, login, selectInbox, until, useImapHarness } from './imap/fake-server.js';

const { serve, connect } = useImapHarness();

describe('a call aborted while its command is in flight', () => {
  it.each([
    ['EXPUNGE', 'A3 EXPUNGE', (client: ImapClient, signal: AbortSignal) => expunge(client, { signal })],
    ['UID MOVE', 'A3 UID MOVE 4:6 Trash', (client: ImapClient, signal: AbortSignal) => move(client, '4:6', 'Trash', { signal })],
  ])('%s: the expunges the server reports after the abort are events', async (_name, line, call) => {
    const controller = new AbortController();
    const server = await serve([
      ...login('IMAP4rev1 UIDPLUS MOVE'),
      ...selectInbox('A2'),
      C(line),
      until(() => controller.signal.aborted),
      S('* 2 EXPUNGE', 'A3 OK done'),
      C('A4 NOOP'),
      S('* OK marker', 'A4 OK done'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    const events = client.events();
    const running = call(client, controller.signal);
    await expect.poll(() => server.received.at(-1)).toBe(line);
    controller.abort();
    // An AbortError, or (EXPUNGE) an ExpungeInterruptedError with its code and the AbortError as cause.
    await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
    await client.noop();
    // The marker comes after: an expunge lost to the aborted command would leave it first.
    expect((await events.next()).value).toMatchObject({ kind: 'expunge', seq: 2 });
    expect((await events.next()).value).toMatchObject({ kind: 'status', text: 'marker' });
    expect(client.mailbox?.exists).toBe(2);
    await server.done;
  });
});
