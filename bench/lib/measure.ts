/**
 * Timing helpers shared by the benchmarks: interleaved runs, medians, MB/s and a plain-text table.
 */

/** One contender in a benchmark: a name and a run that resolves when all input is processed. */
export interface Contender {
  /** Shown in the table. */
  readonly name: string;
  /** Processes the whole input once; throws if it saw something other than expected. */
  readonly run: () => void | Promise<void>;
}

/** Median of the timings, in milliseconds, of each contender, by name. */
export type Timings = Map<string, number[]>;

declare const gc: (() => void) | undefined;

function collectGarbage(): void {
  if (typeof gc === 'function') gc();
}

/** How {@link interleaved} runs. */
export interface RunOptions {
  /** Timed rounds (default 7). */
  readonly runs?: number;
  /** Untimed rounds first, for the JIT (default 3). */
  readonly warmup?: number;
  /**
   * Force a full collection before every run (needs `node --expose-gc`). Off by default: it also
   * shrinks the young generation, which makes allocation-heavy runs that follow look up to 3x
   * slower than they are in a long-lived process.
   */
  readonly collectGarbage?: boolean;
}

/**
 * Runs every contender `warmup` times, then `runs` rounds in which each runs once, in turn, so
 * that noise from the machine spreads over all of them alike.
 */
export async function interleaved(contenders: readonly Contender[], options: RunOptions = {}): Promise<Timings> {
  const { runs = 7, warmup = 3, collectGarbage: collect = false } = options;
  const timings: Timings = new Map(contenders.map((contender) => [contender.name, []]));
  for (let round = 0; round < warmup + runs; round++) {
    for (const contender of contenders) {
      if (collect) collectGarbage();
      const start = process.hrtime.bigint();
      await contender.run();
      const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
      if (round >= warmup) timings.get(contender.name)!.push(elapsed);
    }
  }
  return timings;
}

/** The median of `values` (which must not be empty). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The median of the per-round ratios `mine[i] / theirs[i]`: runs are interleaved, so a round's
 * pair saw the same machine load, and this is steadier than the ratio of the medians on a busy
 * machine.
 */
export function perRoundMedian(mine: readonly number[], theirs: readonly number[]): number {
  return median(mine.map((value, index) => value / (theirs[index] ?? Number.NaN)));
}

/** Throughput in MB/s (10^6 bytes per second). */
export function megabytesPerSecond(bytes: number, milliseconds: number): number {
  return bytes / 1e6 / (milliseconds / 1000);
}

/** A plain-text table with a header row, columns padded to fit. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
