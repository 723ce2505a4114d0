/**
 * The scripted fake server (test/helpers/scripted-server.ts) with IMAP's usual session start.
 */
export * from '../../helpers/scripted-server.js';
import { C, S, pause, raw, type Step } from '../../helpers/scripted-server.js';

/** Greeting with capabilities, LOGIN alice, OK with capabilities: the usual start. */
export function login(capabilities = 'IMAP4rev1 LITERAL+ IDLE UNSELECT ENABLE CONDSTORE ID NAMESPACE'): Step[] {
  return [
    S(`* OK [CAPABILITY ${capabilities} AUTH=PLAIN] ready`),
    C('A1 LOGIN alice secret'),
    S(`A1 OK [CAPABILITY ${capabilities}] Logged in`),
  ];
}

/** SELECT INBOX answered like Dovecot. */
export function selectInbox(tag: string, exists = 3): Step[] {
  return [
    C(`${tag} SELECT INBOX`),
    S(
      '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
      '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.',
      `* ${exists} EXISTS`,
      '* 0 RECENT',
      '* OK [UIDVALIDITY 1700000000] UIDs valid',
      `* OK [UIDNEXT ${exists + 1}] Predicted next UID`,
      '* OK [HIGHESTMODSEQ 42] Highest',
      `${tag} OK [READ-WRITE] Select completed`,
    ),
  ];
}

/** Sends `data` in pieces of `size` bytes, pausing between them so they arrive as separate reads. */
export function trickle(data: string | Uint8Array, size: number, ms = 1): Step[] {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const steps: Step[] = [];
  for (let start = 0; start < bytes.length; start += size) {
    if (steps.length > 0) steps.push(pause(ms));
    steps.push(raw(bytes.subarray(start, start + size)));
  }
  return steps;
}
