// Seeding helpers for the throwaway Dovecot started by test/integration/global-setup.ts
// (scripts/dovecot.mjs). Messages go straight into a user's Maildir or through `doveadm save`;
// every helper returns the exact bytes it wrote so that tests can compare byte for byte.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { chown, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { inject } from 'vitest';

export interface DovecotUser {
  readonly username: string;
  readonly password: string;
  readonly home: string;
  readonly maildir: string;
}

/** What scripts/dovecot.mjs writes to mailwire-dovecot.json and the global setup provides. */
export interface DovecotFacts {
  readonly version: 1;
  readonly dovecotVersion: string;
  readonly host: string;
  /** Name the certificate is issued for (it also carries IP SANs 127.0.0.1 and ::1). */
  readonly servername: string;
  readonly ports: { readonly imap: number; readonly imaps: number; readonly pop3: number; readonly pop3s: number };
  readonly users: Readonly<Record<'alice' | 'bob' | 'carol', DovecotUser>>;
  /** Hierarchy separator of the INBOX namespace. */
  readonly separator: string;
  /** Mailbox name -> SPECIAL-USE flag, e.g. Sent -> \Sent (all auto-created and subscribed). */
  readonly specialUse: Readonly<Record<string, string>>;
  readonly quotaStorageKiB: number;
  /** PEM of the CA that signed the server certificate, and its path. */
  readonly ca: string;
  readonly caPath: string;
  readonly dir: string;
  readonly configPath: string;
  readonly logPath: string;
  readonly passwdPath: string;
  readonly factsPath: string;
  readonly pid: number;
  readonly mailUid: number;
  readonly mailGid: number;
  readonly binaries: { readonly dovecot: string; readonly doveadm: string };
}

export type UserName = keyof DovecotFacts['users'];

declare module 'vitest' {
  export interface ProvidedContext {
    dovecot: DovecotFacts;
  }
}

let cachedFacts: DovecotFacts | undefined;

/** The running server's facts: from vitest's inject(), or from the JSON file named by
 *  MAILWIRE_DOVECOT_ENV (e.g. `node scripts/dovecot.mjs start` wrote .tmp/dovecot/env.json). */
export function dovecot(): DovecotFacts {
  if (cachedFacts) return cachedFacts;
  let facts: DovecotFacts | undefined;
  try {
    facts = inject('dovecot');
  } catch {
    facts = undefined;
  }
  if (facts === undefined) {
    const file = process.env.MAILWIRE_DOVECOT_ENV;
    if (!file) {
      throw new Error('No Dovecot: run through the integration project (its globalSetup starts one) or set MAILWIRE_DOVECOT_ENV');
    }
    facts = JSON.parse(readFileSync(file, 'utf8')) as DovecotFacts;
  }
  cachedFacts = facts;
  return facts;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** As root, hands a path we created to the mail uid so Dovecot can rename/expunge/flag it. */
async function giveToMailUser(target: string): Promise<void> {
  if (isRoot()) {
    const facts = dovecot();
    await chown(target, facts.mailUid, facts.mailGid);
  }
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `doveadm -c CONF ...args`, with optional stdin; rejects with doveadm's output on failure. */
export function doveadm(args: readonly string[], input?: Uint8Array | string): Promise<CommandResult> {
  const facts = dovecot();
  return new Promise((resolve, reject) => {
    const child = spawn(facts.binaries.doveadm, ['-c', facts.configPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const result = { stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
      if (code === 0) resolve(result);
      else reject(new Error(`doveadm ${args.join(' ')} failed (${code ?? signal ?? '?'}): ${result.stderr}${result.stdout}`));
    });
    child.stdin.end(input === undefined ? undefined : input);
  });
}

/** Filesystem folder of a mailbox (Maildir++ layout: INBOX is the root, "A/B" is ".A.B"). */
export function mailboxDir(user: UserName, mailbox = 'INBOX'): string {
  const facts = dovecot();
  const root = facts.users[user].maildir;
  if (mailbox.toUpperCase() === 'INBOX') return root;
  return path.join(root, `.${mailbox.split(facts.separator).join('.')}`);
}

async function ensureMaildir(user: UserName, mailbox: string): Promise<string> {
  const dir = mailboxDir(user, mailbox);
  const root = dovecot().users[user].maildir;
  for (const folder of [root, dir]) {
    await mkdir(folder, { recursive: true });
    await giveToMailUser(folder);
    for (const sub of ['cur', 'new', 'tmp']) {
      await mkdir(path.join(folder, sub), { recursive: true });
      await giveToMailUser(path.join(folder, sub));
    }
  }
  if (dir !== root) {
    const marker = path.join(dir, 'maildirfolder');
    await writeFile(marker, '');
    await giveToMailUser(marker);
  }
  return dir;
}

let deliveryCounter = 0;

/** A unique Maildir base name (the de-facto "time.MusecPpidQn.host" form, with the S= size). */
function uniqueName(size: number): string {
  const now = Date.now();
  deliveryCounter++;
  const micros = (now % 1000) * 1000;
  // Dovecot gives new files their UIDs in name order: the seconds and microseconds compared as
  // numbers, then the rest of the name as text. Deliveries within one millisecond are told apart by
  // the counter, so it is zero-padded (Q10 would otherwise sort before Q9, and UIDs come out of
  // delivery order).
  const counter = String(deliveryCounter).padStart(10, '0');
  return `${Math.floor(now / 1000)}.M${String(micros).padStart(6, '0')}P${process.pid}Q${counter}R${randomBytes(4).toString('hex')}.mailwire,S=${size}`;
}

export interface DeliverOptions {
  /** Target mailbox, default INBOX; created in the Maildir if missing. */
  readonly mailbox?: string;
  /** Maildir flag letters in ASCII order (e.g. "FS": flagged, seen): the message goes to cur/ with ":2,FLAGS".
   *  Without flags it goes to new/ (and is \Recent). */
  readonly flags?: string;
}

export interface DeliveredMessage {
  /** Exactly the bytes written to the file. */
  readonly bytes: Uint8Array;
  readonly path: string;
}

function toBytes(message: Uint8Array | string): Uint8Array {
  return typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
}

/** Writes a message straight into a user's Maildir (tmp/ then rename, as a delivery agent does). */
export async function deliver(user: UserName, message: Uint8Array | string, options: DeliverOptions = {}): Promise<DeliveredMessage> {
  const bytes = toBytes(message);
  const dir = await ensureMaildir(user, options.mailbox ?? 'INBOX');
  const name = uniqueName(bytes.byteLength);
  const tmpPath = path.join(dir, 'tmp', name);
  await writeFile(tmpPath, bytes);
  await giveToMailUser(tmpPath);
  const finalPath = options.flags === undefined
    ? path.join(dir, 'new', name)
    : path.join(dir, 'cur', `${name}:2,${options.flags}`);
  await rename(tmpPath, finalPath);
  return { bytes, path: finalPath };
}

/** Saves a message with `doveadm save` (Dovecot assigns the UID at once; quota applies). Dovecot
 *  stores CRLF as LF on disk and sends CRLF on the wire, so CRLF input comes back unchanged. */
export async function saveWithDoveadm(user: UserName, message: Uint8Array | string, mailbox = 'INBOX'): Promise<Uint8Array> {
  const bytes = toBytes(message);
  await doveadm(['save', '-u', user, '-m', mailbox], bytes);
  return bytes;
}

/** Drops every mailbox and message of a user and closes the user's sessions; the special-use
 *  folders come back (auto = subscribe) and UIDVALIDITY changes. */
export async function resetUser(user: UserName): Promise<void> {
  const facts = dovecot();
  // kick exits 68 ("no users kicked") when nobody is logged in. The kicked processes exit a moment
  // later; wait for them so none writes index files into the folder being removed.
  await doveadm(['kick', user]).catch(() => undefined);
  for (let waited = 0; waited < 3000; waited += 50) {
    const who = await doveadm(['who', user]).catch(() => ({ stdout: '' }));
    if (!who.stdout.split('\n').slice(1).some((line) => line.startsWith(`${user} `))) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await rm(facts.users[user].maildir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  await ensureMaildir(user, 'INBOX');
  await doveadm(['force-resync', '-u', user, 'INBOX']);
  await doveadm(['mailbox', 'list', '-u', user]); // creates the auto folders now, not mid-test
}

// ---------------------------------------------------------------------------------------------
// Sample messages. All use CRLF line ends (except where a sample is about its end) and fixed
// headers, so they are the same bytes on every run.

export interface MessageParts {
  readonly subject: string; // written as is: pass an encoded word for non-ASCII
  readonly from?: string;
  readonly to?: string;
  readonly date?: string;
  readonly messageId?: string;
  readonly headers?: readonly string[]; // extra "Name: value" lines
  readonly body: string | Uint8Array;
}

let messageIdCounter = 0;

/** RFC 5322 message bytes: headers, a blank line, then the body exactly as given. */
export function buildMessage(parts: MessageParts): Uint8Array {
  messageIdCounter++;
  const header = [
    `From: ${parts.from ?? 'Sender <sender@mailwire.test>'}`,
    `To: ${parts.to ?? 'Alice <alice@mailwire.test>'}`,
    `Subject: ${parts.subject}`,
    `Date: ${parts.date ?? 'Fri, 27 Nov 2026 10:00:00 +0000'}`,
    `Message-ID: ${parts.messageId ?? `<sample.${messageIdCounter}.${process.pid}@mailwire.test>`}`,
    'MIME-Version: 1.0',
    ...(parts.headers ?? []),
  ].join('\r\n');
  return Buffer.concat([Buffer.from(`${header}\r\n\r\n`, 'utf8'), toBytes(parts.body)]);
}

export interface SampleMessage {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** The Subject as a reader sees it (encoded words decoded). */
  readonly subject: string;
}

/** 8-bit body: raw UTF-8 bytes with Content-Transfer-Encoding: 8bit. */
export function eightBitMessage(): SampleMessage {
  const subject = 'Eight-bit body';
  return {
    name: 'eight-bit',
    subject,
    bytes: buildMessage({
      subject,
      headers: ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit'],
      body: 'Gr\u00fc\u00dfe aus K\u00f6ln.\r\n\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u2014 \u{1f389}\r\nna\u00efve caf\u00e9 \u00e5\u00e6\u00f8\r\n',
    }),
  };
}

/** Lines that begin with a dot, and a line that is only "." (POP3 must dot-stuff them). */
export function dotLinesMessage(): SampleMessage {
  const subject = 'Lines starting with dots';
  return {
    name: 'dot-lines',
    subject,
    bytes: buildMessage({
      subject,
      headers: ['Content-Type: text/plain; charset=us-ascii'],
      body: '.leading dot\r\n..two dots\r\n.\r\nafter the lone dot\r\n. dot space\r\n...\r\nlast\r\n',
    }),
  };
}

/** The body's last line has no CRLF (POP3 servers add one before the terminator). */
export function noFinalCrlfMessage(): SampleMessage {
  const subject = 'No final CRLF';
  return {
    name: 'no-final-crlf',
    subject,
    bytes: buildMessage({ subject, headers: ['Content-Type: text/plain; charset=us-ascii'], body: 'first line\r\nlast line without CRLF' }),
  };
}

/** RFC 2047 encoded-word subjects: UTF-8 B and Q, ISO-8859-1 Q, and two words folded over lines. */
export function encodedWordMessages(): SampleMessage[] {
  const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
  const samples: { name: string; raw: string; subject: string }[] = [
    { name: 'subject-utf8-b', raw: `=?UTF-8?B?${b64('Gr\u00fc\u00dfe aus K\u00f6ln \u2013 \u2713')}?=`, subject: 'Gr\u00fc\u00dfe aus K\u00f6ln \u2013 \u2713' },
    { name: 'subject-utf8-q', raw: '=?UTF-8?Q?Caf=C3=A9_cr=C3=A8me_br=C3=BBl=C3=A9e?=', subject: 'Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e' },
    { name: 'subject-latin1-q', raw: '=?ISO-8859-1?Q?Gr=FC=DFe_aus_M=FCnchen?=', subject: 'Gr\u00fc\u00dfe aus M\u00fcnchen' },
    {
      name: 'subject-folded-words',
      raw: `=?UTF-8?B?${b64('\u65e5\u672c\u8a9e\u306e')}?=\r\n =?UTF-8?B?${b64('\u4ef6\u540d')}?= plain tail`,
      subject: '\u65e5\u672c\u8a9e\u306e\u4ef6\u540d plain tail',
    },
  ];
  return samples.map(({ name, raw, subject }) => ({
    name,
    subject,
    bytes: buildMessage({ subject: raw, headers: ['Content-Type: text/plain; charset=us-ascii'], body: `${name}\r\n` }),
  }));
}

export interface MultipartSample extends SampleMessage {
  readonly attachment: Uint8Array;
  readonly attachmentName: string;
  readonly text: string;
}

/** multipart/mixed: a text part and a base64 attachment holding every byte value. */
export function multipartMessage(attachmentSize = 3000): MultipartSample {
  const attachment = Buffer.alloc(attachmentSize);
  for (let i = 0; i < attachmentSize; i++) attachment[i] = (i * 7 + (i >> 8)) & 0xff;
  const base64Lines = attachment.toString('base64').match(/.{1,76}/g) ?? [];
  const boundary = '=_mailwire_boundary_42';
  const text = 'See the attachment.\r\n';
  const subject = 'Multipart with attachment';
  const body = [
    'This is a multi-part message in MIME format.',
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Transfer-Encoding: 7bit',
    '',
    text.slice(0, -2),
    `--${boundary}`,
    'Content-Type: application/octet-stream; name="data.bin"',
    'Content-Transfer-Encoding: base64',
    'Content-Disposition: attachment; filename="data.bin"',
    '',
    ...base64Lines,
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return {
    name: 'multipart',
    subject,
    text,
    attachment,
    attachmentName: 'data.bin',
    bytes: buildMessage({ subject, headers: [`Content-Type: multipart/mixed; boundary="${boundary}"`], body }),
  };
}

/** Every small sample, in a fixed order. */
export function sampleMessages(): SampleMessage[] {
  return [eightBitMessage(), dotLinesMessage(), noFinalCrlfMessage(), ...encodedWordMessages(), multipartMessage()];
}

const LARGE_LINE = 78; // characters before CRLF

/**
 * The bytes of a large message of exactly `size` bytes, in chunks of about 64 KiB: a header and
 * numbered ASCII lines. Deterministic, so a test can regenerate and hash it.
 */
export function* largeMessageChunks(size: number, subject = `Large message of ${size} bytes`): Generator<Uint8Array> {
  const header = Buffer.from(buildMessage({ subject, headers: ['Content-Type: text/plain; charset=us-ascii'], body: '' }));
  if (size < header.length + 2) throw new RangeError(`size ${size} is smaller than the header (${header.length + 2} bytes)`);
  yield header;
  let remaining = size - header.length;
  let lineNumber = 0;
  let pending: string[] = [];
  let pendingLength = 0;
  while (remaining > 0) {
    let lineLength = Math.min(LARGE_LINE + 2, remaining);
    if (remaining - lineLength === 1) lineLength -= 1; // never leave a single byte: it could not end in CRLF
    const prefix = `${String(lineNumber++).padStart(8, '0')} `;
    const fill = lineLength - 2;
    const content = (prefix + 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.repeat(2)).slice(0, fill).padEnd(fill, '.');
    pending.push(`${content}\r\n`);
    pendingLength += lineLength;
    remaining -= lineLength;
    if (pendingLength >= 65_536) {
      yield Buffer.from(pending.join(''), 'latin1');
      pending = [];
      pendingLength = 0;
    }
  }
  if (pending.length > 0) yield Buffer.from(pending.join(''), 'latin1');
}

export interface LargeDelivery {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/** Streams a message of `megabytes` MiB (or `bytes` exactly) into a user's Maildir; returns its hash. */
export async function deliverLargeMessage(user: UserName, size: { megabytes: number } | { bytes: number }, options: DeliverOptions = {}): Promise<LargeDelivery> {
  const total = 'bytes' in size ? size.bytes : Math.round(size.megabytes * 1024 * 1024);
  const dir = await ensureMaildir(user, options.mailbox ?? 'INBOX');
  const name = uniqueName(total);
  const tmpPath = path.join(dir, 'tmp', name);
  const hash = createHash('sha256');
  const out = createWriteStream(tmpPath);
  try {
    for (const chunk of largeMessageChunks(total)) {
      hash.update(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  await giveToMailUser(tmpPath);
  const finalPath = options.flags === undefined ? path.join(dir, 'new', name) : path.join(dir, 'cur', `${name}:2,${options.flags}`);
  await rename(tmpPath, finalPath);
  return { path: finalPath, size: total, sha256: hash.digest('hex') };
}

/** sha256 hex of some bytes, for comparing large bodies. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

