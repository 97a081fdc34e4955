// Which workers drover may open the inspector of, and on what port.

/**
 * Given to each worker unless the app sets up the inspector itself: the port SIGUSR1
 * opens the inspector on. Port 0, so that two workers (or another program on 9229)
 * never collide, and the worker prints the one it got; loopback only.
 */
export const CAPTURE_INSPECT_ARGS: readonly string[] = ['--inspect-port=127.0.0.1:0'];

const INSPECT_FLAG = /(^|\s)--(inspect(-brk|-wait|-port)?|debug-port)(=|\s|$)/;

/** Whether the app sets up Node's inspector itself (node_args or NODE_OPTIONS): drover then leaves its flags and port alone. */
export function usesOwnInspector(nodeArgs: readonly string[], nodeOptions: string | undefined): boolean {
  return nodeArgs.some((arg) => INSPECT_FLAG.test(arg)) || INSPECT_FLAG.test(nodeOptions ?? '');
}

/** What Node prints about its inspector: opening, a client attaching, closing. */
export const NODE_INSPECTOR_LINE = /^(Debugger listening on ws:|For help, see: https:\/\/nodejs\.org\/en\/docs\/inspector|Debugger attached\.|Debugger ending on ws:|Waiting for the debugger to disconnect)/;
