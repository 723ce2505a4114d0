/**
 * Re-records the transcripts in fixtures/ against a throwaway Dovecot (scripts/dovecot.mjs), with
 * mailwire's own clients and the test kit's recordingConnector.
 *
 *   npx tsx scripts/record-fixtures.ts            # all flows (npm run fixtures:record)
 *   npx tsx scripts/record-fixtures.ts pop3       # only the flows whose name starts with "pop3"
 *
 * With MAILWIRE_DOVECOT_ENV=<facts file> it uses that running server instead of starting one. The
 * flows use the user `carol`, whose INBOX is reset to the sample messages of fixtures/messages/
 * before each flow.
 * Re-recording changes what the server makes up (APOP timestamps, UIDVALIDITY, UIDL values,
 * dates); everything the client sends, and the tags, stay the same.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { defaultConnector } from '../src/common/connector.js';
import { append } from '../src/imap/commands/append.js';
import { uidExpunge } from '../src/imap/commands/expunge.js';
import { list } from '../src/imap/commands/mailboxes.js';
import { store } from '../src/imap/commands/store.js';
import { ImapClient, type ImapClientOptions, type ImapCredentials } from '../src/imap/index.js';
import { Pop3Client, type Pop3ClientOptions, type Pop3Credentials } from '../src/pop3/index.js';
import { escapeTranscriptBytes, recordingConnector, type RecordOptions, type TranscriptTlsMode } from '../src/testing/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = path.join(root, 'fixtures');
const SERVER = 'Dovecot 2.3 (mailwire test server, scripts/dovecot.mjs)';
const USER = 'carol';

interface Facts {
  readonly host: string;
  readonly servername: string;
  readonly ports: { readonly imap: number; readonly imaps: number; readonly pop3: number; readonly pop3s: number };
  readonly users: Readonly<Record<string, { readonly password: string }>>;
  readonly ca: string;
  readonly configPath: string;
  readonly binaries: { readonly doveadm: string };
}

/** The sample messages, fixed bytes (no date or pid in them), also written to fixtures/messages/. */
export const MESSAGES: readonly { readonly name: string; readonly text: string }[] = [
  {
    name: '1-eight-bit.eml',
    text:
      'From: Sender <sender@mailwire.test>\r\nTo: Carol <carol@mailwire.test>\r\nSubject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=\r\n' +
      'Date: Fri, 27 Nov 2026 10:00:00 +0000\r\nMessage-ID: <fixture.1@mailwire.test>\r\nMIME-Version: 1.0\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
      'Gr\u00fc\u00dfe aus K\u00f6ln.\r\n\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u2014 \u{1f389}\r\n',
  },
  {
    name: '2-dot-lines.eml',
    text:
      'From: Sender <sender@mailwire.test>\r\nTo: Carol <carol@mailwire.test>\r\nSubject: Lines starting with dots\r\n' +
      'Date: Fri, 27 Nov 2026 10:01:00 +0000\r\nMessage-ID: <fixture.2@mailwire.test>\r\nMIME-Version: 1.0\r\n\r\n' +
      '.leading dot\r\n..two dots\r\n.\r\nafter the lone dot\r\n. dot space\r\nlast\r\n',
  },
  {
    name: '3-no-final-crlf.eml',
    text:
      'From: Sender <sender@mailwire.test>\r\nTo: Carol <carol@mailwire.test>\r\nSubject: No final CRLF\r\n' +
      'Date: Fri, 27 Nov 2026 10:02:00 +0000\r\nMessage-ID: <fixture.3@mailwire.test>\r\nMIME-Version: 1.0\r\n\r\n' +
      'first line\r\nlast line without CRLF',
  },
];

interface Flow {
  readonly name: string;
  readonly description: string;
  /** The `# tls:` header field (default: implicit). */
  readonly tls?: TranscriptTlsMode;
  run(context: FlowContext): Promise<void>;
}

interface FlowContext {
  readonly facts: Facts;
  /** Options for an ImapClient that records through the flow's connector. */
  readonly imap: (tls: 'implicit' | 'starttls' | 'none', method: ImapCredentials['method'], user?: string) => ImapClientOptions;
  /** Stores a message in carol's INBOX from outside the recorded session (doveadm save). */
  readonly deliver: (text: string) => void;
  /** Options for a Pop3Client that records through the flow's connector. */
  readonly pop3: (tls: 'implicit' | 'starttls' | 'none', method: Pop3Credentials['method']) => Pop3ClientOptions;
}

const pop3Login = (method: NonNullable<Pop3Credentials['method']>, tls: 'implicit' | 'none' = 'implicit'): Flow => ({
  name: `pop3/login-${method.toLowerCase()}`,
  tls,
  description: `POP3 login with ${method === 'USER' ? 'USER/PASS' : method === 'APOP' ? 'APOP' : `AUTH ${method}`}${tls === 'none' ? ' (no TLS, allowCleartext)' : ' over implicit TLS'}, then QUIT.`,
  async run({ pop3 }) {
    const client = await Pop3Client.connect(pop3(tls, method));
    await client.close();
  },
});

const imapLogin = (method: NonNullable<ImapCredentials['method']>, user = USER): Flow => ({
  name: `imap/login-${method.toLowerCase()}${user === USER ? '' : `-${user}`}`,
  description: `IMAP ${method === 'LOGIN' ? 'LOGIN command' : `AUTHENTICATE ${method}`} as ${user}${user === 'bob' ? ' (a password with quotes, a backslash and UTF-8: sent as a literal)' : ''} over implicit TLS, then LOGOUT.`,
  async run({ imap }) {
    const client = await ImapClient.connect(imap('implicit', method, user));
    await client.logout();
  },
});

const NEW_MESSAGE =
  'From: Dave <dave@mailwire.test>\r\nTo: Carol <carol@mailwire.test>\r\nSubject: Arrived while idling\r\n' +
  'Date: Fri, 27 Nov 2026 11:00:00 +0000\r\nMessage-ID: <fixture.idle@mailwire.test>\r\nMIME-Version: 1.0\r\n\r\nHello during IDLE.\r\n';

const APPENDED =
  'From: Carol <carol@mailwire.test>\r\nTo: Carol <carol@mailwire.test>\r\nSubject: Appended draft\r\n' +
  'Date: Fri, 27 Nov 2026 12:00:00 +0000\r\nMessage-ID: <fixture.append@mailwire.test>\r\nMIME-Version: 1.0\r\n\r\nA draft.\r\n';

const FLOWS: readonly Flow[] = [
  imapLogin('LOGIN'),
  imapLogin('LOGIN', 'bob'),
  imapLogin('PLAIN'),
  imapLogin('CRAM-MD5'),
  imapLogin('SCRAM-SHA-256'),
  {
    name: 'imap/starttls',
    tls: 'starttls',
    description: 'IMAP on the plain port, STARTTLS, then LOGIN inside TLS and LOGOUT.',
    async run({ imap }) {
      const client = await ImapClient.connect(imap('starttls', 'LOGIN'));
      await client.logout();
    },
  },
  {
    name: 'imap/list-fetch-headers',
    description: 'IMAP: LIST, SELECT INBOX, FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE BODY.PEEK[HEADER]), LOGOUT.',
    async run({ imap }) {
      const client = await ImapClient.connect(imap('implicit', 'LOGIN'));
      await list(client);
      await client.select('INBOX');
      for await (const message of client.fetch({ seq: '1:*' }, { flags: true, size: true, envelope: true, bodies: ['HEADER'] }, { bodies: 'buffer' })) {
        await message.complete();
      }
      await client.logout();
    },
  },
  {
    name: 'imap/fetch-bodies',
    description: 'IMAP: SELECT INBOX, then UID FETCH of each whole message (BODY.PEEK[]: no \\Seen), LOGOUT.',
    async run({ imap }) {
      const client = await ImapClient.connect(imap('implicit', 'LOGIN'));
      await client.select('INBOX');
      const uids: number[] = [];
      for await (const message of client.fetch({ seq: '1:*' }, { flags: true }, { bodies: 'buffer' })) {
        await message.complete();
        if (message.uid !== undefined) uids.push(message.uid);
      }
      for (const uid of uids) {
        const message = await client.fetchOne(String(uid), { source: true }, { bodies: 'buffer' });
        await message?.complete();
      }
      await client.logout();
    },
  },
  {
    name: 'imap/delete',
    description: 'IMAP: SELECT INBOX, UID STORE +FLAGS.SILENT (\\Deleted) on the first message, UID EXPUNGE of that UID only, LOGOUT.',
    async run({ imap }) {
      const client = await ImapClient.connect(imap('implicit', 'LOGIN'));
      await client.select('INBOX');
      const first = await client.fetchOne({ seq: '1' }, { flags: true });
      const uid = first!.uid!;
      await store(client, uid, 'add', ['\\Deleted'], { silent: true });
      await uidExpunge(client, uid);
      await client.logout();
    },
  },
  {
    name: 'imap/idle',
    description: 'IMAP: SELECT INBOX, IDLE; another client delivers a message; the EXISTS arrives, DONE, LOGOUT.',
    async run({ imap, deliver }) {
      const client = await ImapClient.connect(imap('implicit', 'LOGIN'));
      await client.select('INBOX');
      const idle = client.idle();
      const next = idle.next();
      await new Promise((resolve) => setTimeout(resolve, 300)); // let IDLE start
      deliver(NEW_MESSAGE);
      for (let result = await next; !result.done; result = await idle.next()) {
        if (result.value.kind === 'exists') break;
      }
      await idle.return();
      await client.logout();
    },
  },
  {
    name: 'imap/append',
    description: 'IMAP: APPEND a message to INBOX with the \\Seen flag (a literal from the client), LOGOUT.',
    async run({ imap }) {
      const client = await ImapClient.connect(imap('implicit', 'LOGIN'));
      await append(client, 'INBOX', APPENDED, { flags: ['\\Seen'] });
      await client.logout();
    },
  },

  pop3Login('USER'),
  pop3Login('APOP', 'none'),
  pop3Login('PLAIN'),
  pop3Login('LOGIN'),
  pop3Login('CRAM-MD5'),
  pop3Login('SCRAM-SHA-1'),
  pop3Login('SCRAM-SHA-256'),
  {
    name: 'pop3/stls',
    tls: 'starttls',
    description: 'POP3 on the plain port, STLS, then login with PLAIN inside TLS and QUIT.',
    async run({ pop3 }) {
      const client = await Pop3Client.connect(pop3('starttls', 'PLAIN'));
      await client.close();
    },
  },
  {
    name: 'pop3/list-headers-bodies',
    description:
      'POP3: LIST, UIDL, TOP n 0 for every message (headers only), RETR every message (8-bit body, dot-stuffed lines, a body without final CRLF), QUIT without deleting.',
    async run({ pop3 }) {
      const client = await Pop3Client.connect(pop3('implicit', 'PLAIN'));
      const listing = await client.list();
      await client.uidl();
      for (const { number } of listing) await (await client.top(number, 0)).bytes();
      for (const { number } of listing) await (await client.retrieve(number)).bytes();
      await client.close();
    },
  },
  {
    name: 'pop3/subjects',
    description: 'POP3: LIST, then TOP n 0 for every message, QUIT (the example of docs/testing.md).',
    async run({ pop3 }) {
      const client = await Pop3Client.connect(pop3('implicit', 'PLAIN'));
      for (const { number } of await client.list()) await (await client.top(number, 0)).bytes();
      await client.close();
    },
  },
  {
    name: 'pop3/delete',
    description: 'POP3: RETR 1 then DELE 1 and QUIT (the deletion is committed); a second connection sees two messages left.',
    async run({ pop3 }) {
      const first = await Pop3Client.connect(pop3('implicit', 'PLAIN'));
      await (await first.retrieve(1)).bytes();
      await first.delete(1);
      await first.close();
      const second = await Pop3Client.connect(pop3('implicit', 'PLAIN'));
      await second.uidl();
      await second.close();
    },
  },
];

function doveadm(facts: Facts, args: readonly string[], input?: string): void {
  execFileSync(facts.binaries.doveadm, ['-c', facts.configPath, ...args], { input, stdio: ['pipe', 'ignore', 'pipe'] });
}

function resetMailbox(facts: Facts): void {
  try {
    doveadm(facts, ['kick', USER]);
  } catch {
    // Exit code 68: nobody to kick.
  }
  doveadm(facts, ['expunge', '-u', USER, 'mailbox', 'INBOX', 'all']);
  for (const message of MESSAGES) doveadm(facts, ['save', '-u', USER, '-m', 'INBOX'], message.text);
}

/** Refuses a transcript (or side file) that holds a password in any form we can think of. */
function checkNoSecrets(file: string, facts: Facts): void {
  const folder = path.dirname(file);
  const texts = [readFileSync(file, 'latin1')];
  for (const match of texts[0]!.matchAll(/^@file S (\S+)$/gm)) texts.push(readFileSync(path.join(folder, match[1]!), 'latin1'));
  for (const [name, user] of Object.entries(facts.users)) {
    const bytes = Buffer.from(user.password, 'utf8');
    const forms = [
      user.password,
      bytes.toString('latin1'),
      escapeTranscriptBytes(bytes),
      Buffer.from(`\0${name}\0${user.password}`).toString('base64'), // SASL PLAIN
      bytes.toString('base64'),
    ];
    if (texts.some((text) => forms.some((form) => text.includes(form)))) {
      rmSync(file, { force: true });
      throw new Error(`${path.relative(root, file)} held the password of ${name}: removed. A client sent it without a Secret part.`);
    }
  }
}

async function main(): Promise<void> {
  const only = process.argv[2];
  let facts: Facts;
  let started: string | undefined;
  const envFile = process.env.MAILWIRE_DOVECOT_ENV;
  if (envFile !== undefined && envFile !== '') {
    facts = JSON.parse(readFileSync(envFile, 'utf8')) as Facts;
  } else {
    started = mkdtempSync(path.join(tmpdir(), 'mailwire-fixtures-'));
    execFileSync('chmod', ['755', started]);
    const factsFile = path.join(started, 'env.json');
    execFileSync(process.execPath, [path.join(root, 'scripts/dovecot.mjs'), 'start', '--facts-file', factsFile, '--parent', started], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    facts = JSON.parse(readFileSync(factsFile, 'utf8')) as Facts;
  }
  try {
    mkdirSync(path.join(fixtures, 'messages'), { recursive: true });
    for (const message of MESSAGES) writeFileSync(path.join(fixtures, 'messages', message.name), message.text);
    for (const flow of FLOWS) {
      if (only !== undefined && !flow.name.startsWith(only)) continue;
      resetMailbox(facts); // every flow starts from the three sample messages
      const file = path.join(fixtures, `${flow.name}.txt`);
      rmSync(file, { force: true });
      const recordOptions: RecordOptions = {
        protocol: flow.name.startsWith('imap') ? 'imap' : 'pop3',
        file,
        server: SERVER,
        tls: flow.tls ?? 'implicit',
        fields: { flow: flow.description, user: USER },
        comment: 'Recorded by scripts/record-fixtures.ts (npm run fixtures:record); replayed by test/unit/testing-fixtures.test.ts.',
        // A safety net: the clients send passwords as Secret parts, which are always redacted; the
        // passwords themselves are listed too, in case one is ever sent as plain bytes.
        redact: Object.values(facts.users).map((user) => user.password),
      };
      const connector = recordingConnector(defaultConnector, recordOptions);
      const context: FlowContext = {
        facts,
        deliver: (text) => {
          doveadm(facts, ['save', '-u', USER, '-m', 'INBOX'], text);
        },
        imap: (tls, method, user = USER) => ({
          host: facts.host,
          port: tls === 'implicit' ? facts.ports.imaps : facts.ports.imap,
          tls,
          allowCleartext: tls === 'none',
          tlsOptions: { ca: facts.ca, servername: facts.servername },
          auth: { username: user, password: facts.users[user]!.password, method },
          connector,
        }),
        pop3: (tls, method) => ({
          host: facts.host,
          port: tls === 'implicit' ? facts.ports.pop3s : facts.ports.pop3,
          tls,
          allowCleartext: tls === 'none',
          tlsOptions: { ca: facts.ca, servername: facts.servername },
          auth: { username: USER, password: facts.users[USER]!.password, method },
          connector,
        }),
      };
      await flow.run(context);
      checkNoSecrets(file, facts);
      process.stdout.write(`recorded ${path.relative(root, file)} (${connector.connections} connection(s))\n`);
    }
  } finally {
    if (started !== undefined) {
      execFileSync(process.execPath, [path.join(root, 'scripts/dovecot.mjs'), 'stop', started], { stdio: 'ignore' });
      rmSync(started, { recursive: true, force: true });
    }
  }
}

await main();
