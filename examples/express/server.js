// An Express app, CommonJS, unchanged from how it would run under plain `node`.
const express = require('express');

const app = express();
const port = Number(process.env.PORT ?? 3000);

app.get('/', (req, res) => {
  res.json({ pid: process.pid, instance: process.env.NODE_APP_INSTANCE ?? '-', framework: 'express' });
});

app.listen(port, process.env.HOST ?? '127.0.0.1');
