/**
 * Seeding for bench/imap.ts: Maildir files written straight into the bench user's folders (fast:
 * no IMAP, no LDA), then one `doveadm` pass so that Dovecot indexes them before anything is timed.
 *
 * - INBOX: 10,000 messages with realistic headers (~2.4 KB: Received chains, DKIM, lists, some
 *   RFC 2047 subjects) and small bodies; a third \Seen, a tenth \Flagged.
 * - Bodies: 1,000 messages of exactly 100 KB.
 * - Large: one message of exactly 100 MiB.
 *
 * A marker file (`mailwire-bench.json` in the Maildir) lets a later run on the same server skip
 * the seeding; delete it (or the user's Maildir) to seed afresh.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/** The parts of the Dovecot facts file the seeding needs. */
export interface SeedFacts {
  readonly configPath: string;
  readonly mailUid: number;
  readonly mailGid: number;
  readonly binaries: { readonly doveadm: string };
  readonly users: Readonly<Record<string, { readonly username: string; readonly maildir: string }>>;
}

/** What was seeded, for verifying every run. */
export interface Seeded {
  readonly headerMessages: number;
  /** Sum of the header sections (through the blank line): what BODY[HEADER] returns. */
  readonly headerBytes: number;
  readonly bodyMessages: number;
  readonly bodyBytes: number;
  readonly largeBytes: number;
}

const isRoot = (): boolean => process.getuid?.() === 0;

function own(facts: SeedFacts, target: string): void {
  if (isRoot()) chownSync(target, facts.mailUid, facts.mailGid);
}

function makeFolder(facts: SeedFacts, dir: string, isSubfolder: boolean): void {
  for (const folder of [dir, ...['cur', 'new', 'tmp'].map((sub) => path.join(dir, sub))]) {
    mkdirSync(folder, { recursive: true });
    own(facts, folder);
  }
  if (isSubfolder) {
    writeFileSync(path.join(dir, 'maildirfolder'), '');
    own(facts, path.join(dir, 'maildirfolder'));
  }
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** A message with a header section of about 2.4 KB, the shape of real list mail. */
export function headerHeavyMessage(index: number): { bytes: Buffer; headerLength: number } {
  const minute = String(index % 60).padStart(2, '0');
  const relay = (hop: number): string =>
    `Received: from relay${hop}.example.net (relay${hop}.example.net [198.51.100.${(index + hop) % 250}])\r\n` +
    `\tby mx${hop}.mailwire.test (Postfix) with ESMTPS id ${(index * 7919 + hop).toString(16).toUpperCase()}4F2\r\n` +
    `\tfor <alice@mailwire.test>; Fri, 27 Nov 2026 10:${minute}:${String(hop * 7).padStart(2, '0')} +0000 (UTC)\r\n`;
  const signature = Buffer.from(`signature-${index}-`.repeat(20)).toString('base64').slice(0, 344);
  const subject =
    index % 5 === 0
      ? `=?UTF-8?B?${b64(`Grüße aus Köln – Nachricht ${index}`)}?=`
      : index % 7 === 0
        ? `=?ISO-8859-1?Q?R=E9sum=E9_of_meeting_${index}?=`
        : `Re: [mailwire-dev] Benchmark thread ${index % 400}: parser performance and memory`;
  const header =
    `Return-Path: <sender${index}@lists.example.org>\r\n` +
    'Delivered-To: alice@mailwire.test\r\n' +
    relay(1) +
    relay(2) +
    relay(3) +
    'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=lists.example.org;\r\n' +
    '\ts=selector1; h=from:to:cc:subject:date:message-id:in-reply-to:references;\r\n' +
    `\tbh=${b64(`body-hash-${index}`).padEnd(44, 'A')};\r\n` +
    `\tb=${signature.slice(0, 86)}\r\n\t ${signature.slice(86, 172)}\r\n\t ${signature.slice(172, 258)}\r\n\t ${signature.slice(258)}\r\n` +
    `From: "Sender Number ${index}" <sender${index}@lists.example.org>\r\n` +
    'To: Alice Example <alice@mailwire.test>, "Bob, the builder" <bob@example.com>\r\n' +
    `Cc: team-${index % 10}@example.org, =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.de>\r\n` +
    `Subject: ${subject}\r\n` +
    `Date: Fri, 27 Nov 2026 10:${minute}:00 +0000\r\n` +
    `Message-ID: <bench.${index}.${(index * 2654435761) % 4294967296}@lists.example.org>\r\n` +
    (index > 1 ? `In-Reply-To: <bench.${index - 1}.${((index - 1) * 2654435761) % 4294967296}@lists.example.org>\r\n` : '') +
    (index > 2 ? `References: <bench.${index - 2}@lists.example.org> <bench.${index - 1}@lists.example.org>\r\n` : '') +
    'MIME-Version: 1.0\r\n' +
    'Content-Type: text/plain; charset=utf-8; format=flowed\r\n' +
    'Content-Transfer-Encoding: 8bit\r\n' +
    'List-Id: mailwire development <mailwire-dev.lists.example.org>\r\n' +
    'List-Unsubscribe: <mailto:mailwire-dev-leave@lists.example.org>, <https://lists.example.org/unsubscribe/mailwire-dev>\r\n' +
    'List-Archive: <https://lists.example.org/archive/mailwire-dev/>\r\n' +
    'X-Mailer: mailwire-bench 1.0\r\n' +
    'X-Spam-Status: No, score=-2.1 required=5.0 tests=BAYES_00,DKIM_SIGNED,DKIM_VALID,SPF_PASS autolearn=ham\r\n' +
    '\r\n';
  const body = `Hello Alice,\r\n\r\nthis is message ${index} of the benchmark.\r\n${'Some ordinary text of a mailing list post. '.repeat(12)}\r\n\r\n-- \r\nSender ${index}\r\n`;
  return { bytes: Buffer.from(header + body, 'utf8'), headerLength: Buffer.byteLength(header, 'utf8') };
}

/** `size` bytes: a header, then 80-byte ASCII lines with CRLF (never starting with "."). */
export function sizedMessage(index: number, size: number): Buffer {
  const header =
    `From: Bench <bench@mailwire.test>\r\nTo: Alice <alice@mailwire.test>\r\nSubject: Body ${index}\r\n` +
    `Message-ID: <body.${index}@mailwire.test>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\n`;
  const out = Buffer.allocUnsafe(size);
  let length = out.write(header, 0, 'latin1');
  let line = 0;
  while (length < size) {
    const width = Math.min(80, size - length);
    const text = `${String(line++).padStart(8, '0')} ${'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3)}`.slice(0, Math.max(0, width - 2)).padEnd(Math.max(0, width - 2), 'x');
    length += out.write(width >= 2 ? `${text}\r\n` : 'x'.repeat(width), length, 'latin1');
  }
  return out;
}

function writeMessage(facts: SeedFacts, dir: string, index: number, bytes: Buffer | null, flags: string, size?: number): void {
  const length = bytes?.length ?? size ?? 0;
  const file = path.join(dir, 'cur', `${1_700_000_000 + index}.M${index}P1.bench,S=${length}:2,${flags}`);
  if (bytes !== null) writeFileSync(file, bytes);
  own(facts, file);
}

/** Writes the three mailboxes of the benchmark for `user` and lets Dovecot index them. */
export function seed(facts: SeedFacts, user: string, counts: { headers: number; bodies: number; bodySize: number; largeSize: number }): Seeded {
  const account = facts.users[user];
  if (account === undefined) throw new Error(`no user ${user}`);
  // The benchmark only reads (EXAMINE, BODY.PEEK), so a previous seeding of the same shape is reused.
  const marker = path.join(account.maildir, 'mailwire-bench.json');
  const shape = JSON.stringify(counts);
  if (existsSync(marker)) {
    const previous = JSON.parse(readFileSync(marker, 'utf8')) as { shape: string; seeded: Seeded };
    if (previous.shape === shape) return previous.seeded;
  }
  rmSync(account.maildir, { recursive: true, force: true });
  makeFolder(facts, account.maildir, false);

  let headerBytes = 0;
  for (let index = 1; index <= counts.headers; index++) {
    const { bytes, headerLength } = headerHeavyMessage(index);
    headerBytes += headerLength;
    const flags = `${index % 10 === 0 ? 'F' : ''}${index % 3 === 0 ? 'S' : ''}`;
    writeMessage(facts, account.maildir, index, bytes, flags);
  }

  const bodiesDir = path.join(account.maildir, '.Bodies');
  makeFolder(facts, bodiesDir, true);
  for (let index = 1; index <= counts.bodies; index++) writeMessage(facts, bodiesDir, index, sizedMessage(index, counts.bodySize), 'S');

  const largeDir = path.join(account.maildir, '.Large');
  makeFolder(facts, largeDir, true);
  const largeFile = path.join(largeDir, 'cur', `1700000001.M1P1.bench,S=${counts.largeSize}:2,S`);
  const descriptor = openSync(largeFile, 'w');
  try {
    const block = sizedMessage(1, 4 * 1024 * 1024);
    const header = block.indexOf('\r\n\r\n') + 4;
    writeSync(descriptor, block, 0, header);
    let written = header;
    const lines = block.subarray(header);
    while (written < counts.largeSize) {
      const take = Math.min(lines.length, counts.largeSize - written);
      writeSync(descriptor, lines, 0, take);
      written += take;
    }
  } finally {
    closeSync(descriptor);
  }
  own(facts, largeFile);

  // Index now, so that no run pays for the first scan of 11,001 files.
  const doveadm = (...args: string[]): void => {
    execFileSync(facts.binaries.doveadm, ['-c', facts.configPath, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  };
  for (const mailbox of ['INBOX', 'Bodies', 'Large']) {
    doveadm('force-resync', '-u', account.username, mailbox);
    doveadm('mailbox', 'status', '-u', account.username, 'messages', mailbox);
  }
  const seeded: Seeded = {
    headerMessages: counts.headers,
    headerBytes,
    bodyMessages: counts.bodies,
    bodyBytes: counts.bodies * counts.bodySize,
    largeBytes: counts.largeSize,
  };
  writeFileSync(marker, JSON.stringify({ shape, seeded }));
  return seeded;
}
