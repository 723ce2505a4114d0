/**
 * A credential's every path, over IMAP and POP3: the wire log, a recorded transcript, the error a
 * failed login throws, and util.inspect / JSON.stringify of the client and its options must hold
 * neither the password nor any form of what the client sent for it.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConnector } from '../../src/common/connector.js';
import { Secret } from '../../src/common/secret.js';
import type { WireLogEntry } from '../../src/common/wirelog.js';
import { ImapClient, type ImapClientOptions } from '../../src/imap/client.js';
import type { ImapLoginMethod } from '../../src/imap/commands/connection.js';
import { Pop3Client, type Pop3ClientOptions } from '../../src/pop3/client.js';
import type { Pop3AuthMethod } from '../../src/pop3/auth.js';
import { recordingConnector } from '../../src/testing/record.js';
import { C, S, reply, scramServerFirst, startFakeServer, type FakeServer, type Step } from '../helpers/scripted-server.js';

const servers: FakeServer[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  for (const server of servers.splice(0)) await server.close();
});

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const ANY = /.*/;
const XOAUTH2_ERROR = b64('{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}');

/** Every text a credential could reach, from one login attempt. */
interface Outcome {
  readonly texts: string[];
  /** The lines the server received (the secrets' wire forms are taken from these). */
  readonly received: readonly string[];
}

function errorTexts(error: unknown): string[] {
  const texts: string[] = [];
  for (let at: unknown = error, depth = 0; at instanceof Error && depth < 5; depth++) {
    texts.push(String(at), inspect(at, { depth: 10, showHidden: true }), at.message, at.stack ?? '', JSON.stringify(at));
    at = at.cause;
  }
  return texts;
}

function objectTexts(value: object): string[] {
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    json = String(error);
  }
  return [inspect(value, { depth: 10, showHidden: true, getters: true }), json];
}

/** A client of either protocol, as far as a login attempt needs it. */
interface AttemptClient {
  connect(): Promise<unknown>;
  destroy(): void;
}

/** Options both clients take: a fake server on 127.0.0.1, a wire log and a recorder. */
interface AttemptOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: 'none';
  readonly allowCleartext: true;
  readonly commandTimeout: number;
  readonly logger: (entry: WireLogEntry) => void;
  readonly connector: ReturnType<typeof recordingConnector>;
}

/** Runs a login that must fail against `script`, and gathers every text the secret could reach. */
async function attempt(
  protocol: 'imap' | 'pop3',
  script: Step[],
  password: string | Secret,
  makeClient: (options: AttemptOptions) => { client: AttemptClient; options: object },
): Promise<Outcome> {
  const server = await startFakeServer(script);
  servers.push(server);
  const log: WireLogEntry[] = [];
  let transcript = '';
  const { client, options } = makeClient({
    host: '127.0.0.1',
    port: server.port,
    tls: 'none',
    allowCleartext: true,
    commandTimeout: 3_000,
    logger: (entry) => log.push(entry),
    connector: recordingConnector(defaultConnector, { protocol, sink: (piece) => (transcript += piece) }),
  });
  closers.push(() => {
    client.destroy();
  });
  const error = await client.connect().then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeDefined();
  await server.done;
  client.destroy();
  await new Promise((resolve) => setTimeout(resolve, 20));
  // The caller's own options object shows a password given as a string: only a Secret is checked there.
  const optionTexts = password instanceof Secret ? objectTexts(options) : [];
  return { texts: [JSON.stringify(log), transcript, ...errorTexts(error), ...objectTexts(client), ...optionTexts], received: server.received };
}

function imapAttempt(script: Step[], password: string | Secret, method: ImapLoginMethod, accessToken?: string): Promise<Outcome> {
  return attempt('imap', script, password, (common) => {
    const options: ImapClientOptions = { ...common, auth: { username: 'alice', password, method, accessToken } };
    return { client: new ImapClient(options), options };
  });
}

function pop3Attempt(script: Step[], password: string | Secret, method: Pop3AuthMethod, accessToken?: string): Promise<Outcome> {
  return attempt('pop3', script, password, (common) => {
    const options: Pop3ClientOptions = { ...common, auth: { username: 'alice', password, method, accessToken } };
    return { client: new Pop3Client(options), options };
  });
}

/** The password and every form of it a leak could take: itself, its base64 and hex, and the wire forms given. */
function expectNoLeak(outcome: Outcome, password: string, wireForms: readonly string[]): void {
  const forms = [password, b64(password), Buffer.from(password, 'utf8').toString('hex'), ...wireForms].filter((form) => form.length >= 3);
  for (const text of outcome.texts) {
    for (const form of forms) expect(text, `leaks ${JSON.stringify(form)}`).not.toContain(form);
    expect(text).not.toContain('Hunter');
  }
}

/** What a received line carries of a SASL exchange: an initial response after the mechanism, or the whole response line. */
const saslResponses = (line: string): string[] => (/^(?:A1 AUTHENTICATE|AUTH) /.test(line) ? line.split(' ').slice(line.startsWith('A1') ? 3 : 2) : [line]);

const PASSWORDS = ['Hunter2plain', 'Hunter2 "q\\uoted"', 'Hunter2-wörd', 'Hunter2\r\nnext'];

describe('IMAP: no secret reaches the log, the transcript, an error or inspect', () => {
  for (const password of PASSWORDS) {
    for (const literalPlus of [false, true]) {
      it(`LOGIN ${JSON.stringify(password)}${literalPlus ? ' with LITERAL+' : ''}`, async () => {
        const capabilities = `IMAP4rev1${literalPlus ? ' LITERAL+' : ''}`;
        const literal = /[\r\n\u0080-\uffff]/.test(password);
        const script: Step[] = [S(`* OK [CAPABILITY ${capabilities}] ready`), C(ANY)];
        if (literal && !literalPlus) script.push(S('+ go ahead'));
        if (literal) script.push(...(password.includes('\n') ? [C(ANY), C(ANY)] : [C(ANY)]));
        script.push(S('A1 NO [AUTHENTICATIONFAILED] Authentication failed.'));
        for (const given of [password, new Secret(password)]) {
          const outcome = await imapAttempt(script, given, 'LOGIN');
          // A literal's announcement would give the password's length away, as the recorder knows.
          expectNoLeak(outcome, password, literal ? [`{${Buffer.byteLength(password)}`] : []);
        }
      });
    }
  }

  const saslCases: { name: string; method: ImapLoginMethod; capabilities: string; exchange: Step[]; accessToken?: string }[] = [
    { name: 'PLAIN', method: 'PLAIN', capabilities: 'AUTH=PLAIN', exchange: [C(ANY), S('+ '), C(ANY)] },
    { name: 'PLAIN with SASL-IR', method: 'PLAIN', capabilities: 'SASL-IR AUTH=PLAIN', exchange: [C(ANY)] },
        { name: 'CRAM-MD5', method: 'CRAM-MD5', capabilities: 'AUTH=CRAM-MD5', exchange: [C(ANY), S(`+ ${b64('<1896.697170952@postoffice.example.net>')}`), C(ANY)] },
    {
      name: 'XOAUTH2 error challenge',
      method: 'XOAUTH2',
      capabilities: 'SASL-IR AUTH=XOAUTH2',
      exchange: [C(ANY), S(`+ ${XOAUTH2_ERROR}`), C('')],
      accessToken: 'Hunter2-token-ya29',
    },
    {
      name: 'OAUTHBEARER error challenge',
      method: 'OAUTHBEARER',
      capabilities: 'SASL-IR AUTH=OAUTHBEARER',
      exchange: [C(ANY), S(`+ ${b64('{"status":"invalid_token"}')}`), C(ANY)],
      accessToken: 'Hunter2-token-ya29',
    },
    { name: 'SCRAM-SHA-256', method: 'SCRAM-SHA-256', capabilities: 'SASL-IR AUTH=SCRAM-SHA-256', exchange: [C(ANY), reply(scramServerFirst(4096)), C(ANY)] },
  ];
  for (const { name, method, capabilities, exchange, accessToken } of saslCases) {
    it(`AUTHENTICATE ${name}`, async () => {
      const password = 'Hunter2 "q\\uoted"-wörd';
      const script = [S(`* OK [CAPABILITY IMAP4rev1 ${capabilities}] ready`), ...exchange, S('A1 NO [AUTHENTICATIONFAILED] Authentication failed.')];
      const outcome = await imapAttempt(script, password, method, accessToken);
      // Every response the client sent: the initial response on the command line, and the lines after it.
      const responses = outcome.received.flatMap(saslResponses);
      expectNoLeak(outcome, password, [...responses, ...(accessToken === undefined ? [] : [accessToken, b64(accessToken)])]);
    });
  }

  it('AUTHENTICATE LOGIN', async () => {
    const password = 'Hunter2 "q\\uoted"-wörd';
    const script = [
      S('* OK [CAPABILITY IMAP4rev1 AUTH=LOGIN] ready'),
      C('A1 AUTHENTICATE LOGIN'),
      S(`+ ${b64('Username:')}`),
      C(ANY),
      S(`+ ${b64('Password:')}`),
      C(ANY),
      S('A1 NO [AUTHENTICATIONFAILED] Authentication failed.'),
    ];
    const outcome = await imapAttempt(script, password, 'auto');
    expectNoLeak(outcome, password, outcome.received.slice(2));
  });
});

describe('POP3: no secret reaches the log, the transcript, an error or inspect', () => {
  const greeting = '+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>';
  const capa = (sasl: string): Step[] => [C('CAPA'), S('+OK', 'USER', `SASL ${sasl}`, '.')];
  for (const password of ['Hunter2plain', 'Hunter2 "q\\uoted" wörd']) {
    for (const given of [password, new Secret(password)]) {
      it(`USER/PASS ${JSON.stringify(password)} as ${typeof given === 'string' ? 'a string' : 'a Secret'}`, async () => {
        const script = [S(greeting), ...capa('PLAIN'), C('USER alice'), S('+OK'), C(ANY), S('-ERR [AUTH] invalid password')];
        expectNoLeak(await pop3Attempt(script, given, 'USER'), password, []);
      });
      it(`APOP ${JSON.stringify(password)} as ${typeof given === 'string' ? 'a string' : 'a Secret'}`, async () => {
        const script = [S(greeting), ...capa('PLAIN'), C(ANY), S('-ERR [AUTH] permission denied')];
        const outcome = await pop3Attempt(script, given, 'APOP');
        expectNoLeak(outcome, password, outcome.received.filter((line) => line.startsWith('APOP')).map((line) => line.split(' ')[2]!));
      });
    }
  }

  const saslCases: { name: string; method: Pop3AuthMethod; exchange: Step[]; accessToken?: string }[] = [
    { name: 'PLAIN with an initial response', method: 'PLAIN', exchange: [C(ANY)] },
    { name: 'LOGIN', method: 'LOGIN', exchange: [C(ANY), S(`+ ${b64('Username:')}`), C(ANY), S(`+ ${b64('Password:')}`), C(ANY)] },
    { name: 'CRAM-MD5', method: 'CRAM-MD5', exchange: [C(ANY), S(`+ ${b64('<1896.697170952@postoffice.example.net>')}`), C(ANY)] },
    { name: 'XOAUTH2 error challenge', method: 'XOAUTH2', exchange: [C(ANY), S(`+ ${XOAUTH2_ERROR}`), C('')], accessToken: 'Hunter2-token-ya29' },
    { name: 'SCRAM-SHA-256', method: 'SCRAM-SHA-256', exchange: [C(ANY), reply(scramServerFirst(4096)), C(ANY)] },
  ];
  for (const { name, method, exchange, accessToken } of saslCases) {
    it(`AUTH ${name}`, async () => {
      const password = 'Hunter2 "q\\uoted"-wörd';
      const script = [S(greeting), ...capa(method), ...exchange, S('-ERR [AUTH] Authentication failed.')];
      const outcome = await pop3Attempt(script, password, method, accessToken);
      const responses = outcome.received.slice(2).flatMap(saslResponses);
      expectNoLeak(outcome, password, [...responses, ...(accessToken === undefined ? [] : [accessToken, b64(accessToken)])]);
    });
  }
});
