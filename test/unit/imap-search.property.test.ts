import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SearchQuery } from '../../src/imap/wire/index.js';
import { buildSearchCriteria, encodeCommand, SequenceSet, uid } from '../../src/imap/wire/index.js';

// What a query means must survive its encoding: nested OR, NOT, AND and multi-key alternatives are
// parenthesised so that a server reading the line (RFC 9051 search-key grammar) matches exactly
// the messages the query describes. Both sides are evaluated against the same small messages.

interface Message {
  readonly uid: number;
  readonly seen: boolean;
  readonly flagged: boolean;
  readonly from: string;
  readonly keywords: ReadonlySet<string>;
  readonly size: number;
}

type Predicate = (message: Message) => boolean;

/** The query as the caller means it: every field present must match; or, not, and combine. */
function meaning(query: SearchQuery): Predicate {
  const checks: Predicate[] = [];
  if (query.seen !== undefined) checks.push((m) => m.seen === query.seen);
  if (query.flagged !== undefined) checks.push((m) => m.flagged === query.flagged);
  if (query.from !== undefined) checks.push((m) => m.from.toLowerCase().includes(query.from!.toLowerCase()));
  if (typeof query.keyword === 'string') checks.push((m) => m.keywords.has(query.keyword as string));
  if (query.larger !== undefined) checks.push((m) => m.size > Number(query.larger));
  if (query.uid !== undefined) checks.push((m) => query.uid!.has(uid(m.uid)));
  for (const sub of query.and ?? []) checks.push(meaning(sub));
  if (query.not !== undefined) {
    const inner = meaning(query.not);
    checks.push((m) => !inner(m));
  }
  if (query.or !== undefined) {
    const alternatives = query.or.map(meaning);
    checks.push((m) => alternatives.some((alternative) => alternative(m)));
  }
  return (m) => checks.every((check) => check(m));
}

/** Splits the arguments of the command line into `(`, `)`, atoms and quoted strings. */
function lex(line: string): string[] {
  const tokens: string[] = [];
  const pattern = /\(|\)|"(?:[^"\\]|\\.)*"|[^\s()"]+/g;
  for (const match of line.matchAll(pattern)) tokens.push(match[0]);
  return tokens;
}

/** Reads search-keys as a server would, and says what they match. */
function serverReading(tokens: string[]): Predicate {
  let position = 0;
  const next = (): string => {
    const token = tokens[position++];
    if (token === undefined) throw new Error('the line ended inside a search-key');
    return token;
  };
  const text = (token: string): string => (token.startsWith('"') ? token.slice(1, -1).replace(/\\(.)/g, '$1') : token);
  const key = (): Predicate => {
    const token = next();
    if (token === '(') {
      const keys: Predicate[] = [key()];
      while (tokens[position] !== ')') keys.push(key());
      position++;
      return (m) => keys.every((k) => k(m));
    }
    switch (token.toUpperCase()) {
      case 'ALL': return () => true;
      case 'SEEN': return (m) => m.seen;
      case 'UNSEEN': return (m) => !m.seen;
      case 'FLAGGED': return (m) => m.flagged;
      case 'UNFLAGGED': return (m) => !m.flagged;
      case 'FROM': {
        const value = text(next()).toLowerCase();
        return (m) => m.from.toLowerCase().includes(value);
      }
      case 'KEYWORD': {
        const value = next();
        return (m) => m.keywords.has(value);
      }
      case 'LARGER': {
        const value = Number(next());
        return (m) => m.size > value;
      }
      case 'UID': {
        const set = SequenceSet.parse(next());
        return (m) => set.has(uid(m.uid));
      }
      case 'NOT': {
        const inner = key();
        return (m) => !inner(m);
      }
      case 'OR': {
        const left = key();
        const right = key();
        return (m) => left(m) || right(m);
      }
      default:
        throw new Error(`unexpected token ${token}`);
    }
  };
  const keys: Predicate[] = [];
  while (position < tokens.length) keys.push(key());
  return (m) => keys.every((k) => k(m));
}

const uidSet = fc
  .array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 })
  .map((uids) => SequenceSet.uids(uids.map(uid)));

const leaf: fc.Arbitrary<SearchQuery> = fc.record(
  {
    seen: fc.boolean(),
    flagged: fc.boolean(),
    from: fc.constantFrom('a', 'b', 'a b'),
    keyword: fc.constantFrom('k1', 'k2'),
    larger: fc.integer({ min: 0, max: 12 }),
    uid: uidSet,
  },
  { requiredKeys: [] },
);

const { query: queryArbitrary } = fc.letrec<{ query: SearchQuery }>((tie) => ({
  query: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ not: tie('query') }),
    fc.record({ or: fc.array(tie('query'), { minLength: 2, maxLength: 3 }) }),
    fc.record({ and: fc.array(tie('query'), { maxLength: 2 }), seen: fc.boolean() }, { requiredKeys: ['and'] }),
    fc.tuple(leaf, fc.record({ not: tie('query') }), fc.record({ or: fc.array(tie('query'), { minLength: 2, maxLength: 2 }) }))
      .map(([fields, negated, alternatives]) => ({ ...fields, ...negated, ...alternatives })),
  ),
}));

const message: fc.Arbitrary<Message> = fc.record({
  uid: fc.integer({ min: 1, max: 6 }),
  seen: fc.boolean(),
  flagged: fc.boolean(),
  from: fc.constantFrom('a', 'b', 'A B', 'ab', 'x'),
  keywords: fc.subarray(['k1', 'k2']).map((keywords) => new Set(keywords)),
  size: fc.integer({ min: 0, max: 14 }),
});

describe('SEARCH criteria, property', () => {
  it('a server reading the encoded line matches exactly the messages the query describes', () => {
    fc.assert(
      fc.property(queryArbitrary, fc.array(message, { minLength: 1, maxLength: 8 }), (searchQuery, messages) => {
        const [fragment, ...rest] = encodeCommand('A1', 'SEARCH', buildSearchCriteria(searchQuery));
        expect(rest).toEqual([]);
        const line = fragment!.kind === 'line' ? fragment!.parts.join('') : '';
        expect(line.startsWith('A1 SEARCH ')).toBe(true);
        const read = serverReading(lex(line.slice('A1 SEARCH '.length, -2)));
        const meant = meaning(searchQuery);
        for (const m of messages) expect(read(m), `${line.trim()} for ${JSON.stringify({ ...m, keywords: [...m.keywords] })}`).toBe(meant(m));
      }),
      { numRuns: 1500 },
    );
  });
});
