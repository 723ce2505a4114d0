/**
 * BODYSTRUCTURE parameters from a real Dovecot: attachment names written as RFC 2231 continuations,
 * in the RFC 2231 extended form and as RFC 2047 encoded words arrive decoded in `params`.
 */
import { describe, expect, it } from 'vitest';
import { deliver, resetUser } from '../helpers/dovecot.js';
import { withImapClient } from '../helpers/imap.js';
import type { Uid } from '../../src/imap/wire/sequence-set.js';

const attachments = [
  'From: a@example.org',
  'To: b@example.org',
  'Subject: attachment names',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Two attachments.',
  '--b1',
  "Content-Type: application/pdf; name*0*=utf-8''%E6%97%A5; name*1*=%E6%9C%AC.pdf",
  "Content-Disposition: attachment; filename*=utf-8''%C3%A9t%C3%A9.pdf",
  'Content-Transfer-Encoding: base64',
  '',
  'AAAA',
  '--b1',
  'Content-Type: application/octet-stream; name="=?UTF-8?B?w6l0w6kudHh0?="',
  'Content-Disposition: attachment; filename="=?UTF-8?B?w6l0w6kudHh0?="',
  '',
  'x',
  '--b1--',
  '',
].join('\r\n');

describe('BODYSTRUCTURE parameters', () => {
  it('gives attachment names decoded, whichever way the message wrote them', async () => {
    await resetUser('carol');
    await deliver('carol', attachments);
    await withImapClient('starttls', async (client) => {
      await client.select('INBOX');
      const message = await client.fetchOne(1 as Uid, { bodyStructure: true });
      expect(message?.attributes.bodyStructure).toMatchObject({
        kind: 'multipart',
        parts: [
          { kind: 'text' },
          { kind: 'basic', params: { name: '日本.pdf' }, extension: { disposition: { type: 'attachment', params: { filename: 'été.pdf' } } } },
          { kind: 'basic', params: { name: 'été.txt' }, extension: { disposition: { type: 'attachment', params: { filename: 'été.txt' } } } },
        ],
      });
    });
  });
});
