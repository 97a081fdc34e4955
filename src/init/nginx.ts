import { parseStickyKey } from '../balancer/sticky-key.js';
import type { InitContext } from './context.js';

/** How nginx spreads requests over the replicas: the directive for the upstream block, and why. */
export interface UpstreamPolicy {
  /** Lines to put in the upstream block before the servers (none for round-robin, nginx's default). */
  readonly directives: readonly string[];
  /** A `map` block the directive reads, for a cookie name nginx has no variable for. */
  readonly map: readonly string[];
  readonly why: string;
  /** Set when nginx cannot do what the app's balance asks: what it does instead. */
  readonly warning?: string;
}

const COOKIE_MAP_VARIABLE = '$drover_sticky_cookie';

/**
 * The nginx setting that matches the app's `balance`, so that a client stays with the
 * same replica for the same reason it stays with the same worker inside it:
 * ip_hash for sticky by address, a consistent hash of the cookie or header for those
 * keys, least_conn for least-connections.
 */
export function upstreamPolicy(app: InitContext['app']): UpstreamPolicy {
  if (app.balance === 'round-robin') return { directives: [], map: [], why: 'balance: round-robin (nginx default)' };
  if (app.balance === 'least-connections') return { directives: ['least_conn;'], map: [], why: 'balance: least-connections' };
  const key = parseStickyKey(app.sticky_key);
  const why = `balance: sticky, sticky_key: ${app.sticky_key}`;
  switch (key.kind) {
    case 'ip':
      return { directives: ['ip_hash;'], map: [], why };
    case 'sid':
      // Engine.IO's handshake carries no sid yet, so a hash of it would send the
      // handshake and the requests after it to different replicas; Socket.IO's docs
      // recommend ip_hash behind nginx for the same reason.
      return { directives: ['ip_hash;'], map: [], why: `${why} (the handshake has no sid yet: by client address, as Socket.IO's docs advise)` };
    case 'header': {
      if (!/^[a-z0-9-]+$/.test(key.name)) {
        return { directives: ['ip_hash;'], map: [], why, warning: `sticky_key ${app.sticky_key}: nginx has no variable for a header named '${key.name}'; the generated nginx.conf is sticky by client address (ip_hash) instead` };
      }
      return { directives: [`hash $http_${key.name.replaceAll('-', '_')} consistent;`], map: [], why };
    }
    case 'cookie': {
      if (/^[A-Za-z0-9_]+$/.test(key.name)) return { directives: [`hash $cookie_${key.name} consistent;`], map: [], why };
      // $cookie_<name> cannot spell a name with a dot or a dash (express-session's
      // connect.sid): read it out of the Cookie header with a regex instead.
      if (/^[A-Za-z0-9_.-]+$/.test(key.name)) {
        const pattern = key.name.replaceAll('.', '\\.');
        return {
          directives: [`hash ${COOKIE_MAP_VARIABLE} consistent;`],
          map: [`map $http_cookie ${COOKIE_MAP_VARIABLE} {`, '    default "";', `    "~(?:^|;\\s*)${pattern}=(?<value>[^;]+)" $value;`, '}'],
          why,
        };
      }
      return { directives: ['ip_hash;'], map: [], why, warning: `sticky_key ${app.sticky_key}: nginx cannot read a cookie named '${key.name}'; the generated nginx.conf is sticky by client address (ip_hash) instead` };
    }
  }
}

/** Where nginx listens and the app's servers it spreads requests over. */
export interface NginxSite {
  /** The upstream block's name. */
  readonly upstream: string;
  /** `host:port` of each replica or host. */
  readonly servers: readonly string[];
  /** nginx's `listen` (a port, or `address:port`). */
  readonly listen: string;
}

/**
 * The http-context part of nginx.conf for an app behind nginx, shared by
 * `drover init compose` and the README's many-hosts setup (tested in
 * test/multihost): the upstream with the app's balance and keep-alive to the
 * servers, WebSocket upgrades passed through, the client's address passed on, and
 * a request retried on another server when one refuses a connection, fails or
 * answers 502/503 (a host that is stopping refuses new connections once it drains).
 */
export function nginxSite(app: InitContext['app'], site: NginxSite): string[] {
  const policy = upstreamPolicy(app);
  return [
    '# WebSocket: pass the upgrade on; other requests keep the upstream connection alive.',
    'map $http_upgrade $connection_upgrade {',
    '    default upgrade;',
    "    '' '';",
    '}',
    ...(policy.map.length > 0 ? ['', ...policy.map] : []),
    '',
    `upstream ${site.upstream} {`,
    `    # ${policy.why}`,
    ...policy.directives.map((line) => `    ${line}`),
    ...site.servers.map((server) => `    server ${server} max_fails=1 fail_timeout=5s;`),
    '    keepalive 32;',
    '}',
    '',
    'server {',
    `    listen ${site.listen};`,
    '',
    '    location = /nginx-health {',
    '        access_log off;',
    '        return 200 "ok\\n";',
    '    }',
    '',
    '    location / {',
    `        proxy_pass http://${site.upstream};`,
    '        proxy_http_version 1.1;',
    '        proxy_set_header Upgrade $http_upgrade;',
    '        proxy_set_header Connection $connection_upgrade;',
    '        proxy_set_header Host $host;',
    '        proxy_set_header X-Real-IP $remote_addr;',
    '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '        proxy_set_header X-Forwarded-Proto $scheme;',
    '        # A replica that is stopping refuses new connections: try another one.',
    '        proxy_next_upstream error timeout http_502 http_503;',
    '        # WebSocket and long-polling connections stay open.',
    '        proxy_read_timeout 1h;',
    '        proxy_send_timeout 1h;',
    '    }',
    '}',
    '',
  ];
}

/** nginx in front of the app's replicas (conf.d/default.conf of the official image). */
export function nginxConf(context: InitContext, service: string): string {
  return [
    `# Generated by \`drover init compose\` for app '${context.app.name}': nginx in front of its replicas.`,
    '# nginx resolves the service name to every replica when it starts: after scaling, docker compose restart nginx.',
    '',
    ...nginxSite(context.app, { upstream: `${service.replaceAll('-', '_')}_replicas`, servers: [`${service}:${context.appPort}`], listen: '80' }),
  ].join('\n');
}
