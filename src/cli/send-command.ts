import { callSupervisor, selectRunningApps } from '../control/client.js';
import { InvalidOptionError } from '../errors/index.js';
import { notice } from './control-commands.js';

/**
 * `drover send <app|all> <topic> [json]`: a message to every worker of the app, which
 * its `on(topic, handler)` handlers get (a config update, a cache flush), from outside.
 */
export async function sendCommand(target: string, topic: string, json: string | undefined): Promise<number> {
  let data: unknown = null;
  if (json !== undefined) {
    try {
      data = JSON.parse(json);
    } catch (error) {
      throw new InvalidOptionError([
        `send: expected the message as JSON, got '${json}' (${(error as Error).message}); quote it for the shell: drover send ${target} ${topic} '{"level":"debug"}', or a string: '"text"'`,
      ]);
    }
  }
  for (const app of await selectRunningApps(target, notice)) {
    const { workers } = await callSupervisor(app.socket, 'POST /v1/send', { query: { topic }, body: data });
    process.stdout.write(`${app.name}: '${topic}' sent to ${workers} worker${workers === 1 ? '' : 's'}\n`);
  }
  return 0;
}
