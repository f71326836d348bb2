// The target of `npm run bench:attach`: a plain HTTP server with a heap of HEAP_MB megabytes of
// small objects (each with its own short string and a one-element array, the shape of most
// server heaps), whose GET /leak keeps one Session per request. On stdin, `write <path>` makes
// V8 write a snapshot of this heap to a file and answers `wrote <ms>`: the anchor the attach
// benchmark compares against. It prints `port <n> heap <MB>` once ready.
'use strict';
const http = require('node:http');
const v8 = require('node:v8');

const wanted = Number(process.env.HEAP_MB ?? 350) * 1e6;
class Item {
  constructor(i) {
    this.i = i;
    this.name = `item-${i}`;
    this.tags = [i];
  }
}
const items = [];
while (items.length % 10000 !== 0 || process.memoryUsage().heapUsed < wanted) items.push(new Item(items.length));
globalThis.items = items;

class Session {
  constructor(url) {
    this.url = url;
    this.at = Date.now();
  }
}
const sessions = [];
const server = http.createServer((req, res) => {
  const s = new Session(req.url);
  if (req.url === '/leak') sessions.push(s);
  res.end('ok\n');
});
server.keepAliveTimeout = 1;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`port ${server.address().port} heap ${Math.round(process.memoryUsage().heapUsed / 1e6)}\n`);
});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text) => {
  for (const line of text.split('\n')) {
    const [command, file] = line.trim().split(' ');
    if (command !== 'write') continue;
    const start = process.hrtime.bigint();
    v8.writeHeapSnapshot(file);
    process.stdout.write(`wrote ${Number(process.hrtime.bigint() - start) / 1e6}\n`);
  }
});
