/**
 * The chaotic server of the client property tests (test/unit/*-client-chaos.property.test.ts): an
 * in-memory {@link Connection} that answers each command line with the next step of a random plan,
 * and the loop that makes the calls and checks that every one settles.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, expect } from 'vitest';
import type { Connection } from '../../src/common/connector.js';
import { ConnectionClosedError, MailwireError } from '../../src/common/errors.js';
import { Secret } from '../../src/common/secret.js';
import type { TransportHandlers } from '../../src/common/transport-options.js';
import type { WirePart } from '../../src/common/wirelog.js';

/** What an IMAP server may send for one command line; `$T` is the command's tag (see {@link imapReply}). */
export const IMAP_REPLIES = [
  '$T OK done\r\n',
  '$T OK done\r\n',
  '$T NO [TRYCREATE] no such mailbox\r\n',
  '$T BAD what?\r\n',
  '* 5 EXISTS\r\n* 1 RECENT\r\n$T OK done\r\n',
  '* 3 EXPUNGE\r\n$T OK done\r\n',
  '* 1 FETCH (UID 9 FLAGS (\\Seen $Junk))\r\n$T OK done\r\n',
  '* 2 FETCH (UID 10 RFC822.SIZE 5 BODY[] {5}\r\nhello)\r\n$T OK done\r\n',
  '* 2 FETCH (UID 10 BODY[] {50}\r\nshort)\r\n',
  '* 2 FETCH (UID 10 BODY[] {5+}\r\nhello)\r\n$T OK done\r\n',
  '* 4 FETCH (UID 11 ENVELOPE (NIL "s" (("a" NIL "b" "c")) NIL NIL NIL NIL NIL NIL "<id>"))\r\n$T OK done\r\n',
  '* 4 FETCH (UID 11 ENVELOPE ((("\r\n',
  '* 4 FETCH (UID 11 BODYSTRUCTURE ("text" "plain" NIL NIL NIL "7bit" 5 1))\r\n$T OK done\r\n',
  '* 4 FETCH (UID 11 BODYSTRUCTURE ((((((((((((((\r\n$T OK done\r\n',
  '* 4 FETCH (UID 12 MODSEQ (99999999999999999999))\r\n$T OK done\r\n',
  '* SEARCH 1 2 3\r\n$T OK done\r\n',
  '* ESEARCH (TAG "$T") UID MIN 1 MAX 9 COUNT 3 ALL 1:3\r\n$T OK done\r\n',
  '* LIST (\\HasNoChildren \\Sent) "/" "Sent &AOQ-"\r\n$T OK done\r\n',
  '* LIST (\\Noselect) NIL {3}\r\nabc\r\n$T OK done\r\n',
  '* STATUS INBOX (MESSAGES 3 UIDNEXT 4 UIDVALIDITY 5)\r\n$T OK done\r\n',
  '* FLAGS (\\Seen \\Deleted)\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 8] n\r\n* 2 EXISTS\r\n$T OK [READ-WRITE] selected\r\n',
  '* VANISHED (EARLIER) 1:3\r\n$T OK done\r\n',
  '$T OK [APPENDUID 7 9] appended\r\n',
  '$T OK [COPYUID 7 1:2 5:6] copied\r\n',
  '+ go ahead\r\n',
  '+ idling\r\n* 6 EXISTS\r\n',
  '* OK [ALERT] maintenance soon\r\n',
  '* CAPABILITY IMAP4rev1 IDLE\r\n$T OK done\r\n',
  '* BYE going away\r\n',
  'A999 OK nobody asked\r\n',
  '* 99999999999999999999 EXISTS\r\n$T OK done\r\n',
  '* FLAGS (\\Seen\r\n',
  ')))))\r\n',
  '\x00\xff\xfe garbage\r\n',
  '$T OK',
  '* 1 FETCH (BODY[] {99999999999}\r\n',
  '',
] as const;

/** What a POP3 server may send for one command line. */
export const POP3_REPLIES = [
  '+OK\r\n',
  '+OK\r\n',
  '+OK 2 320\r\n',
  '-ERR no\r\n',
  '-ERR [AUTH] bad password\r\n',
  '-ERR [IN-USE] locked\r\n',
  '+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n',
  '+OK\r\n1 uid-1\r\n2 uid-2\r\n.\r\n',
  '+OK 120 octets\r\nSubject: hi\r\n\r\n..dot-stuffed\r\nbody\r\n.\r\n',
  '+OK\r\nSubject: no end\r\n',
  '+OK Capability list follows\r\nUSER\r\nTOP\r\nUIDL\r\nPIPELINING\r\nSASL PLAIN\r\nUTF8\r\n.\r\n',
  '+OK\r\n.\r\n',
  '+ \r\n',
  '+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n',
  'garbage without status\r\n',
  '\x00\xff\xfe\r\n',
  '+OK',
  '+OK 1 99999999999999999999\r\n',
  '',
] as const;

/** A sound server's answer to a command, and whether it hangs up after it (LOGOUT, QUIT). */
export interface SoundAnswer {
  readonly text: string;
  readonly hangUp?: boolean;
}

const IMAP_CAPABILITIES = 'IMAP4rev1 LITERAL+ IDLE UIDPLUS MOVE CONDSTORE QRESYNC ESEARCH ENABLE';
/** The tag of the IDLE a sound IMAP server is in (DONE has no tag of its own). */
let idleTag = '*';

/** What a sound IMAP server (two messages, UIDs 1 and 2, in every mailbox) answers to `line`. */
export function imapSoundReply(line: string): SoundAnswer {
  return { text: imapSoundText(line), hangUp: /^\S+ LOGOUT$/i.test(line) };
}

function imapSoundText(line: string): string {
  if (line === 'DONE') return `${idleTag} OK IDLE terminated\r\n`;
  const [tag = '*', ...words] = line.split(' ');
  const command = words[0]?.toUpperCase() === 'UID' ? `UID ${words[1]?.toUpperCase() ?? ''}` : (words[0]?.toUpperCase() ?? '');
  const ok = `${tag} OK done\r\n`;
  const literal = (text: string): string => `{${Buffer.byteLength(text, 'latin1')}}\r\n${text}`;
  const message = 'Subject: hi\r\nMessage-ID: <1@x>\r\n\r\nhello\r\n';
  switch (command) {
    case 'LOGIN':
    case 'AUTHENTICATE':
      return `${tag} OK [CAPABILITY ${IMAP_CAPABILITIES}] Logged in\r\n`;
    case 'CAPABILITY':
      return `* CAPABILITY ${IMAP_CAPABILITIES}\r\n${ok}`;
    case 'ENABLE':
      return `* ENABLED ${words.slice(1).join(' ')}\r\n${ok}`;
    case 'SELECT':
    case 'EXAMINE':
      return `* FLAGS (\\Seen \\Deleted)\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 3] n\r\n* OK [HIGHESTMODSEQ 9] m\r\n* 2 EXISTS\r\n${tag} OK [READ-WRITE] selected\r\n`;
    case 'STATUS':
      return `* STATUS ${words[1] ?? 'INBOX'} (MESSAGES 2 UIDNEXT 3 UIDVALIDITY 7 UNSEEN 0)\r\n${ok}`;
    case 'UID SEARCH':
    case 'SEARCH':
      return `* SEARCH 1 2\r\n${ok}`;
    case 'UID FETCH':
    case 'FETCH': {
      const items = line.toUpperCase();
      const header = items.includes('[HEADER') ? ` BODY[HEADER] ${literal('Subject: hi\r\nMessage-ID: <1@x>\r\n\r\n')}` : '';
      const body = header + (items.includes('[]') ? ` BODY[] ${literal(message)}` : '');
      const fetched = (seq: number): string => `* ${seq} FETCH (UID ${seq} FLAGS (\\Seen) MODSEQ (9) RFC822.SIZE ${message.length}${body})\r\n`;
      return `${fetched(1)}${fetched(2)}${ok}`;
    }
    case 'IDLE':
      idleTag = tag;
      return '+ idling\r\n* 3 EXISTS\r\n';
    case 'LOGOUT':
      return `* BYE logging out\r\n${ok}`;
    default:
      return ok;
  }
}

/** IMAP reply `index` for the command `line`, with its tag in place of `$T`. */
export function imapReply(index: number, line: string): string {
  return IMAP_REPLIES[index]!.replaceAll('$T', /^(\S+) /.exec(line)?.[1] ?? '*');
}

/** What a sound POP3 server (two messages, UIDLs uid-1 and uid-2) answers to `line`. */
export function pop3SoundReply(line: string): SoundAnswer {
  return { text: pop3SoundText(line), hangUp: /^QUIT$/i.test(line) };
}

function pop3SoundText(line: string): string {
  const message = 'Subject: hi\r\nMessage-ID: <1@x>\r\n\r\nhello\r\n';
  switch (line.split(' ')[0]?.toUpperCase()) {
    case 'CAPA':
      return '+OK\r\nUSER\r\nTOP\r\nUIDL\r\nPIPELINING\r\n.\r\n';
    case 'STAT':
      return `+OK 2 ${2 * message.length}\r\n`;
    case 'LIST':
      return line.includes(' ') ? `+OK 1 ${message.length}\r\n` : `+OK\r\n1 ${message.length}\r\n2 ${message.length}\r\n.\r\n`;
    case 'UIDL':
      return line.includes(' ') ? '+OK 1 uid-1\r\n' : '+OK\r\n1 uid-1\r\n2 uid-2\r\n.\r\n';
    case 'RETR':
      return `+OK\r\n${message}.\r\n`;
    case 'TOP':
      return '+OK\r\nSubject: hi\r\nMessage-ID: <1@x>\r\n\r\n.\r\n';
    case 'QUIT':
      return '+OK bye\r\n';
    default:
      return '+OK\r\n';
  }
}

/** One step of the server's plan: reply `index` of the protocol's table, a hang-up, or nothing. */
export type Act =
  | { readonly kind: 'reply'; readonly index: number; readonly chunk: number; readonly thenClose: boolean }
  | { readonly kind: 'close' }
  | { readonly kind: 'silence' }
  /** What a sound server would answer (see {@link imapSoundReply}, {@link pop3SoundReply}), cut in chunks. */
  | { readonly kind: 'sound'; readonly chunk: number; readonly noise?: string };

/**
 * Plans over a table of `replies` replies: replies cut in chunks of 1-40 bytes (some followed at
 * once by a hang-up), hang-ups, silences, and with `sound` > 0 that weight of sound answers, so
 * that sessions get far enough to meet trouble later on.
 */
export function plans(replies: number, sound = 0): fc.Arbitrary<Act[]> {
  const act: fc.Arbitrary<Act> = fc.oneof(
    { weight: sound, arbitrary: fc.record({ kind: fc.constant('sound' as const), chunk: fc.integer({ min: 1, max: 200 }) }) },
    {
      weight: 12,
      arbitrary: fc.record({
        kind: fc.constant('reply' as const),
        index: fc.nat(replies - 1),
        chunk: fc.integer({ min: 1, max: 40 }),
        thenClose: fc.integer({ min: 0, max: 6 }).map((n) => n === 0),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'silence' as const }) },
  );
  return fc.array(act, { maxLength: sound > 0 ? 24 : 12 });
}

/**
 * An in-memory connection playing the plan: each line the client ends gets the plan's next step
 * (a reply cut into chunks of the given size, delivered on later turns of the event loop, or a
 * hang-up, or nothing). When the plan runs out the server hangs up at the next line, and the test
 * hangs up itself once every call has been made ({@link ChaosConnection.hangUp}).
 */
export class ChaosConnection implements Connection {
  readonly secure = false;
  readonly logging = false;
  closed = false;
  readonly #handlers: TransportHandlers;
  readonly #plan: Act[];
  #line = '';
  #queue: Uint8Array[] = [];
  #paused = false;
  #scheduled = false;
  /** Deliveries left until the server hangs up in the same turn as its last bytes; -1: no such hang-up. */
  #closeAfter = -1;
  /** IMAP: a command line ending in `{n}` or `{n+}` is followed by n bytes of literal. */
  readonly #imapLiterals: boolean;
  #literalLeft = 0;
  /** The command read so far, when literals split it. */
  #command = '';

  readonly #reply: (index: number, line: string) => string;

  readonly #sound: (line: string) => SoundAnswer;

  /**
   * @param reply - the text of reply `index` of the protocol's table for a command `line`.
   * @param sound - what a sound server answers to `line`.
   */
  constructor(
    handlers: TransportHandlers,
    greeting: string,
    plan: readonly Act[],
    reply: (index: number, line: string) => string,
    sound: (line: string) => SoundAnswer = () => ({ text: '', hangUp: true }),
  ) {
    this.#handlers = handlers;
    this.#plan = [...plan];
    this.#reply = reply;
    this.#sound = sound;
    this.#imapLiterals = greeting.startsWith('* ');
    this.#send(greeting, 64);
  }

  write(parts: readonly WirePart[]): void {
    if (this.closed) throw new ConnectionClosedError('closed');
    for (const part of parts) {
      this.#line += typeof part === 'string' ? part : part instanceof Secret ? part.reveal() : Buffer.from(part).toString('latin1');
    }
    for (;;) {
      if (this.#literalLeft > 0) {
        // An IMAP literal's bytes belong to the command being sent, whatever they look like.
        const taken = Math.min(this.#literalLeft, this.#line.length);
        this.#command += this.#line.slice(0, taken);
        this.#line = this.#line.slice(taken);
        this.#literalLeft -= taken;
        if (this.#literalLeft > 0) return;
      }
      const end = this.#line.indexOf('\r\n');
      if (end === -1) return;
      const line = this.#line.slice(0, end);
      this.#line = this.#line.slice(end + 2);
      const literal = this.#imapLiterals ? /\{(\d+)(\+)?\}$/.exec(line) : null;
      if (literal !== null) {
        this.#command += `${line}\r\n`;
        this.#literalLeft = Number(literal[1]);
        if (literal[2] === undefined) this.#send('+ go ahead\r\n', 64); // a synchronizing literal waits for this
        continue;
      }
      const command = this.#command + line;
      this.#command = '';
      this.#answer(command);
    }
  }

  drained(): Promise<void> {
    return Promise.resolve();
  }

  upgradeToTls(): Promise<void> {
    return Promise.reject(new ConnectionClosedError('no TLS here'));
  }

  armTimeout(): void {
    // The plan ends with a hang-up, which settles everything; timers would only slow the runs.
  }

  disarmTimeout(): void {
    // See armTimeout.
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#schedule();
  }

  logServer(): void {
    // No wire log.
  }

  close(): Promise<void> {
    this.#end(new ConnectionClosedError('closed by the client'));
    return Promise.resolve();
  }

  destroy(error?: MailwireError): void {
    this.#end(error ?? new ConnectionClosedError('destroyed'));
  }

  /** Hangs up after what is queued (a silent server would only be ended by the command timeout). */
  hangUp(): void {
    this.#queue.push(new Uint8Array(0));
    this.#schedule();
  }

  #answer(line: string): void {
    const step = this.#plan.shift();
    if (step === undefined || step.kind === 'close') {
      this.#queue.push(new Uint8Array(0)); // the hang-up, after what is queued
      this.#schedule();
      return;
    }
    if (step.kind === 'silence') return;
    if (step.kind === 'sound') {
      const answer = this.#sound(line);
      this.#send((step.noise ?? '') + answer.text, step.chunk);
      if (answer.hangUp === true) this.hangUp();
      return;
    }
    const text = this.#reply(step.index, line);
    if (step.thenClose) this.#closeAfter = this.#queue.length + Math.ceil(Buffer.byteLength(text, 'latin1') / step.chunk);
    this.#send(text, step.chunk);
  }

  #send(text: string, chunk: number): void {
    const bytes = Buffer.from(text, 'latin1');
    for (let start = 0; start < bytes.length; start += chunk) this.#queue.push(bytes.subarray(start, start + chunk));
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.closed) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#deliver();
    });
  }

  #deliver(): void {
    if (this.closed || this.#paused) return;
    const next = this.#queue.shift();
    if (next === undefined) return;
    if (next.length === 0) {
      this.#end(new ConnectionClosedError('the server hung up'));
      return;
    }
    try {
      this.#handlers.onData(next);
    } catch (error) {
      this.#end(error instanceof MailwireError ? error : new ConnectionClosedError('the data handler threw', { cause: error }));
      return;
    }
    if (this.#closeAfter !== -1 && --this.#closeAfter <= 0) {
      // The server's last bytes and its hang-up arrive together (a reply, then close).
      this.#end(new ConnectionClosedError('the server hung up'));
      return;
    }
    this.#schedule();
  }

  #end(error: MailwireError): void {
    if (this.closed) return;
    this.closed = true;
    this.#queue = [];
    // As Transport does: onClose at once, before the promises the last data settled run on.
    this.#handlers.onClose(error);
  }
}

/**
 * Collects unhandled promise rejections during each test of the calling file (registers the
 * hooks); returns the list of the current test.
 */
export function trackUnhandledRejections(): () => readonly unknown[] {
  let unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });
  return () => unhandled;
}

/** Calls by name, each with the event-loop turns to wait before it is made. */
export type CallPlan = readonly (readonly [name: string, wait: number])[];

/**
 * Makes the calls at once (each after its number of event-loop turns) with `run`, and returns the
 * failures, each as `name: error`; the sound-server properties expect none.
 */
export async function failuresOf(calls: CallPlan, run: (name: string) => Promise<unknown>): Promise<string[]> {
  const outcomes = await Promise.all(
    calls.map(async ([name, wait]) => {
      await turns(wait);
      return run(name).then(
        () => undefined,
        (error: unknown) => `${name}: ${String(error)}`,
      );
    }),
  );
  return outcomes.filter((outcome) => outcome !== undefined);
}

/**
 * Sound answers to `count` or more commands, cut as `chunks` say (repeated as needed), each
 * preceded by the matching entry of `noise` (repeated too) when given.
 */
export function soundPlan(chunks: readonly number[], count = 100, noise: readonly string[] = []): Act[] {
  return Array.from({ length: Math.max(count, chunks.length) }, (_, index) => ({
    kind: 'sound' as const,
    chunk: chunks[index % chunks.length]!,
    ...(noise.length === 0 ? {} : { noise: noise[index % noise.length]! }),
  }));
}

/**
 * Untagged lines a sound session must shrug off: unreadable responses (framing intact), an alert,
 * a completion for a tag nobody sent, numbers out of range. None names a message the sound server
 * holds (it has 1 and 2).
 */
export const IMAP_NOISE = [
  '',
  '',
  '* 99 FETCH (UID 99 BODYSTRUCTURE ((((((((((((((\r\n',
  '* 98 FETCH (UID 98 ENVELOPE ((("\r\n',
  '* OK [ALERT] maintenance soon\r\n',
  'A999 OK nobody asked\r\n',
  '* 99999999999999999999 EXISTS\r\n',
  ')))))\r\n',
  '* FLAGS (\\Seen\r\n',
] as const;

/** Resolves after `turns` turns of the event loop. */
async function turns(count: number): Promise<void> {
  for (let turn = 0; turn < count; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Starts `connect`, then each call (made with `run`) after its number of event-loop turns, then hangs the server up
 * once they are all made; expects every one to settle within 5 s with a result or a
 * {@link MailwireError}, and `unhandled()` (see {@link trackUnhandledRejections}) to stay empty.
 */
export async function expectAllSettle(
  connection: () => { hangUp(): void } | undefined,
  connect: () => Promise<unknown>,
  calls: CallPlan,
  run: (name: string) => Promise<unknown>,
  unhandled: () => readonly unknown[],
): Promise<void> {
  const settle = (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => 'ok',
      (error: unknown) => error,
    );
  const outcomes = [settle(connect())];
  for (const [name, wait] of calls) {
    await turns(wait);
    outcomes.push(settle(run(name)));
  }
  await turns(20);
  connection()?.hangUp();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise((resolve) => {
    timer = setTimeout(() => {
      resolve('hung');
    }, 5000);
  });
  const settled = await Promise.race([Promise.all(outcomes), hung]);
  clearTimeout(timer);
  expect(settled).not.toBe('hung');
  for (const outcome of settled as unknown[]) {
    if (outcome !== 'ok') expect(outcome).toBeInstanceOf(MailwireError);
  }
  await turns(1);
  expect(unhandled()).toEqual([]);
}
