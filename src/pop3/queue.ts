/**
 * A first-in first-out queue with O(1) `shift`: the command queues of the client hold hundreds of
 * pipelined commands, and `Array.prototype.shift` moves every element each time.
 *
 * @internal
 * @packageDocumentation
 */

/** A FIFO queue. */
export class Queue<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** How many items are queued. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** The first item, if any. */
  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /** The last item, if any. */
  last(): T | undefined {
    return this.length === 0 ? undefined : this.#items[this.#items.length - 1];
  }

  /** Adds an item at the end. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** Adds an item before the run of last items it may pass (`passes(item, queued)`; at the end when it may not pass the last). */
  insertBefore(item: T, passes: (item: T, queued: T) => boolean): void {
    let index = this.#items.length;
    while (index > this.#head && passes(item, this.#items[index - 1] as T)) index--;
    if (index === this.#items.length) this.#items.push(item);
    else this.#items.splice(index, 0, item);
  }

  /** Removes and returns the first item. */
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head++;
    // Compact once the dead prefix dominates, so memory stays proportional to the live items.
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes one item wherever it is; false when it is not queued. */
  remove(item: T): boolean {
    const index = this.#items.indexOf(item, this.#head);
    if (index === -1) return false;
    this.#items.splice(index, 1);
    return true;
  }

  /** Empties the queue and returns what it held, in order. */
  drain(): T[] {
    const items = this.#items.slice(this.#head) as T[];
    this.#items = [];
    this.#head = 0;
    return items;
  }
}
