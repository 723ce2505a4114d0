/**
 * `mailwire demo`: two devices on one account, for IMAP and POP3, side by side.
 *
 * - No arguments: the embedded fixtures (recorded from the project's Dovecot) are replayed: no
 *   mail account, no network.
 * - `--url imaps://me@example.com` (and/or `--url pop3s://me@example.com`), with the password in
 *   `MAILWIRE_PASSWORD`: live, on messages the demo appends itself (IMAP: to a scratch folder it
 *   creates and deletes; POP3: to INBOX through the IMAP side of the same account, since POP3
 *   cannot put mail in) and removes afterwards.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import type { Connector } from '../common/connector.js';
import { MailwireError } from '../common/errors.js';
import { parseMailboxUrl } from '../open-mailbox.js';
import { parseTranscript } from '../testing/transcript.js';
import { replayConnector, type ReplayConnector } from '../testing/replay.js';
import { DEMO_FIXTURE_INFO, DEMO_FIXTURES } from './fixtures.js';
import { renderReport } from './render.js';
import { runDemo, type DemoRole, type DemoTarget } from './scenario.js';

/** Where the demo writes. */
export interface DemoIo {
  /** Normal output. */
  readonly stdout: (text: string) => void;
  /** Errors and usage. */
  readonly stderr: (text: string) => void;
  /** The environment (for the password variable). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The usage text. */
export const DEMO_USAGE = `Usage: mailwire demo [--url URL]... [options]

Plays two devices (A and B) against one account and prints, for IMAP and POP3, what each
observed for the five behaviours that set the protocols apart.

Without --url: replays recorded sessions (no mail account needed, no network).

  --url URL            imaps://user@host[:port], imap://..., pop3s://..., pop3://... (repeatable).
                       Live: the demo appends its own messages and removes them afterwards.
  --imap-url URL       For a POP3-only run: the IMAP account used to put mail in
                       (default: imaps://same-user@same-host).
  --password-env NAME  The environment variable holding the password (default MAILWIRE_PASSWORD).
  --ca FILE            A PEM file of CA certificates to trust (a private server).
  --allow-cleartext    Allow logging in without TLS (imap://, pop3:// on a test server).
  --poll MS            Milliseconds between POP3 watch logins (default 2000).
  --help               This text.
`;

interface ParsedArgs {
  readonly urls: string[];
  readonly imapUrl: string | undefined;
  readonly passwordEnv: string;
  readonly ca: string | undefined;
  readonly allowCleartext: boolean;
  readonly poll: number;
  readonly help: boolean;
}

/** The lines printed above the tables. */
export const DEMO_LEGEND = `Two devices, A and B, use one mail account. Each row is what each device observed; under it,
the lines that crossed the wire and show it ("A>" a line device A sent, "B<" a line device B received).
`;

/** Parses the demo's arguments; throws an Error with a usage hint on a bad one. */
export function parseDemoArgs(args: readonly string[]): ParsedArgs {
  const urls: string[] = [];
  let imapUrl: string | undefined;
  let passwordEnv = 'MAILWIRE_PASSWORD';
  let ca: string | undefined;
  let allowCleartext = false;
  let poll = 2000;
  let help = false;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const next = inline ?? args[++index];
      // `--url --poll 500`: the next option is not the value (a value starting with "-" goes inline: `--ca=-x.pem`).
      if (next === undefined || (inline === undefined && next.startsWith('-'))) throw new Error(`${name} needs a value`);
      return next;
    };
    // A flag takes no value: `--allow-cleartext=no` must not allow cleartext.
    const flag = (): true => {
      if (inline !== undefined) throw new Error(`${name} takes no value`);
      return true;
    };
    switch (name) {
      case '--url':
        urls.push(value());
        break;
      case '--imap-url':
        imapUrl = value();
        break;
      case '--password-env':
        passwordEnv = value();
        break;
      case '--ca':
        ca = value();
        break;
      case '--allow-cleartext':
        allowCleartext = flag();
        break;
      case '--poll': {
        poll = Number(value());
        if (!Number.isSafeInteger(poll) || poll < 10) throw new Error('--poll needs a number of milliseconds (10 or more)');
        break;
      }
      case '--help':
      case '-h':
        help = flag();
        break;
      default:
        throw new Error(`Unknown argument ${JSON.stringify(arg)}`);
    }
  }
  return { urls, imapUrl, passwordEnv, ca, allowCleartext, poll, help };
}

/**
 * Runs the demo.
 *
 * @param args - the arguments after `demo`.
 * @param io - output and environment.
 * @returns the exit code.
 */
export async function demoMain(args: readonly string[], io: DemoIo): Promise<number> {
  let parsed: ParsedArgs;
  try {
    parsed = parseDemoArgs(args);
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${DEMO_USAGE}`);
    return 2;
  }
  if (parsed.help) {
    io.stdout(DEMO_USAGE);
    return 0;
  }
  try {
    return parsed.urls.length === 0 ? await embedded(io) : await live(parsed, io);
  } catch (error) {
    const text = error instanceof MailwireError ? `${error.name} (${error.code}): ${error.message}` : String(error);
    io.stderr(`mailwire demo failed: ${text}\n`);
    return 1;
  }
}

async function embedded(io: DemoIo): Promise<number> {
  if (Object.keys(DEMO_FIXTURES).length === 0) throw new Error('this build has no embedded demo fixtures (run scripts/record-demo-fixtures.ts)');
  const replays = new Map<string, ReplayConnector>();
  const connectorFor = (protocol: 'imap' | 'pop3', role: DemoRole): Connector => {
    const key = `${protocol}-${role}`;
    let replay = replays.get(key);
    if (replay === undefined) {
      const text = DEMO_FIXTURES[key];
      if (text === undefined) throw new Error(`no embedded fixture ${key}`);
      replay = replayConnector(parseTranscript(text, { file: `fixtures/demo/${key}.txt` }));
      replays.set(key, replay);
    }
    return replay;
  };
  const user = DEMO_FIXTURE_INFO.user;
  const target: DemoTarget = {
    imapUrl: `imaps://${user}@recorded.mailwire.invalid`,
    pop3Url: `pop3s://${user}@recorded.mailwire.invalid`,
    runImap: true,
    password: 'replayed',
    imapMethod: 'PLAIN',
    pop3Method: 'USER',
    connectorFor,
    runId: DEMO_FIXTURE_INFO.runId,
    pollInterval: 20,
    live: false,
  };
  const reports = await runDemo(target);
  // The killed session ends early on purpose; every other recorded connection must be played out.
  const problems: string[] = [];
  for (const [key, replay] of replays) {
    if (key.endsWith('-a-killed')) continue;
    await replay.close().catch((error: unknown) => problems.push(`${key}: ${String(error)}`));
  }
  const note = `replayed: sessions recorded ${DEMO_FIXTURE_INFO.recordedAt.slice(0, 10)} from ${DEMO_FIXTURE_INFO.server} (no account, no network); pass --url to run live`;
  io.stdout(`${DEMO_LEGEND}\n`);
  for (const report of reports) io.stdout(`${renderReport(report, note)}\n`);
  if (problems.length > 0) {
    io.stderr(`The replay did not match the recording:\n${problems.join('\n')}\n`);
    return 1;
  }
  return 0;
}

async function live(parsed: ParsedArgs, io: DemoIo): Promise<number> {
  // The URLs first: a bad one is the error to report, not the password not set yet.
  let imapUrl: string | undefined;
  let pop3Url: string | undefined;
  for (const url of parsed.urls) {
    const target = parseMailboxUrl(url); // refuses a password in the URL
    if (target.protocol === 'imap') imapUrl = url;
    else pop3Url = url;
  }
  const runImap = imapUrl !== undefined;
  if (imapUrl === undefined && pop3Url !== undefined) {
    const pop3 = parseMailboxUrl(pop3Url);
    imapUrl = parsed.imapUrl ?? `${pop3.implicitTls ? 'imaps' : 'imap'}://${encodeURIComponent(pop3.username)}@${pop3.host.includes(':') ? `[${pop3.host}]` : pop3.host}`;
    if (parseMailboxUrl(imapUrl).protocol !== 'imap') {
      io.stderr(`--imap-url must be an imap:// or imaps:// URL, got ${JSON.stringify(imapUrl)}\n\n${DEMO_USAGE}`);
      return 2;
    }
  }
  if (imapUrl === undefined) throw new Error('no URL');
  const password = io.env[parsed.passwordEnv];
  if (password === undefined || password === '') {
    io.stderr(`Set the password in the environment variable ${parsed.passwordEnv} (it is never taken from the URL).\n`);
    return 2;
  }
  const target: DemoTarget = {
    imapUrl,
    pop3Url,
    runImap,
    password,
    ...(parsed.ca === undefined ? {} : { tlsOptions: { ca: readFileSync(parsed.ca, 'utf8') } }),
    allowCleartext: parsed.allowCleartext,
    runId: `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`,
    pollInterval: parsed.poll,
    live: true,
  };
  const reports = await runDemo(target);
  const note = `live: the demo's own messages (scratch folder / tagged messages), removed afterwards`;
  io.stdout(`${DEMO_LEGEND}\n`);
  for (const report of reports) io.stdout(`${renderReport(report, note)}\n`);
  return 0;
}
