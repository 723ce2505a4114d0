// A replay mismatch shows what the client sent: the secrets in it (LOGIN passwords, AUTHENTICATE /
// AUTH payloads and SASL responses, PASS, APOP digests, secret literals and their size) are shown
// `<redacted>`, as the recorder writes them, through replayConnector and startReplayServer alike.
import * as net from 'node:net';

import { describe, expect, it } from 'vitest';

import type { MailwireError } from '../../src/common/errors.js';
import { ImapClient } from '../../src/imap/index.js';
import { Pop3Client } from '../../src/pop3/index.js';
import { FixtureMismatchError, parseTranscript, replayConnector, startReplayServer } from '../../src/testing/index.js';

type Step = { readonly send: string } | { readonly wait: string };

const head = (protocol: 'imap' | 'pop3'): string => `# mailwire transcript v1\n# protocol: ${protocol}\n\n`;

/** Plays `steps` against the transcript through the replay connector; the mismatch it ends with. */
async function viaConnector(text: string, steps: readonly Step[]): Promise<unknown> {
  const replay = replayConnector(parseTranscript(text));
  let received = '';
  let wake: (() => void) | undefined;
  let closed: MailwireError | undefined;
  const connection = await replay(
    { host: 'replay.invalid', port: 143 },
    {
      onData: (chunk) => {
        received += Buffer.from(chunk).toString('latin1');
        wake?.();
      },
      onClose: (error) => {
        closed = error;
        wake?.();
      },
    },
  );
  for (const step of steps) {
    if ('send' in step) {
      if (closed === undefined) connection.write([step.send]);
      continue;
    }
    while (!received.includes(step.wait) && closed === undefined) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    received = received.slice(received.indexOf(step.wait) + step.wait.length);
  }
  while (closed === undefined) {
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }
  return closed;
}

/** The same through a replay server and a socket. */
async function viaServer(text: string, steps: readonly Step[]): Promise<unknown> {
  const server = await startReplayServer(parseTranscript(text), { tls: false });
  const socket = net.connect(server.port, server.host);
  socket.on('error', () => undefined);
  let received = '';
  // An object: TypeScript would narrow a variable set by the listener.
  const socketState = { ended: false };
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    wake?.();
  });
  socket.on('close', () => {
    socketState.ended = true;
    wake?.();
  });
  for (const step of steps) {
    if ('send' in step) {
      if (!socketState.ended) socket.write(step.send);
      continue;
    }
    while (!received.includes(step.wait) && !socketState.ended) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
    received = received.slice(received.indexOf(step.wait) + step.wait.length);
  }
  const error = await server.done().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  socket.destroy();
  await server.close().catch(() => undefined);
  return error;
}

const IMAP_LOGIN = `${head('imap')}S: * OK ready\nC: A1 LOGIN alice <redacted>\nS: A1 OK in\n@end\n`;
const POP3_USER = `${head('pop3')}S: +OK ready\nC: USER carol\nS: +OK\nC: PASS <redacted>\nS: +OK in\n@end\n`;

const cases: readonly { name: string; transcript: string; steps: Step[]; actual: string; secrets: string[] }[] = [
  {
    name: 'IMAP LOGIN: the password (quoted), the user kept',
    transcript: IMAP_LOGIN,
    steps: [{ wait: 'ready\r\n' }, { send: 't1 LOGIN bob "s3cret pass"\r\n' }],
    actual: 'C: t1 LOGIN bob <redacted>',
    secrets: ['s3cret'],
  },
  {
    name: 'IMAP LOGIN where the transcript has another command',
    transcript: `${head('imap')}S: * OK ready\nC: A1 CAPABILITY\nS: A1 OK\n@end\n`,
    steps: [{ wait: 'ready\r\n' }, { send: 't1 LOGIN bob hunter2\r\n' }],
    actual: 'C: t1 LOGIN bob <redacted>',
    secrets: ['hunter2'],
  },
  {
    name: 'IMAP LOGIN: the size of a password literal',
    transcript: IMAP_LOGIN,
    steps: [{ wait: 'ready\r\n' }, { send: 't1 LOGIN bob {13+}\r\n' }, { send: 'p\u00e4ss "w\u00f6rd"\r\n' }],
    actual: 'C: t1 LOGIN bob {<redacted>+}',
    secrets: ['{13', 'rd'],
  },
  {
    name: 'IMAP LOGIN: the content of a password literal, on a line of its own',
    // The redacted field takes the literal announcement: the literal's content is then unexpected.
    transcript: `${head('imap')}S: * OK ready\nC: A1 LOGIN bob <redacted>\nS: A1 OK in\nC: A2 LOGOUT\n@end\n`,
    steps: [{ wait: 'ready\r\n' }, { send: 't1 LOGIN bob {7}\r\n' }, { wait: 't1 OK' }, { send: 'hunter2\r\n' }],
    actual: 'C: <redacted>',
    secrets: ['hunter2'],
  },
  {
    name: 'IMAP AUTHENTICATE: the initial response',
    transcript: IMAP_LOGIN,
    steps: [{ wait: 'ready\r\n' }, { send: 't1 AUTHENTICATE PLAIN AGJvYgBodW50ZXIy\r\n' }],
    actual: 'C: t1 AUTHENTICATE PLAIN <redacted>',
    secrets: ['AGJvYgBodW50ZXIy'],
  },
  {
    name: 'IMAP AUTHENTICATE: a response to a challenge',
    transcript: `${head('imap')}S: * OK ready\nC: A1 AUTHENTICATE PLAIN\nS: +\x20\nC: A2 NOOP\n@end\n`,
    steps: [{ wait: 'ready\r\n' }, { send: 't1 AUTHENTICATE PLAIN\r\n' }, { wait: '+ \r\n' }, { send: 'AGJvYgBodW50ZXIy\r\n' }],
    actual: 'C: <redacted>',
    secrets: ['AGJvYgBodW50ZXIy'],
  },
  {
    name: 'POP3 PASS (a password with spaces) where the transcript has another command',
    transcript: POP3_USER,
    steps: [{ wait: 'ready\r\n' }, { send: 'PASS hunter2 and more\r\n' }],
    actual: 'C: PASS <redacted>',
    secrets: ['hunter2'],
  },
  {
    name: 'POP3 APOP: the digest, the user kept',
    transcript: POP3_USER,
    steps: [{ wait: 'ready\r\n' }, { send: 'APOP bob c4c9334bac560ecc979e58001b3e22fb\r\n' }],
    actual: 'C: APOP bob <redacted>',
    secrets: ['c4c9334bac560ecc979e58001b3e22fb'],
  },
  {
    name: 'POP3 AUTH: the initial response',
    transcript: POP3_USER,
    steps: [{ wait: 'ready\r\n' }, { send: 'AUTH PLAIN AGJvYgBodW50ZXIy\r\n' }],
    actual: 'C: AUTH PLAIN <redacted>',
    secrets: ['AGJvYgBodW50ZXIy'],
  },
  {
    name: 'POP3 AUTH: a response to a challenge',
    transcript: `${head('pop3')}S: +OK ready\nC: AUTH LOGIN\nS: + VXNlcm5hbWU6\nC: CAPA\n@end\n`,
    steps: [{ wait: 'ready\r\n' }, { send: 'AUTH LOGIN\r\n' }, { wait: 'VXNlcm5hbWU6\r\n' }, { send: 'Ym9i\r\n' }],
    actual: 'C: <redacted>',
    secrets: ['Ym9i'],
  },
];

describe('a replay mismatch redacts the client secrets it shows', () => {
  for (const via of [viaConnector, viaServer]) {
    describe(via === viaConnector ? 'replayConnector' : 'startReplayServer', () => {
      for (const { name, transcript, steps, actual, secrets } of cases) {
        it(name, async () => {
          const error = await via(transcript, steps);
          expect(error).toBeInstanceOf(FixtureMismatchError);
          const mismatch = error as FixtureMismatchError;
          expect(mismatch.actual).toBe(actual);
          for (const secret of secrets) {
            expect(mismatch.message).not.toContain(secret);
            expect(mismatch.actual).not.toContain(secret);
          }
        });
      }
    });
  }

  it('ImapClient and Pop3Client against a transcript of another login: the password is not shown', async () => {
    const password = 'hunter2-secret';
    const imapReplay = replayConnector(parseTranscript(`${head('imap')}S: * OK [CAPABILITY IMAP4rev1] ready\nC: A1 CAPABILITY\nS: A1 OK\n@end\n`));
    const imapError = await ImapClient.connect({
      host: 'replay.invalid',
      tls: 'none',
      allowCleartext: true,
      commandTimeout: 2000,
      connector: imapReplay,
      auth: { username: 'bob', password, method: 'LOGIN' },
    }).catch((caught: unknown) => caught);
    expect(imapError).toBeInstanceOf(FixtureMismatchError);
    expect((imapError as FixtureMismatchError).actual).toBe('C: A1 LOGIN bob <redacted>');
    expect(String(imapError)).not.toContain(password);

    const pop3Replay = replayConnector(parseTranscript(`${head('pop3')}S: +OK ready\nC: CAPA\nS: -ERR no\nC: USER bob\nS: +OK\nC: APOP bob <redacted>\nS: +OK\n@end\n`));
    const pop3Error = await Pop3Client.connect({
      host: 'replay.invalid',
      tls: 'none',
      allowCleartext: true,
      commandTimeout: 2000,
      connector: pop3Replay,
      auth: { username: 'bob', password, method: 'USER' },
    }).catch((caught: unknown) => caught);
    expect(pop3Error).toBeInstanceOf(FixtureMismatchError);
    expect((pop3Error as FixtureMismatchError).actual).toBe('C: PASS <redacted>');
    expect(String(pop3Error)).not.toContain(password);
  });
});
