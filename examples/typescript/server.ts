// A TypeScript app. Node 20 cannot run .ts on its own, so it is started with a loader:
//   drover run examples/typescript/server.ts --node-args="--import tsx"
import http, { type IncomingMessage, type ServerResponse } from 'node:http';

interface Answer {
  pid: number;
  instance: string;
  language: 'typescript';
}

const port: number = Number(process.env.PORT ?? 3000);

function answer(_req: IncomingMessage, res: ServerResponse): void {
  const body: Answer = { pid: process.pid, instance: process.env.NODE_APP_INSTANCE ?? '-', language: 'typescript' };
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

http.createServer(answer).listen(port, process.env.HOST ?? '127.0.0.1');
