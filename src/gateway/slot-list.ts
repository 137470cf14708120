/**
 * Items in an array, each knowing its own index, so that adding one and removing one (the last item
 * moves into the hole) cost O(1) and allocate nothing. For what every call adds and removes — the calls
 * in flight (call-registry.ts), the calls with a deadline (deadline-sweeper.ts) — instead of a Set: on Bun
 * (JavaScriptCore), a long-lived Set with that churn made each young-generation GC visit megabytes (6 MB
 * at 32 calls in flight, against 30 kB without it), about a third of a non-streaming call's CPU time.
 *
 * An item's `slot` is its index, or -1 while it is in no list; so an item can be in one list at a time.
 */
export type Slotted = { slot: number };

export class SlotList<T extends Slotted> {
  private readonly list: T[] = [];

  get size(): number {
    return this.list.length;
  }

  /** The items, in no particular order; removing one moves the last into its index. */
  get items(): ReadonlyArray<T> {
    return this.list;
  }

  /** Adds `item`, unless it is in already. */
  add(item: T): void {
    if (item.slot >= 0) return;
    item.slot = this.list.length;
    this.list.push(item);
  }

  /** Removes `item`; says whether it was in. */
  remove(item: T): boolean {
    const slot = item.slot;
    if (slot < 0) return false;
    const last = this.list.pop()!;
    if (last !== item) {
      this.list[slot] = last;
      last.slot = slot;
    }
    item.slot = -1;
    return true;
  }
}
