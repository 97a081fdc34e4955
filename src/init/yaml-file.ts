import { Document } from 'yaml';

/** One YAML document under a comment; long strings stay on one line. */
export function yamlText(header: string, value: unknown): string {
  // YAML 1.1 quoting ("on", "22:22", "n"): PyYAML (docker-compose 1.x) and Go's yaml read 1.1.
  const doc = new Document(value, { version: '1.1', aliasDuplicateObjects: false });
  doc.commentBefore = header.split('\n').map((line) => ` ${line}`).join('\n');
  return doc.toString({ lineWidth: 0 });
}
