// Mailbox.headers({ signal }) on both protocols: an abort rejects the iteration with AbortError at
// once (whether the command is unanswered, its header half received, or the caller is between two
// summaries), and leaves the session usable: the server's late answer is read and dropped.
import { afterEach, describe, expect, it } from 'vitest';
import { AbortError } from '../../src/common/errors.js';
import { pop3MessageId, imapMessageId, type HeaderSummary, type Mailbox } from '../../src/common/mailbox.js';
import { ImapMailbox } from '../../src/imap/mailbox.js';
import { Pop3Mailbox } from '../../src/pop3/mailbox.js';
import { login as imapLogin, selectInbox } from './imap/fake-server.js';
import { login as pop3Login } from './pop3/fake-server.js';
import { C, S, raw, startFakeServer, until, waitEnd, type FakeServer, type Step } from '../helpers/scripted-server.js';

const servers: FakeServer[] = [];
const mailboxes: Mailbox[] = [];

afterEach(async () => {
  for (const mailbox of mailboxes.splice(0)) await mailbox.close().catch(() => undefined);
  for (const server of servers.splice(0)) await server.close();
});

async function serve(script: Step[]): Promise<FakeServer> {
  const server = await startFakeServer(script);
  servers.push(server);
  return server;
}

// A command timeout far beyond the test's wait: only the abort can end a stalled command.
const STALLED = 20_000;
const client = (server: FakeServer) => ({ host: '127.0.0.1', port: server.port, tls: 'none' as const, allowCleartext: true, commandTimeout: STALLED });

async function openImap(server: FakeServer): Promise<ImapMailbox> {
  const mailbox = await ImapMailbox.open({ client: { ...client(server), auth: { username: 'alice', password: 'secret', method: 'LOGIN' } } });
  mailboxes.push(mailbox);
  return mailbox;
}

async function openPop3(server: FakeServer): Promise<Pop3Mailbox> {
  const mailbox = await Pop3Mailbox.open({ client: { ...client(server), auth: { username: 'alice', password: 'secret pass', method: 'USER' } } });
  mailboxes.push(mailbox);
  return mailbox;
}

/** Iterates `headers`, calling `onSummary` with each; settles with the summaries or the error. */
async function collect(
  headers: AsyncIterable<HeaderSummary>,
  onSummary: (summary: HeaderSummary) => void = () => undefined,
): Promise<{ summaries: HeaderSummary[]; error: unknown }> {
  const summaries: HeaderSummary[] = [];
  try {
    for await (const summary of headers) {
      summaries.push(summary);
      onSummary(summary);
    }
    return { summaries, error: undefined };
  } catch (error) {
    return { summaries, error };
  }
}

const HEADER_1 = 'Subject: one\r\n\r\n';
const HEADER_2 = 'Subject: two\r\n\r\n';
const imapHeader = (seq: number, uid: number, header: string): string => `* ${seq} FETCH (UID ${uid} BODY[HEADER] {${header.length}}\r\n${header})\r\n`;

const POP3_CAPA = ['USER', 'UIDL', 'TOP'];
const POP3_OPEN: Step[] = [
  ...pop3Login({ capa: POP3_CAPA, count: 2 }),
  C('UIDL'),
  S('+OK', '1 u1', '2 u2', '.'),
  C('LIST'),
  S('+OK', '1 100', '2 100', '.'),
];
const POP3_QUIT: Step[] = [C('QUIT'), S('+OK bye'), waitEnd()];

describe('Mailbox.headers({ signal })', () => {
  describe('IMAP', () => {
    it('an abort while the FETCH is unanswered rejects with AbortError at once; the late answer is dropped', async () => {
      const state = { rejected: false };
      const server = await serve([
        ...imapLogin(),
        ...selectInbox('A2', 2),
        C('A3 UID FETCH 1:* (UID BODY.PEEK[HEADER])'),
        until(() => state.rejected),
        raw(imapHeader(1, 1, HEADER_1) + imapHeader(2, 2, HEADER_2) + 'A3 OK done\r\n'),
        C('A4 LOGOUT'),
        S('* BYE', 'A4 OK bye'),
        waitEnd(),
      ]);
      const mailbox = await openImap(server);
      const controller = new AbortController();
      const iterating = collect(mailbox.headers(undefined, { signal: controller.signal }));
      await until0(() => server.received.includes('A3 UID FETCH 1:* (UID BODY.PEEK[HEADER])'));
      controller.abort();
      const { summaries, error } = await iterating;
      state.rejected = true;
      expect(summaries).toEqual([]);
      expect(error).toBeInstanceOf(AbortError);
      await mailbox.close();
      await server.done;
    });

    it('an abort while a header literal is half received rejects with AbortError at once', async () => {
      const state = { rejected: false };
      const answer = imapHeader(1, 1, HEADER_1);
      const cut = answer.indexOf('Subject') + 4;
      const server = await serve([
        ...imapLogin(),
        ...selectInbox('A2', 1),
        C('A3 UID FETCH 1:* (UID BODY.PEEK[HEADER])'),
        raw(answer.slice(0, cut)),
        until(() => state.rejected),
        raw(answer.slice(cut) + 'A3 OK done\r\n'),
        C('A4 LOGOUT'),
        S('* BYE', 'A4 OK bye'),
        waitEnd(),
      ]);
      const mailbox = await openImap(server);
      const controller = new AbortController();
      const iterating = collect(mailbox.headers(undefined, { signal: controller.signal }));
      await until0(() => server.received.includes('A3 UID FETCH 1:* (UID BODY.PEEK[HEADER])'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      controller.abort();
      const { summaries, error } = await iterating;
      state.rejected = true;
      expect(summaries).toEqual([]);
      expect(error).toBeInstanceOf(AbortError);
      await mailbox.close();
      await server.done;
    });

    it('an abort between two summaries rejects the next step with AbortError, not the next summary', async () => {
      const server = await serve([
        ...imapLogin(),
        ...selectInbox('A2', 2),
        C('A3 UID FETCH 1:2 (UID BODY.PEEK[HEADER])'),
        raw(imapHeader(1, 1, HEADER_1) + imapHeader(2, 2, HEADER_2) + 'A3 OK done\r\n'),
        C('A4 LOGOUT'),
        S('* BYE', 'A4 OK bye'),
        waitEnd(),
      ]);
      const mailbox = await openImap(server);
      const controller = new AbortController();
      const ids = [imapMessageId(1700000000, 1), imapMessageId(1700000000, 2)];
      const { summaries, error } = await collect(mailbox.headers(ids, { signal: controller.signal }), () => {
        controller.abort();
      });
      expect(summaries.map((summary) => summary.subject)).toEqual(['one']);
      expect(error).toBeInstanceOf(AbortError);
      await mailbox.close();
      await server.done;
    });

    it('an already aborted signal rejects with AbortError and sends nothing', async () => {
      const server = await serve([...imapLogin(), ...selectInbox('A2', 2), C('A3 LOGOUT'), S('* BYE', 'A3 OK bye'), waitEnd()]);
      const mailbox = await openImap(server);
      const { summaries, error } = await collect(mailbox.headers(undefined, { signal: AbortSignal.abort() }));
      expect(summaries).toEqual([]);
      expect(error).toBeInstanceOf(AbortError);
      await mailbox.close();
      await server.done;
    });
  });

  describe('POP3', () => {
    it('an abort while TOP is unanswered rejects with AbortError at once; the late answer is dropped', async () => {
      const state = { rejected: false };
      const server = await serve([
        ...POP3_OPEN,
        C('TOP 1 0'),
        until(() => state.rejected),
        S('+OK', 'Subject: one', '', '.'),
        ...POP3_QUIT,
      ]);
      const mailbox = await openPop3(server);
      const controller = new AbortController();
      const iterating = collect(mailbox.headers(undefined, { signal: controller.signal }));
      await until0(() => server.received.includes('TOP 1 0'));
      controller.abort();
      const { summaries, error } = await iterating;
      state.rejected = true;
      expect(summaries).toEqual([]);
      expect(error).toBeInstanceOf(AbortError);
      expect(await mailbox.close()).toEqual({ deletionsCommitted: true, markedDeleted: 0 });
      await server.done;
    });

    it('an abort while the TOP answer is half received rejects with AbortError at once', async () => {
      const state = { rejected: false };
      const server = await serve([
        ...POP3_OPEN,
        C('TOP 1 0'),
        raw('+OK\r\nSubject: o'),
        until(() => state.rejected),
        raw('ne\r\n\r\n.\r\n'),
        ...POP3_QUIT,
      ]);
      const mailbox = await openPop3(server);
      const controller = new AbortController();
      const iterating = collect(mailbox.headers(undefined, { signal: controller.signal }));
      await until0(() => server.received.includes('TOP 1 0'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      controller.abort();
      const { summaries, error } = await iterating;
      state.rejected = true;
      expect(summaries).toEqual([]);
      expect(error).toBeInstanceOf(AbortError);
      expect(await mailbox.close()).toEqual({ deletionsCommitted: true, markedDeleted: 0 });
      await server.done;
    });

    it('an abort between two summaries rejects the next step with AbortError, not the next summary', async () => {
      const server = await serve([...POP3_OPEN, C('TOP 1 0'), S('+OK', 'Subject: one', '', '.'), ...POP3_QUIT]);
      const mailbox = await openPop3(server);
      const controller = new AbortController();
      const ids = [pop3MessageId('u1'), pop3MessageId('u2')];
      const { summaries, error } = await collect(mailbox.headers(ids, { signal: controller.signal }), () => {
        controller.abort();
      });
      expect(summaries.map((summary) => summary.subject)).toEqual(['one']);
      expect(error).toBeInstanceOf(AbortError);
      expect(await mailbox.close()).toEqual({ deletionsCommitted: true, markedDeleted: 0 });
      await server.done;
    });

    it('an already aborted signal rejects with AbortError and sends nothing', async () => {
      const server = await serve([...POP3_OPEN, ...POP3_QUIT]);
      const mailbox = await openPop3(server);
      const { summaries, error } = await collect(mailbox.headers(undefined, { signal: AbortSignal.abort() }));
      expect(summaries).toEqual([]);
      expect(error).toBeInstanceOf(AbortError);
      expect(await mailbox.close()).toEqual({ deletionsCommitted: true, markedDeleted: 0 });
      await server.done;
    });
  });
});

/** Waits until `condition` holds (polled every 5 ms). */
async function until0(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
