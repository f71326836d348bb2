// A real HTTP server with a real leak, found and explained by leakhound's three-snapshot method.
//
//   node examples/leaky-server.js
//   node examples/leaky-server.js --html report.html   (also writes the HTML report)
//
// Every request to /orders creates an OrderContext and subscribes it to the price feed, a
// long-lived EventEmitter, so the feed can push price changes to the order while it is being
// handled, but nothing ever unsubscribes. The script serves requests on 127.0.0.1, writes
// three heap snapshots (after a warm-up, after a round of requests, after a second round), and
// asks leakhound which objects allocated in the first round are still alive at the end, and why.
const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const { EventEmitter } = require('node:events');
const { spawnSync } = require('node:child_process');
const { Sampler } = require('..');

const htmlAt = process.argv.indexOf('--html');
const htmlOut = htmlAt > 0 ? path.resolve(process.argv[htmlAt + 1] ?? 'report.html') : null;
// The memory timeline for the report: a sample every 50 ms and after each major GC.
const sampler = new Sampler({ intervalMs: 50 }).start();

const priceFeed = new EventEmitter(); // lives as long as the server
priceFeed.setMaxListeners(0);

class OrderContext {
  constructor(id, body) {
    this.id = id;
    this.body = body;
    this.lines = Array.from({ length: 20 }, (_, i) => ({ sku: `sku-${i}`, qty: i % 3 }));
  }
}

let nextOrder = 0;
const server = http.createServer((req, res) => {
  const order = new OrderContext(++nextOrder, req.url);
  priceFeed.on('price', function repriceOrder(sku, price) {
    for (const line of order.lines) if (line.sku === sku) line.price = price;
  });
  res.end(JSON.stringify({ order: order.id }));
});

function request(port) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/orders', agent: false }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
      .on('error', reject);
  });
}

async function round(port, n) {
  for (let i = 0; i < n; i++) await request(port);
}

(async () => {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakhound-example-'));
  const snap = (name) => v8.writeHeapSnapshot(path.join(dir, `${name}.heapsnapshot`));
  try {
    await round(port, 50); // warm-up: code, caches and sockets a server needs anyway
    const baseline = snap('baseline');
    await round(port, 200);
    const target = snap('target');
    await round(port, 200);
    const final = snap('final');
    console.log(`Served ${nextOrder} requests; finding what the middle 200 left behind…\n`);
    // `leakhound` as npm installs it.
    const cli = path.join(__dirname, '..', 'bin', 'leakhound.js');
    const r = spawnSync(process.execPath, [cli, 'find-leaks', baseline, target, final, '--top', '3'], { stdio: 'inherit' });
    process.exitCode = r.status;
    if (htmlOut) {
      sampler.stop();
      const timeline = path.join(dir, 'samples.json');
      fs.writeFileSync(timeline, JSON.stringify(sampler.samples()));
      const title = 'leaky-server.js: three snapshots, 200 requests apart';
      const args = [...cli, 'report', baseline, target, final, '--html', htmlOut, '--timeline', timeline, '--title', title];
      process.exitCode ||= spawnSync(cmd, args, { stdio: 'inherit' }).status;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    server.close();
  }
})();
