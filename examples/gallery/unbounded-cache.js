// Leak pattern: an unbounded cache. Every request renders a page and caches it under a key that
// includes the session id, so no key is ever used twice and the cache only grows.
//
//   node examples/gallery/unbounded-cache.js        (the fix: unbounded-cache.fixed.js)
'use strict';
const { hunt } = require('./hunt');

class RenderedPage {
  constructor(url) {
    this.url = url;
    this.html = `<main>${url}</main>`.repeat(50);
  }
}

const pages = new Map();

function render(url) {
  let page = pages.get(url);
  if (!page) {
    page = new RenderedPage(url);
    pages.set(url, page); // the bug: nothing ever leaves the cache
  }
  return page.html.length;
}

hunt('Unbounded cache', (i) => render(`/products/${i % 5}?session=${i}`));
