// The fix for unbounded-cache.js: a least-recently-used cache with a fixed capacity. Once warm,
// each new page evicts the oldest, so memory stays flat however many requests come.
//
//   node examples/gallery/unbounded-cache.fixed.js
'use strict';
const { hunt } = require('./hunt');

class RenderedPage {
  constructor(url) {
    this.url = url;
    this.html = `<main>${url}</main>`.repeat(50);
  }
}

const CAPACITY = 10;
const pages = new Map(); // insertion order is recency order

function render(url) {
  let page = pages.get(url);
  if (page) pages.delete(url);
  else page = new RenderedPage(url);
  pages.set(url, page);
  if (pages.size > CAPACITY) pages.delete(pages.keys().next().value);
  return page.html.length;
}

hunt('Unbounded cache, fixed with an LRU of fixed size', (i) => render(`/products/${i % 5}?session=${i}`));
