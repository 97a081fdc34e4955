import type { Socket } from 'socket.io-client';

/** Resolves once every client is connected; rejects with the first connect error. */
export async function connected(clients: readonly Socket[]): Promise<void> {
  await Promise.all(clients.map((client) => new Promise((resolve, reject) => client.once('connect', () => resolve(undefined)).once('connect_error', reject))));
}
