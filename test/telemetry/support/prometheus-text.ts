/**
 * Reads Prometheus text exposition (what GET /metrics returns) into samples, so tests can look values up
 * by metric name and labels. Only what the OpenTelemetry exporter emits: no timestamps, no exemplars.
 */
export type Sample = { name: string; labels: Record<string, string>; value: number };

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const braceStart = line.indexOf('{');
    const braceEnd = line.lastIndexOf('}');
    const name = braceStart === -1 ? line.slice(0, line.indexOf(' ')) : line.slice(0, braceStart);
    const labels: Record<string, string> = {};
    if (braceStart !== -1) {
      for (const match of line.slice(braceStart + 1, braceEnd).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[match[1]] = match[2].replace(/\\(.)/g, (_all, character: string) => (character === 'n' ? '\n' : character));
      }
    }
    const valueText = line.slice((braceEnd === -1 ? name.length : braceEnd + 1)).trim();
    samples.push({ name, labels, value: Number(valueText) });
  }
  return samples;
}

/** Samples of one metric whose labels include all of `labels`. */
export function samplesOf(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}

/** The single value of a metric with these labels; undefined when absent. */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const matching = samplesOf(samples, name, labels);
  if (matching.length > 1) throw new Error(`${matching.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matching[0]?.value;
}
