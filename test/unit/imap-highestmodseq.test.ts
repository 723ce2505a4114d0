import { describe, expect, it } from 'vitest';
import type { MailboxEvent } from '../../src/imap/session.js';
import { C, S, login, selectInbox, useImapHarness } from './imap/fake-server.js';

const { serve, connect } = useImapHarness();

/*
 * RFC 5162 erratum 1809, kept by RFC 7162: servers need not send MODSEQ FETCH data in ascending
 * order, so the client raises its HIGHESTMODSEQ to the highest MODSEQ seen only at the next tagged
 * response, and a [HIGHESTMODSEQ] code heard since wins over any MODSEQ seen.
 */
describe('highestModseq follows unsolicited MODSEQ only at a tagged response', () => {
  it('stays put while IDLE reports a flag change, and moves once IDLE is answered', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2'),
      C('A3 IDLE'),
      S('+ idling', '* 2 FETCH (UID 2 FLAGS (\\Seen) MODSEQ (50))'),
      C('DONE'),
      S('A3 OK Idle completed'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    const idle = client.idle();
    const event = (await idle.next()).value as MailboxEvent;
    expect(event).toMatchObject({ kind: 'fetch', seq: 2, modseq: 50n });
    // A change with a lower MODSEQ may still be on its way: saving 50 now could lose it.
    expect(client.mailbox?.highestModseq).toBe(42n);
    await idle.return();
    expect(client.mailbox?.highestModseq).toBe(50n);
    await server.done;
  });

  it('takes a [HIGHESTMODSEQ] code over a higher MODSEQ seen before the same tagged response', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2'),
      C('A3 NOOP'),
      S('* OK [HIGHESTMODSEQ 55] Highest', '* 1 FETCH (UID 1 FLAGS () MODSEQ (60))', 'A3 OK done'),
      C('A4 NOOP'),
      S('* 3 FETCH (UID 3 FLAGS () MODSEQ (70))', '* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (65))', 'A4 OK done'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    await client.noop();
    expect(client.mailbox?.highestModseq).toBe(55n);
    await client.noop();
    expect(client.mailbox?.highestModseq).toBe(70n);
    await server.done;
  });
});

describe('a new UIDVALIDITY announced inside the session', () => {
  it('voids the HIGHESTMODSEQ and UIDNEXT learnt under the old one', async () => {
    const server = await serve([
      ...login(),
      ...selectInbox('A2'),
      C('A3 NOOP'),
      S('* 2 FETCH (UID 2 FLAGS () MODSEQ (50))', '* OK [UIDVALIDITY 1800000000] UIDs renumbered', 'A3 OK done'),
      C('A4 NOOP'),
      S('* OK [HIGHESTMODSEQ 7] Highest', '* OK [UIDVALIDITY 1800000000] again', 'A4 OK done'),
    ]);
    const client = await connect(server);
    await client.select('INBOX');
    await client.noop();
    // Saved as (1800000000, 42) for a later QRESYNC, the pair would claim a copy of the new UIDs.
    expect(client.mailbox).toMatchObject({ uidValidity: 1800000000, highestModseq: undefined, uidNext: undefined, exists: 3 });
    await client.noop();
    // The same value again changes nothing.
    expect(client.mailbox).toMatchObject({ uidValidity: 1800000000, highestModseq: 7n });
    await server.done;
  });
});
