// How a worker's output line is written to a log: as is, behind a timestamp
// (PM2's `time` and `log_date_format`), or as a JSON line (PM2's `log_type: json`).

export interface LineContext {
  app: string;
  slot: number;
  stream: 'out' | 'err';
}

export interface LineFormat {
  /** A day.js-style pattern (YYYY MM DD HH mm ss SSS Z), or 'ISO' for ISO 8601. */
  dateFormat: string | undefined;
  json: boolean;
}

/** Format one line for a log file or the console. */
export function formatLine(line: string, context: LineContext, format: LineFormat, now = new Date()): string {
  if (format.json) {
    return JSON.stringify({ message: line, timestamp: now.toISOString(), type: context.stream, process_id: context.slot, app_name: context.app });
  }
  return format.dateFormat ? `${formatDate(now, format.dateFormat)}: ${line}` : line;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** Format a date with the day.js tokens PM2 users write in log_date_format. */
export function formatDate(date: Date, pattern: string): string {
  if (pattern === 'ISO') return date.toISOString();
  const offset = -date.getTimezoneOffset();
  const zone = `${offset >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  const tokens: Record<string, string> = {
    YYYY: String(date.getFullYear()),
    MM: pad(date.getMonth() + 1),
    DD: pad(date.getDate()),
    HH: pad(date.getHours()),
    mm: pad(date.getMinutes()),
    ss: pad(date.getSeconds()),
    SSS: pad(date.getMilliseconds(), 3),
    Z: zone,
  };
  // Text in [brackets] is literal, as in day.js.
  return pattern.replace(/\[([^\]]*)\]|YYYY|SSS|MM|DD|HH|mm|ss|Z/g, (match, literal: string | undefined) => literal ?? tokens[match]!);
}
