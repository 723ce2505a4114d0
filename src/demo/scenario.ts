/**
 * The demo's scenario: two devices (A and B) on one account, through the common Mailbox, for each
 * protocol, observing the five behaviours of issue 6. Every observation comes from what a device
 * read from the server, and each row keeps the wire lines that show it.
 *
 * The scenario is deterministic on the client side (fixed message contents for a given run id,
 * fixed order of connections per role), so a recorded run replays exactly.
 *
 * @packageDocumentation
 */
import { Buffer } from 'node:buffer';
import { defaultConnector, type Connection, type Connector } from '../common/connector.js';
import type { Mailbox, MessageId, MessageInfo, WatchEvent } from '../common/mailbox.js';
import type { TransportTlsOptions } from '../common/transport.js';
import { ImapClient } from '../imap/client.js';
import { append } from '../imap/commands/append.js';
import { createMailbox, deleteMailbox } from '../imap/commands/mailboxes.js';
import { search } from '../imap/commands/search.js';
import { store } from '../imap/commands/store.js';
import { uidExpunge } from '../imap/commands/expunge.js';
import type { ImapClientOptions } from '../imap/options.js';
import { openMailbox, type OpenMailboxOptions } from '../open-mailbox.js';

/** The connection roles of a run, each with a connector (and transcript) of its own. */
export type DemoRole = 'setup' | 'a' | 'a-killed' | 'b' | 'b-watch';

/** Where and how a demo run connects. */
export interface DemoTarget {
  /** `imaps://user@host[:port]` (the folder is the demo's own scratch folder). */
  readonly imapUrl: string;
  /** `pop3s://user@host[:port]` for the POP3 part, or undefined to skip it. */
  readonly pop3Url?: string | undefined;
  /** Run the IMAP part (its account is also used to put mail in for the POP3 part). */
  readonly runImap: boolean;
  /** The password of the account. */
  readonly password: string;
  /** TLS settings (a private CA...). */
  readonly tlsOptions?: TransportTlsOptions | undefined;
  /** Allow credentials without TLS (`imap://`, `pop3://` on a test server). */
  readonly allowCleartext?: boolean | undefined;
  /** Login methods (a recording must use replayable ones: IMAP `PLAIN`, POP3 `USER`). */
  readonly imapMethod?: 'auto' | 'PLAIN' | 'LOGIN' | undefined;
  /** POP3 login method. */
  readonly pop3Method?: 'auto' | 'USER' | undefined;
  /** A connector per protocol and role (recording or replaying), or undefined for sockets. */
  readonly connectorFor?: ((protocol: 'imap' | 'pop3', role: DemoRole) => Connector | undefined) | undefined;
  /** Names the scratch folder and tags the messages: the demo touches nothing else. */
  readonly runId: string;
  /** Milliseconds between POP3 watch logins. */
  readonly pollInterval: number;
  /** True when timings are real (not replayed), so they are worth printing. */
  readonly live: boolean;
}

/** One behaviour as both devices observed it. */
export interface DemoRow {
  /** The behaviour, short. */
  readonly behaviour: string;
  /** What device A did and saw. */
  readonly a: string;
  /** What device B saw. */
  readonly b: string;
  /** The wire lines that show it (`A> ` sent by A, `B< ` received by B...). */
  readonly wire: readonly string[];
}

/** The outcome for one protocol. */
export interface DemoReport {
  /** The protocol. */
  readonly protocol: 'imap' | 'pop3';
  /** The URL used (no secret in it). */
  readonly url: string;
  /** The five rows. */
  readonly rows: readonly DemoRow[];
}

/**
 * Taps a device's connections: every line each way, as it crossed the wire (secrets as sent by
 * the clients, i.e. `<redacted>`), so that a row can quote the lines that show its observation.
 */
class WireTap {
  readonly #lines: { readonly direction: 'client' | 'server'; readonly text: string }[] = [];
  readonly #who: string;
  #mark = 0;

  constructor(who: string) {
    this.#who = who;
  }

  /** Wraps a connector (undefined: real sockets) so that its connections are tapped. */
  wrap(inner: Connector | undefined): Connector {
    const base = inner ?? defaultConnector;
    return async (options, handlers) => {
      const server = this.#splitter('server');
      const client = this.#splitter('client');
      const connection = await base(options, {
        onData: (chunk) => {
          server(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1'));
          handlers.onData(chunk);
        },
        onClose: (error) => {
          handlers.onClose(error);
        },
      });
      const tapped: Connection = {
        get secure() {
          return connection.secure;
        },
        get closed() {
          return connection.closed;
        },
        get logging() {
          return connection.logging;
        },
        write: (parts) => {
          client(parts.map((part) => (typeof part === 'string' ? part : part instanceof Uint8Array ? Buffer.from(part).toString('latin1') : '<redacted>')).join(''));
          connection.write(parts);
        },
        drained: () => connection.drained(),
        upgradeToTls: (tlsOptions) => connection.upgradeToTls(tlsOptions),
        armTimeout: (phase, ms) => {
          connection.armTimeout(phase, ms);
        },
        disarmTimeout: () => {
          connection.disarmTimeout();
        },
        pause: () => {
          connection.pause();
        },
        resume: () => {
          connection.resume();
        },
        logServer: (text) => {
          connection.logServer(text);
        },
        close: () => connection.close(),
        destroy: (error) => {
          connection.destroy(error);
        },
      };
      return tapped;
    };
  }

  #splitter(direction: 'client' | 'server'): (text: string) => void {
    let partial = '';
    return (text) => {
      const pieces = (partial + text).split('\r\n');
      partial = pieces.pop() ?? '';
      for (const line of pieces) this.#lines.push({ direction, text: line });
    };
  }

  /** Starts a new step: `find` looks only at what comes after. */
  mark(): void {
    this.#mark = this.#lines.length;
  }

  /** The first line since the mark matching `pattern`, formatted `A> text` (sent) / `A< text` (received). */
  find(direction: 'client' | 'server', pattern: RegExp): string | undefined {
    for (const line of this.#lines.slice(this.#mark)) {
      if (line.direction !== direction) continue;
      const text = direction === 'client' ? line.text.replace(/^A\d+ /, '') : line.text;
      if (pattern.test(text)) return `${this.#who}${direction === 'client' ? '>' : '<'} ${text}`;
    }
    return undefined;
  }
}

const SUBJECTS = ['Invoice 2026-11', 'Team newsletter', 'Meeting notes', 'New: build finished'];

/** The demo's messages: fixed bytes for a run id (the fourth is large, to be cut mid-transfer). */
export function demoMessage(runId: string, index: number): string {
  const subject = SUBJECTS[index] ?? `Message ${index + 1}`;
  const lines = [
    'From: mailwire demo <demo@mailwire.invalid>',
    'To: you <you@mailwire.invalid>',
    `Subject: [mailwire demo] ${subject}`,
    'Date: Fri, 27 Nov 2026 12:00:00 +0000',
    `Message-ID: <m${index + 1}.${runId}@mailwire.invalid>`,
    `X-Mailwire-Demo: ${runId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `This is demo message ${index + 1} of run ${runId}. The demo removes it when it ends.`,
  ];
  if (index === 3) for (let line = 0; line < 600; line++) lines.push(`Line ${String(line).padStart(4, '0')} of a long message, long enough to cross several reads.`);
  return `${lines.join('\r\n')}\r\n`;
}

/** Runs the scenario for each protocol asked for. */
export async function runDemo(target: DemoTarget): Promise<DemoReport[]> {
  const reports: DemoReport[] = [];
  if (target.runImap) reports.push(await runImap(target));
  if (target.pop3Url !== undefined) reports.push(await runPop3(target, target.pop3Url));
  return reports;
}

function imapSetupOptions(target: DemoTarget, protocol: 'imap' | 'pop3'): ImapClientOptions {
  const url = new URL(target.imapUrl);
  const implicit = url.protocol === 'imaps:';
  const connector = target.connectorFor?.(protocol, 'setup');
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (implicit ? 993 : 143) : Number(url.port),
    tls: implicit ? 'implicit' : 'starttls',
    ...(target.tlsOptions === undefined ? {} : { tlsOptions: target.tlsOptions }),
    ...(target.allowCleartext === true ? { allowCleartext: true } : {}),
    ...(connector === undefined ? {} : { connector }),
    auth: { username: decodeURIComponent(url.username), password: target.password, method: target.imapMethod ?? 'auto' },
  };
}

function mailboxOptions(target: DemoTarget, protocol: 'imap' | 'pop3', role: 'a' | 'a-killed' | 'b', tap: WireTap, extra: OpenMailboxOptions = {}): OpenMailboxOptions {
  const method = protocol === 'imap' ? target.imapMethod : target.pop3Method;
  return {
    password: target.password,
    ...(target.tlsOptions === undefined ? {} : { tlsOptions: target.tlsOptions }),
    ...(target.allowCleartext === true ? { allowCleartext: true } : {}),
    connector: tap.wrap(target.connectorFor?.(protocol, role)),
    watchConnector: tap.wrap(target.connectorFor?.(protocol, role === 'b' ? 'b-watch' : role)),
    ...(method === undefined ? {} : { method }),
    ...extra,
  };
}

/** The URL with another path, for IMAP's scratch folder (the user part kept as written). */
function withFolder(url: string, folder: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.username}@${parsed.host}/${encodeURIComponent(folder)}`;
}

function mark(...taps: WireTap[]): void {
  for (const tap of taps) tap.mark();
}

function wire(...lines: (string | undefined)[]): string[] {
  return lines.map((line) => line ?? '(expected line not seen on the wire)');
}

function flagsText(info: MessageInfo | undefined): string {
  if (info === undefined) return 'absent';
  return (info.flags ?? []).includes('\\Seen') ? 'read (\\Seen)' : 'unread';
}

/** B's (or A's) line of a UIDL listing naming this message: proof it was listed. */
function uidlLine(tap: WireTap, id: MessageId): string | undefined {
  const uidl = id.protocol === 'pop3' ? id.uidl : '';
  return tap.find('server', new RegExp(`^\\d+ ${uidl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
}

function find(list: readonly MessageInfo[], id: MessageId | undefined): MessageInfo | undefined {
  return id === undefined ? undefined : list.find((info) => info.id.key === id.key);
}

function ms(target: DemoTarget, start: number): string {
  return target.live ? ` after ${Math.round(performance.now() - start)} ms` : '';
}

async function nextEvent(watch: AsyncIterator<WatchEvent>, wanted: (event: WatchEvent) => boolean, seen: WatchEvent[]): Promise<WatchEvent> {
  for (;;) {
    const result = await watch.next();
    if (result.done === true) throw new Error('the watch ended before the expected event');
    seen.push(result.value);
    if (wanted(result.value)) return result.value;
  }
}

async function runImap(target: DemoTarget): Promise<DemoReport> {
  const folder = `mailwire-demo-${target.runId}`;
  const url = withFolder(target.imapUrl, folder);
  const setup = await ImapClient.connect(imapSetupOptions(target, 'imap'));
  const rows: DemoRow[] = [];
  try {
    await createMailbox(setup, folder);
    for (let index = 0; index < 3; index++) await append(setup, folder, demoMessage(target.runId, index));
    const tapA = new WireTap('A');
    const tapB = new WireTap('B');
    const a = await openMailbox(url, mailboxOptions(target, 'imap', 'a', tapA));
    const b = await openMailbox(url, mailboxOptions(target, 'imap', 'b', tapB));
    try {
      const [m1, m2, m3] = (await a.list()).map((info) => info.id);

      // 1 and 2: A picks m1 up; B still has it, and sees A's read state.
      mark(tapA, tapB);
      const bytes = (await (await a.retrieve(m1!)).bytes()).length;
      const bList = await b.list();
      rows.push({
        behaviour: '1. Picking mail up',
        a: `retrieve(m1): ${bytes} bytes read; the message stays on the server`,
        b: `list(): ${bList.length} messages, m1 ${find(bList, m1) === undefined ? 'GONE' : 'still there'}`,
        wire: wire(tapA.find('client', /BODY\[\]/), tapB.find('server', /^\* 1 FETCH \(UID 1 /)),
      });
      rows.push({
        behaviour: '2. Same mailbox on every device',
        a: 'read m1 (BODY[] sets \\Seen on the server)',
        b: `m1 is ${flagsText(find(bList, m1))}: A's read state is shared`,
        wire: wire(tapA.find('server', /FLAGS \([^)]*\\Seen/), tapB.find('server', /^\* 1 FETCH \(UID 1 .*\\Seen/)),
      });

      // 3: headers first, without \Seen.
      mark(tapA, tapB);
      const subjects: string[] = [];
      for await (const summary of a.headers([m2!, m3!])) subjects.push(summary.subject ?? '');
      const bAfter = await b.list();
      rows.push({
        behaviour: '3. Headers first, body on opening',
        a: `headers(m2, m3): ${subjects.map((subject) => `"${subject.replace('[mailwire demo] ', '')}"`).join(', ')}`,
        b: `m2 ${flagsText(find(bAfter, m2))}, m3 ${flagsText(find(bAfter, m3))}: reading headers marks nothing`,
        wire: wire(tapA.find('client', /BODY\.PEEK\[HEADER\]/), tapB.find('server', /^\* 2 FETCH/)),
      });

      // 4: B watches; new mail arrives by itself (IDLE).
      mark(tapA, tapB);
      const watch = b.watch();
      await watch.ready;
      const appended = await append(setup, folder, demoMessage(target.runId, 3));
      const start = performance.now();
      const events: WatchEvent[] = [];
      const arrived = await nextEvent(watch, (event) => event.kind === 'new', events);
      const told = ms(target, start);
      const aList = await a.list();
      rows.push({
        behaviour: '4. New mail arrives by itself',
        a: `(mail delivered: m4, UID ${appended?.uid ?? '?'}); A's open session lists ${aList.length} messages, no new login`,
        b: `watch(): "${arrived.kind}" ${arrived.kind === 'new' ? `UID ${(arrived.id as { uid: number }).uid}` : ''} pushed by IDLE${told}`,
        wire: wire(tapB.find('client', /^IDLE$/), tapB.find('server', /^\* 4 EXISTS/)),
      });

      // 5: A deletes m3; B is told at once.
      mark(tapA, tapB);
      await a.delete([m3!]);
      const deletedAt = performance.now();
      const removed = await nextEvent(watch, (event) => event.kind === 'removed', events);
      const removedAfter = ms(target, deletedAt);
      await watch.return();
      const bFinal = await b.list();
      rows.push({
        behaviour: '5. Deleting',
        a: 'delete(m3): \\Deleted + UID EXPUNGE of m3 only, at once',
        b: `watch(): "${removed.kind}" m3${removedAfter}; list(): m3 ${find(bFinal, m3) === undefined ? 'gone everywhere' : 'STILL THERE'}`,
        wire: wire(tapA.find('client', /UID EXPUNGE/), tapB.find('server', /^\* 3 EXPUNGE|VANISHED/)),
      });
    } finally {
      await a.close();
      await b.close();
    }
  } finally {
    await deleteMailbox(setup, folder).catch(() => undefined);
    await setup.logout();
  }
  return { protocol: 'imap', url, rows };
}

async function runPop3(target: DemoTarget, pop3Url: string): Promise<DemoReport> {
  const setup = await ImapClient.connect(imapSetupOptions(target, 'pop3'));
  const rows: DemoRow[] = [];
  const tapA = new WireTap('A');
  const tapB = new WireTap('B');
  const openA = (extra: OpenMailboxOptions = {}): Promise<Mailbox> => openMailbox(pop3Url, mailboxOptions(target, 'pop3', 'a', tapA, extra));
  const openB = (): Promise<Mailbox> => openMailbox(pop3Url, mailboxOptions(target, 'pop3', 'b', tapB));
  const listB = async (): Promise<MessageInfo[]> => {
    const b = await openB();
    try {
      return await b.list();
    } finally {
      await b.close();
    }
  };
  try {
    // POP3 cannot put mail in: the demo appends through the IMAP side of the same account.
    await setup.select('INBOX');
    for (let index = 0; index < 3; index++) await append(setup, 'INBOX', demoMessage(target.runId, index));

    // 3 first (it is how A finds the demo's messages among the account's other mail): TOP n 0.
    mark(tapA, tapB);
    const a1 = await openA();
    const recent = (await a1.list()).slice(-10).map((info) => info.id);
    const ids = new Map<string, MessageId>();
    const subjects: string[] = [];
    for await (const summary of a1.headers(recent)) {
      const match = /^<m(\d)\.(.+)@mailwire\.invalid>$/.exec(summary.messageId ?? '');
      if (match?.[2] !== target.runId) continue;
      ids.set(`m${match[1]}`, summary.id);
      subjects.push(summary.subject?.replace('[mailwire demo] ', '') ?? '');
    }
    const [m1, m2, m3] = [ids.get('m1'), ids.get('m2'), ids.get('m3')];
    if (m1 === undefined || m2 === undefined || m3 === undefined) throw new Error('the demo messages were not found in the POP3 maildrop');
    const b1 = await openB();
    const b1List = await b1.list();
    rows.push({
      behaviour: '3. Headers first, body on opening',
      a: `headers(): ${subjects.map((subject) => `"${subject}"`).join(', ')} (TOP n 0: ${a1.traits.headerFetch})`,
      b: `list(): m1..m3 all there, ${find(b1List, m3)?.size ?? '?'} bytes for m3: nothing changed`,
      wire: wire(tapA.find('client', /^TOP \d+ 0$/), uidlLine(tapB, m3)),
    });

    // 1: A picks m1 up and closes; B logs in again: gone.
    mark(tapA, tapB);
    const bytes = (await (await a1.retrieve(m1)).bytes()).length;
    const closeA1 = await a1.close();
    const b1Still = find(await b1.list(), m1) !== undefined;
    await b1.close();
    const b2List = await listB();
    rows.push({
      behaviour: '1. Picking mail up',
      a: `retrieve(m1): ${bytes} bytes, then DELE; close(): ${closeA1.deletionsCommitted === undefined ? 'commit unknown' : closeA1.deletionsCommitted ? 'committed' : 'NOT committed'}`,
      b: `new login: m1 ${find(b2List, m1) === undefined ? 'is gone from the server' : 'STILL THERE'}${b1Still ? ' (B\'s older session still listed it)' : ''}`,
      wire: wire(tapA.find('client', /^DELE \d+$/), tapA.find('client', /^QUIT$/)),
    });

    // 2: A reads m2 leaving it on the server; B cannot know.
    mark(tapA, tapB);
    const a2 = await openA({ leaveOnServer: true });
    await (await a2.retrieve(m2)).bytes();
    await a2.close();
    const b3 = await openB();
    const b3List = await b3.list();
    rows.push({
      behaviour: '2. Same mailbox on every device',
      a: 'read m2 with leave-on-server: RETR only',
      b: `m2 ${find(b3List, m2) === undefined ? 'GONE' : 'is there'}, with no read state: POP3 has no flags to share`,
      wire: wire(tapA.find('client', /^RETR \d+$/), uidlLine(tapB, m2)),
    });

    // 4: new mail: B's session is a snapshot; its watch logs in again.
    mark(tapA, tapB);
    const watch = b3.watch({ interval: target.pollInterval });
    await watch.ready;
    await append(setup, 'INBOX', demoMessage(target.runId, 3));
    const start = performance.now();
    const events: WatchEvent[] = [];
    const arrived = await nextEvent(watch, (event) => event.kind === 'new', events);
    const told = ms(target, start);
    await watch.return();
    const m4 = arrived.id;
    const snapshotHasIt = find(await b3.list(), m4) !== undefined;
    const pollLine = uidlLine(tapB, m4);
    await b3.close();
    rows.push({
      behaviour: '4. New mail arrives by itself',
      a: '(mail delivered: m4, appended through IMAP)',
      b: `open session: m4 ${snapshotHasIt ? 'LISTED' : 'not listed (snapshot at login)'}; watch(): "new" on the next login${told}`,
      wire: wire(tapB.find('client', /^UIDL$/), pollLine),
    });

    // 5: A deletes m3: invisible until A's clean close. Then a session killed mid-RETR: nothing.
    mark(tapA, tapB);
    const a4 = await openA();
    await a4.delete([m3]);
    const beforeClose = find(await listB(), m3) !== undefined;
    await a4.close();
    const afterClose = find(await listB(), m3) !== undefined;
    const controller = new AbortController();
    const killed = await openMailbox(pop3Url, mailboxOptions(target, 'pop3', 'a-killed', tapA, { signal: controller.signal }));
    const content = await killed.retrieve(m4);
    let received = 0;
    try {
      for await (const chunk of content) {
        received += chunk.length;
        controller.abort(); // the connection drops in the middle of the message
      }
    } catch {
      // expected: the body ends with the connection's error
    }
    await killed.close();
    const m4Survived = find(await listB(), m4) !== undefined;
    rows.push({
      behaviour: '5. Deleting',
      a: `delete(m3): DELE, pending; close(): committed. Then RETR m4 killed after ${received} bytes`,
      b: `m3 ${beforeClose ? 'still there' : 'GONE'} before A's QUIT, ${afterClose ? 'STILL THERE' : 'gone'} after; m4 ${m4Survived ? 'kept: nothing lost' : 'LOST'}`,
      wire: wire(tapA.find('client', /^DELE \d+$/), tapA.find('client', /^RETR \d+$/)),
    });
  } finally {
    // Remove whatever is left of the demo's messages (only them: found by their header).
    const left = await search(setup, { header: { 'X-Mailwire-Demo': target.runId } }).catch(() => []);
    if (left.length > 0) {
      await store(setup, left, 'add', ['\\Deleted'], { silent: true });
      await uidExpunge(setup, left);
    }
    await setup.logout();
  }
  return { protocol: 'pop3', url: pop3Url, rows: [...rows].sort((x, y) => x.behaviour.localeCompare(y.behaviour)) };
}
