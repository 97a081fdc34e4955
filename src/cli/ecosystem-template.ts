// The sample config `drover ecosystem` writes (PM2's `pm2 ecosystem`): CommonJS, as
// PM2 reads it, each option with a line saying what it does. Every value is drover's
// default or a common choice, so that the file runs as it is once app.js exists, and a
// test checks that `drover config` accepts it.

export const ECOSYSTEM_TEMPLATE = `// drover (and PM2) config: \`drover start\` in this folder starts every app below;
// \`drover config\` shows each option as drover reads it, with its default and source.
module.exports = {
  apps: [
    {
      name: 'app', // the name in drover ls, logs and every command (default: the script's file name)
      script: './app.js', // the entry file (.js, .cjs, .mjs, .ts), relative to cwd
      // cwd: './', // the workers' working directory (default: this file's folder)
      args: [], // arguments for the script, as process.argv sees them
      instances: 'auto', // workers: a number, 'max' (every CPU) or 'auto' (CPUs, limited by memory)
      exec_mode: 'cluster', // 'cluster': the workers share the port; 'fork': each binds its own
      env: { // variables for every worker
        NODE_ENV: 'development',
        PORT: '3000',
      },
      env_production: { // merged over env with: drover start --env production
        NODE_ENV: 'production',
      },
      max_memory_restart: '300M', // replace a worker whose RSS goes over this (K, M, G: powers of 1024)
      kill_timeout: 5000, // ms a draining worker may take on stop or reload before SIGKILL
      wait_ready: false, // true: a worker is up when it calls process.send('ready'), not when it listens
      listen_timeout: 3000, // ms to wait for a worker to be up before warning (and stopping a reload)
      min_uptime: 1000, // ms: a worker that dies sooner counts toward a crash loop
      max_restarts: 16, // quick crashes in a row before drover stops restarting
      autorestart: true, // false: a worker that exits stays down
      // out_file: './logs/out.log', // stdout (default: $DROVER_HOME/logs/<name>.out.log)
      // error_file: './logs/err.log', // stderr (default: $DROVER_HOME/logs/<name>.err.log)
      // time: true, // start each log line with an ISO 8601 time
    },
  ],
};
`;
