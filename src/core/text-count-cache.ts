/**
 * Numbers computed from long texts, kept by the text itself and bounded by the characters of the texts it
 * keeps; the least recently used go first. token-count.ts keeps token counts here, because a conversation
 * comes back with every turn: counting a coding agent's 42,000-token history took the event loop 4.6 ms on
 * each turn (test/bench/token-estimates.ts), and with the counts of its earlier messages kept only the new
 * ones are counted (0.4 ms).
 *
 * A lookup hashes the text and, when found, compares it with the kept one: native work, a small fraction
 * of what tokenizing the text costs.
 */
export class TextCountCache {
  private readonly maxChars: number;
  /** In order of use, least recent first (a Map iterates in insertion order; a hit is moved to the end). */
  private readonly counts = new Map<string, number>();
  private keptChars = 0;

  constructor(maxChars: number) {
    this.maxChars = maxChars;
  }

  get(text: string): number | undefined {
    const count = this.counts.get(text);
    if (count !== undefined) {
      this.counts.delete(text);
      this.counts.set(text, count);
    }
    return count;
  }

  set(text: string, count: number): void {
    if (text.length > this.maxChars) return;
    if (this.counts.delete(text)) this.keptChars -= text.length;
    this.counts.set(text, count);
    this.keptChars += text.length;
    for (const oldest of this.counts.keys()) {
      if (this.keptChars <= this.maxChars) break;
      this.counts.delete(oldest);
      this.keptChars -= oldest.length;
    }
  }

  /** Characters of the texts kept. */
  get chars(): number {
    return this.keptChars;
  }
}
