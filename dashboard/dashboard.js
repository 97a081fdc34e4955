// drover's dashboard: per-worker charts of the last 15 minutes and the timeline, from
// the admin listener's live feed (GET /v1/events, Server-Sent Events). Plain browser
// JavaScript, served as it is (no build step); the charts are uPlot's.
'use strict';

(() => {
  const CHARTS = [
    { id: 'rps', pick: (s) => s.rps },
    { id: 'p99', pick: (s) => s.p99 },
    { id: 'rss', pick: (s) => Math.round((s.rss / 1048576) * 10) / 10 },
    { id: 'eld', pick: (s) => s.eld },
  ];
  const COLORS = ['#2f6fdf', '#e0457b', '#20a080', '#b07a00', '#8a4fd0', '#d05a20', '#4a90a0', '#708020'];
  // Timeline kinds marked on the charts, by family (the colours are in dashboard.css).
  const MARKED = {
    'reload-started': 'reload',
    'reload-finished': 'reload',
    'config-updated': 'reload',
    restart: 'restart',
    restarting: 'restart',
    'memory-limit': 'restart',
    'event-loop-delay': 'restart',
    'health-check': 'restart',
    crashed: 'crash',
    unresponsive: 'crash',
    killed: 'crash',
  };
  const MARK_COLORS = { reload: '#2f6fdf', restart: '#e08a00', crash: '#d22' };
  const TIMELINE_ROWS = 300;

  let windowMs = 15 * 60_000;
  let samples = [];
  let events = [];
  let slots = [];
  const charts = new Map();
  const status = document.getElementById('status');
  const timeline = document.getElementById('timeline');

  // What a test (or a curious person in the console) can read of the page.
  window.droverDashboard = {
    connected: false,
    /** Points on the charts per worker slot. */
    points: {},
    events: () => events.slice(),
  };

  const setStatus = (state, text) => {
    status.dataset.state = state;
    status.textContent = text;
  };

  function connect() {
    const feed = new EventSource('/v1/events');
    feed.addEventListener('history', (message) => {
      const history = JSON.parse(message.data);
      windowMs = history.windowMs;
      samples = history.samples;
      events = history.events;
      document.getElementById('app').textContent = history.app;
      document.title = `${history.app} · drover`;
      window.droverDashboard.connected = true;
      setStatus('live', `live · a sample per worker every ${Math.round(history.statsIntervalMs / 100) / 10} s`);
      drawTimeline();
      schedule();
    });
    feed.addEventListener('sample', (message) => {
      samples.push(JSON.parse(message.data));
      schedule();
    });
    feed.addEventListener('timeline', (message) => {
      events.push(JSON.parse(message.data));
      drawTimeline();
      schedule();
    });
    // This page fell behind and lost some of the feed: samples leave gaps; lost
    // timeline events come back with the history of a new connection.
    feed.addEventListener('dropped', (message) => {
      if (JSON.parse(message.data).events > 0) {
        feed.close();
        connect();
      }
    });
    // EventSource reconnects by itself (the feed says after 3 s); the history comes again.
    feed.addEventListener('error', () => {
      window.droverDashboard.connected = false;
      setStatus('reconnecting', feed.readyState === EventSource.CLOSED ? 'disconnected: reload the page' : 'reconnecting…');
    });
  }

  // Redraw at most once a frame, however many samples arrive.
  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      draw();
    });
  }

  function draw() {
    const since = Date.now() - windowMs;
    samples = samples.filter((s) => s.at >= since);
    events = events.filter((e) => e.at >= since);
    const seen = [...new Set(samples.map((s) => s.slot))].sort((a, b) => a - b);
    if (seen.join() !== slots.join()) {
      slots = seen;
      for (const chart of charts.values()) chart.destroy();
      charts.clear();
    }
    // One x axis for all workers: every sample's time; a worker has no value (null, the
    // line spans the gap) where another reported.
    const times = [...new Set(samples.map((s) => s.at))].sort((a, b) => a - b);
    const index = new Map(times.map((at, i) => [at, i]));
    const points = {};
    for (const { id, pick } of CHARTS) {
      const series = slots.map(() => new Array(times.length).fill(null));
      for (const sample of samples) series[slots.indexOf(sample.slot)][index.get(sample.at)] = pick(sample);
      const data = [times.map((at) => at / 1000), ...series];
      let chart = charts.get(id);
      if (!chart) {
        chart = makeChart(id);
        charts.set(id, chart);
      }
      chart.setData(data);
      if (id === 'rps') slots.forEach((slot, i) => (points[slot] = series[i].filter((value) => value !== null).length));
    }
    window.droverDashboard.points = points;
  }

  function makeChart(id) {
    const target = document.getElementById(`chart-${id}`);
    const opts = {
      width: target.clientWidth || 480,
      height: 220,
      scales: { x: { time: true } },
      series: [{}, ...slots.map((slot, i) => ({ label: `worker ${slot}`, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true, points: { show: false } }))],
      axes: [{}, { size: 60 }],
      hooks: { draw: [drawMarks] },
    };
    return new uPlot(opts, [[], ...slots.map(() => [])], target);
  }

  // Restarts, reloads and crashes as dashed vertical lines across the plot.
  function drawMarks(chart) {
    const { ctx, bbox } = chart;
    ctx.save();
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.setLineDash([5 * devicePixelRatio, 4 * devicePixelRatio]);
    for (const event of events) {
      const family = MARKED[event.kind];
      if (!family) continue;
      const x = Math.round(chart.valToPos(event.at / 1000, 'x', true));
      if (x < bbox.left || x > bbox.left + bbox.width) continue;
      ctx.strokeStyle = MARK_COLORS[family];
      ctx.beginPath();
      ctx.moveTo(x, bbox.top);
      ctx.lineTo(x, bbox.top + bbox.height);
      ctx.stroke();
    }
    ctx.restore();
  }

  function drawTimeline() {
    const rows = events.slice(-TIMELINE_ROWS).reverse().map((event) => {
      const row = document.createElement('li');
      row.className = MARKED[event.kind] ?? '';
      row.dataset.kind = event.kind;
      const time = document.createElement('time');
      time.dateTime = new Date(event.at).toISOString();
      time.textContent = new Date(event.at).toLocaleTimeString();
      const kind = document.createElement('span');
      kind.className = 'kind';
      kind.textContent = event.slot === undefined || event.slot === null ? event.kind : `${event.kind} [${event.slot}]`;
      row.append(time, kind, document.createTextNode(event.detail));
      return row;
    });
    timeline.replaceChildren(...rows);
  }

  window.addEventListener('resize', () => {
    for (const [id, chart] of charts) chart.setSize({ width: document.getElementById(`chart-${id}`).clientWidth || 480, height: 220 });
  });

  connect();
})();
