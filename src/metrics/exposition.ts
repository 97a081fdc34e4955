// Prometheus' text exposition format (version 0.0.4), for drover's own metrics: a
// family's HELP and TYPE lines, then its samples. Small enough to write here, so that
// a scrape of an app without prom-client loads no library into the supervisor.

/** The content type of the text format, as Prometheus asks for it. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Readonly<Record<string, string | number>>;

/** Lines of the text format, built a family at a time. */
export class Exposition {
  readonly #lines: string[] = [];

  /** Start a family: its HELP and TYPE lines. */
  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.#lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
    return this;
  }

  /** One sample of the family started last (`name` carries _bucket, _sum, _count for a histogram). */
  sample(name: string, labels: Labels, value: number): this {
    const pairs = Object.entries(labels).map(([key, label]) => `${key}="${escapeLabel(String(label))}"`);
    this.#lines.push(`${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`);
    return this;
  }

  text(): string {
    return this.#lines.length > 0 ? `${this.#lines.join('\n')}\n` : '';
  }
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
