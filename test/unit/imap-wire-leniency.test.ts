/**
 * Values real servers send where the grammar wants something else: each is read into the typed
 * result (or left out of it), and the rest of the response is kept. Bytes only.
 */
import { describe, expect, it } from 'vitest';
import { one } from './imap-wire/harness.js';

describe('NIL where a number is expected', () => {
  it('leaves a STATUS attribute sent as NIL out, and keeps the others', () => {
    const response = one('* STATUS box (UIDNEXT NIL MESSAGES 3 UIDVALIDITY nil SIZE NIL HIGHESTMODSEQ NIL UNSEEN 2)');
    expect(response).toEqual({ kind: 'mailbox-status', mailbox: 'box', attributes: { messages: 3, unseen: 2 } });
  });

  it('leaves RFC822.SIZE and a BINARY.SIZE sent as NIL out of the FETCH attributes, not 0', () => {
    expect(one('* 1 FETCH (UID 5 RFC822.SIZE NIL FLAGS (\\Seen))')).toEqual({ kind: 'fetch', seq: 1, attributes: { uid: 5, flags: ['\\Seen'] } });
    expect(one('* 1 FETCH (UID 5 BINARY.SIZE[1] NIL BINARY.SIZE[2] 40)')).toEqual({
      kind: 'fetch', seq: 1, attributes: { uid: 5, binarySize: { '2': 40 } },
    });
    expect(one('* 1 FETCH (BINARY.SIZE[1] NIL)')).toEqual({ kind: 'fetch', seq: 1, attributes: {} });
  });

  it('reads INTERNALDATE NIL as null and FLAGS NIL as no flags', () => {
    expect(one('* 1 FETCH (UID 5 INTERNALDATE NIL FLAGS NIL)')).toEqual({
      kind: 'fetch', seq: 1, attributes: { uid: 5, internalDate: null, flags: [] },
    });
    expect(one('* FLAGS NIL')).toEqual({ kind: 'flags', flags: [] });
  });
});

describe('NAMESPACE with fewer than three namespaces', () => {
  it('reads the missing namespaces as NIL', () => {
    const personal = [{ prefix: '', delimiter: '/' }];
    expect(one('* NAMESPACE (("" "/"))')).toEqual({ kind: 'namespace', personal, otherUsers: null, shared: null });
    expect(one('* NAMESPACE (("" "/")) NIL ')).toEqual({ kind: 'namespace', personal, otherUsers: null, shared: null });
    expect(one('* NAMESPACE')).toEqual({ kind: 'namespace', personal: null, otherUsers: null, shared: null });
  });
});

describe('quoted capability names', () => {
  it('reads a quoted name in ENABLED and CAPABILITY as its value, without the quotes', () => {
    expect(one('* ENABLED "CONDSTORE" utf8=accept')).toEqual({ kind: 'enabled', capabilities: ['CONDSTORE', 'UTF8=ACCEPT'] });
    expect(one('* CAPABILITY IMAP4rev1 "idle"')).toEqual({ kind: 'capability', capabilities: ['IMAP4REV1', 'IDLE'] });
  });
});
