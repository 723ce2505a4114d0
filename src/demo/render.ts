/**
 * Renders demo reports as plain-text tables: the behaviour, what device A did and saw, what
 * device B saw, side by side, and under each row the wire lines that show it.
 *
 * @packageDocumentation
 */
import type { DemoReport, DemoRow } from './scenario.js';

const COLUMNS = [32, 44, 44] as const;
const WIRE_WIDTH = 112;
const MISSING = '(expected line not seen on the wire)';

/** Wraps text to `width` columns at spaces (a longer word is cut). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((each) => each !== '')) {
    let rest = word;
    while (rest.length > width) {
      if (line !== '') lines.push(line);
      line = '';
      lines.push(rest.slice(0, width));
      rest = rest.slice(width);
    }
    if (line === '') line = rest;
    else if (line.length + 1 + rest.length <= width) line += ` ${rest}`;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** True when every wire line of the row was seen. */
export function observedOnWire(row: DemoRow): boolean {
  return row.wire.length > 0 && row.wire.every((line) => line !== MISSING);
}

function renderRow(row: DemoRow): string[] {
  const cells = [wrap(row.behaviour, COLUMNS[0]), wrap(`A: ${row.a}`, COLUMNS[1]), wrap(`B: ${row.b}`, COLUMNS[2])];
  const height = Math.max(...cells.map((cell) => cell.length));
  const out: string[] = [];
  for (let index = 0; index < height; index++) {
    out.push(`  ${cells.map((cell, column) => (cell[index] ?? '').padEnd(COLUMNS[column] ?? 0)).join('  ')}`.trimEnd());
  }
  const mark = observedOnWire(row) ? '✓ observed on the wire:' : '✗ NOT observed on the wire:';
  row.wire.forEach((line, index) => {
    out.push(`     ${(index === 0 ? mark : '').padEnd(28)}${cut(line, WIRE_WIDTH - 33)}`);
  });
  return out;
}

/**
 * Renders one protocol's report.
 *
 * @param report - the report.
 * @param note - a line under the title (how the run was made).
 */
export function renderReport(report: DemoReport, note: string): string {
  const title = report.protocol === 'imap' ? 'IMAP: the mailbox lives on the server' : 'POP3: the post office';
  const lines = [
    `${title}   ${report.url}`,
    `  ${note}`,
    '',
    `  ${['behaviour', 'device A', 'device B'].map((head, column) => head.padEnd(COLUMNS[column] ?? 0)).join('  ')}`.trimEnd(),
    `  ${COLUMNS.map((width) => '─'.repeat(width)).join('  ')}`,
  ];
  for (const row of report.rows) lines.push(...renderRow(row), '');
  return lines.join('\n');
}
