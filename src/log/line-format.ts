// How a worker's output line is written to a log: as is, behind a timestamp
// (PM2's `time` and `log_date_format`) and/or the worker's slot, or as a JSON line
// (`log_type: json`) that says everything about it.

/** One line of output and where it came from: what `drover logs --json` prints. */
export interface LogRecord {
  /** ISO 8601 time the supervisor received it; null when a plain log file does not say. */
  ts: string | null;
  app: string;
  /** The worker's slot (NODE_APP_INSTANCE); null for drover's own lines, or when unknown. */
  worker: number | null;
  pid: number | null;
  /** 'drover': the supervisor's own lines (starts, crashes, restarts). */
  stream: 'out' | 'err' | 'drover';
  msg: string;
}

export interface LineFormat {
  /** A day.js-style pattern (YYYY MM DD HH mm ss SSS Z), or 'ISO' for ISO 8601. */
  dateFormat: string | undefined;
  /** Put the worker's slot and the app's name before the line, as `1|web | `. */
  workerPrefix: boolean;
  json: boolean;
}

/** Format one line for a log file or the console. */
export function formatLine(record: LogRecord, format: LineFormat, now = new Date()): string {
  if (format.json) return JSON.stringify(record);
  const prefix = format.workerPrefix ? `${record.worker ?? '-'}|${record.app} | ` : '';
  return format.dateFormat ? `${formatDate(now, format.dateFormat)}: ${prefix}${record.msg}` : `${prefix}${record.msg}`;
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
