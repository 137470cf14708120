/**
 * A YAML file parsed with its source positions kept, so every problem found in it (a YAML error, a
 * schema mismatch, a bad value) can be reported as `file:line:column`.
 */
import { isScalar, LineCounter, parseDocument, type Document } from 'yaml';

export type PositionedYaml = {
  document: Document;
  /** `source:line:column` of an offset in the text, or just `source` when there is none. */
  where(offset: number | undefined): string;
  /** `source:line:column` of the node at a path such as ['providers', 'openai', 'type'] (or its nearest parent). */
  whereIs(segments: string[]): string;
  /** The first YAML syntax error, if the text has one: where it is and its first line of explanation. */
  firstError: { at: string; message: string } | undefined;
};

export function parseYamlWithPositions(text: string, source: string): PositionedYaml {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const where = (offset: number | undefined) => {
    if (offset === undefined) return source;
    const { line, col } = lineCounter.linePos(offset);
    return `${source}:${line}:${col}`;
  };
  const first = document.errors[0];
  return {
    document,
    where,
    whereIs: (segments) => where(offsetOf(document, segments)),
    firstError: first ? { at: where(first.pos[0]), message: first.message.split('\n')[0] } : undefined,
  };
}

function offsetOf(document: Document, segments: string[]): number | undefined {
  // Walk up until a node exists: a missing key is reported at its parent.
  for (let length = segments.length; length >= 0; length--) {
    const path = segments.slice(0, length).map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
    const node = length === 0 ? document.contents : document.getIn(path, true);
    if (node && typeof node === 'object' && 'range' in node && node.range) return (node.range as [number])[0];
    if (isScalar(node) && node.range) return node.range[0];
  }
  return undefined;
}
