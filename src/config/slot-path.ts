import path from 'node:path';

/** "logs/out.log" for slot 1 -> "logs/out-1.log": one file per worker, as PM2 names them. */
export function withSlotSuffix(file: string, slot: number): string {
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}-${slot}${ext}`;
}
