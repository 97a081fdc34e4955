import type net from 'node:net';

// Closing one upgraded WebSocket connection cleanly, for a drain: a close frame with a
// code that tells the client why, instead of the bare TCP cut (1006, "abnormal") it
// would get at kill_timeout.

/** RFC 6455 close codes (IANA's registry): the server restarts, come back (reload, restart, scale). */
export const CLOSE_SERVICE_RESTART = 1012;
/** The server is going away (stop). */
export const CLOSE_GOING_AWAY = 1001;

/** The readyState of a `ws` WebSocket that is open (not connecting, closing or closed). */
const WS_OPEN = 1;

/** What drover uses of a `ws` WebSocket. */
interface LibraryWebSocket {
  readyState: number;
  close(code: number): void;
}

/**
 * The `ws` package's WebSocket for this connection, if it made one. ws keeps it on the
 * net.Socket under `Symbol('websocket')` (kWebSocket in ws/lib/constants.js), a symbol
 * of its own, not a global one: each copy of ws (the app's, engine.io's for Socket.IO)
 * has its own, with that description.
 */
export function libraryWebSocket(socket: net.Socket): LibraryWebSocket | undefined {
  for (const symbol of Object.getOwnPropertySymbols(socket)) {
    if (symbol.description !== 'websocket') continue;
    const value = (socket as unknown as Record<symbol, unknown>)[symbol] as Partial<LibraryWebSocket> | null | undefined;
    if (typeof value?.close === 'function' && typeof value.readyState === 'number') return value as LibraryWebSocket;
  }
  return undefined;
}

/** A server's close frame: FIN and opcode 0x8, unmasked (server to client), the 2-byte code as its payload. */
export function closeFrame(code: number): Buffer {
  return Buffer.from([0x88, 0x02, code >> 8, code & 0xff]);
}

/**
 * Close an upgraded WebSocket connection with `code`. Through ws when ws owns it, so
 * that the app hears an ordinary 'close' (Socket.IO a "transport close"), and ws
 * finishes the closing handshake; else with a close frame written here, then the end
 * of the socket. Returns false, touching nothing, when the socket is gone, the app is
 * closing it already, or the app has not answered the upgrade (it is no WebSocket yet).
 */
export function closeWebSocket(socket: net.Socket, code: number): boolean {
  if (socket.destroyed || !socket.writable) return false;
  const library = libraryWebSocket(socket);
  if (library) {
    if (library.readyState !== WS_OPEN) return false;
    library.close(code);
    return true;
  }
  if (socket.bytesWritten === 0) return false;
  socket.end(closeFrame(code));
  return true;
}
