import { closestMatch } from '../config/index.js';
import { DroverError } from '../errors/index.js';

/** What `drover init` generates, by kind. */
export const INIT_KINDS = {
  docker: 'Dockerfile and .dockerignore',
  compose: 'docker-compose.yml and nginx.conf: replicas behind nginx, Redis when the store uses it',
  k8s: 'Kubernetes Deployment, Service, HorizontalPodAutoscaler and PodDisruptionBudget',
} as const;

export type InitKind = keyof typeof INIT_KINDS;

/** Other names people type for a kind. */
const ALIASES: Record<string, InitKind> = { dockerfile: 'docker', 'docker-compose': 'compose', kubernetes: 'k8s', kube: 'k8s' };

/** The kind named on the command line; an unknown one (or none) is an error that names the choices. */
export function parseInitKind(kind: string | undefined): InitKind {
  const name = kind?.toLowerCase();
  if (name !== undefined && name in INIT_KINDS) return name as InitKind;
  if (name !== undefined && name in ALIASES) return ALIASES[name]!;
  const choices = Object.entries(INIT_KINDS).map(([k, what]) => `  drover init ${k.padEnd(8)} ${what}`).join('\n');
  const suggestion = name === undefined ? undefined : closestMatch(name, [...Object.keys(INIT_KINDS), ...Object.keys(ALIASES)]);
  const head =
    kind === undefined
      ? 'init: name what to generate'
      : `init: unknown kind '${kind}'${suggestion ? ` (did you mean '${ALIASES[suggestion] ?? suggestion}'?)` : ''}`;
  throw new DroverError('DROVER_E_INIT_KIND', `${head}; the choices:\n${choices}\n(a sample config file, PM2's pm2 init, is drover ecosystem)`);
}
