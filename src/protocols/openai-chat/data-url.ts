/**
 * OpenAI carries inline images and files as `data:` URLs; the canonical form keeps media type and base64
 * payload apart (Anthropic wants them apart). These helpers convert between the two.
 */

export type ParsedDataUrl = { mediaType: string; base64: boolean; data: string };

/** `data:image/png;base64,iVBOR…` → its parts; undefined when the text is not a data URL. */
export function parseDataUrl(url: string): ParsedDataUrl | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  if (comma === -1) return undefined;
  const [mediaType = '', ...parameters] = url.slice('data:'.length, comma).split(';');
  return {
    mediaType: mediaType.trim().toLowerCase(),
    base64: parameters.some((parameter) => parameter.trim().toLowerCase() === 'base64'),
    data: url.slice(comma + 1),
  };
}

export function toDataUrl(mediaType: string, base64Data: string): string {
  return `data:${mediaType};base64,${base64Data}`;
}

const imageTypesByExtension: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};

/**
 * An image linked by URL has no declared type; guess it from the file extension so telemetry and
 * encoders see something specific. `image/*` says "an image, kind unknown" — neither OpenAI nor
 * Anthropic needs the type for a URL image, only that it is an image.
 */
export function guessImageMediaType(url: string): string {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    return 'image/*';
  }
  const dot = pathname.lastIndexOf('.');
  if (dot === -1) return 'image/*';
  return imageTypesByExtension[pathname.slice(dot + 1).toLowerCase()] ?? 'image/*';
}
