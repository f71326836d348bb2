// The leak report's page script: runs in the browser, inlined into the report by html.rs.
// Everything from the data is inserted as text, never as markup. Lists render one page at a time.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('leakhound-data').textContent);
  var GROUPS_PER_PAGE = 20;
  var ROWS_PER_PAGE = 50;

  // Sizes in decimal units, as the text reports print them (report/text.rs `bytes`).
  function bytes(n) {
    var sign = n < 0 ? '-' : '';
    var v = Math.abs(n);
    var units = ['B', 'kB', 'MB', 'GB', 'TB'];
    var u = 0;
    while (v >= 1000 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    return sign + (u === 0 ? v : v.toFixed(v < 10 ? 2 : 1)) + ' ' + units[u];
  }

  function count(n) {
    return Number(n).toLocaleString('en-US');
  }
  function signed(n, f) {
    return n > 0 ? '+' + f(n) : f(n);
  }
  function share(n) {
    if (!data.heapSize) return null;
    var p = (100 * n) / data.heapSize;
    return p >= 10 ? p.toFixed(0) + '%' : p >= 0.1 ? p.toFixed(1) + '%' : '<0.1%';
  }
  // Paths under the report's base directory read relative to it.
  var base = data.baseDir ? data.baseDir.replace(/\/+$/, '') + '/' : null;
  function shortPath(p) {
    var plain = p.indexOf('file://') === 0 ? decoded(p.slice(7)) : p;
    return base && plain.indexOf(base) === 0 ? plain.slice(base.length) : p;
  }
  // A malformed escape in a script URL (decodeURI throws on it) is shown as it is, rather than
  // stopping the page with nothing drawn.
  function decoded(text) {
    try {
      return decodeURI(text);
    } catch (e) {
      return text;
    }
  }
  function where(loc) {
    return loc ? shortPath(loc.script) + ':' + loc.line + ':' + loc.column : '';
  }

  // el('div', { class: 'x' }, child, 'text', ...): children are nodes or text.
  function el(tag, attrs) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) if (attrs[k] !== undefined && attrs[k] !== null) node.setAttribute(k, attrs[k]);
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function groupTitle(g) {
    if (g.type === 'closure') {
      var fn = g.trace.length ? g.trace[g.trace.length - 1].name : '';
      return count(g.count) + ' × ' + (fn || '(anonymous)') + '() closures';
    }
    return count(g.count) + ' × ' + g.name;
  }
  function foldedText(a) {
    if (a.type === 'closure') {
      return count(a.count) + ' × ' + (a.functionName || '(anonymous)') + '() closures' + (a.location ? ' (' + shortPath(a.location.script) + ':' + a.location.line + ')' : '');
    }
    return count(a.count) + ' × ' + a.name;
  }
  function frameText(f) {
    return f.functionName + ' (' + shortPath(f.script) + ':' + f.line + ':' + f.column + ')';
  }

  // A retainer path as a chain of boxes from the GC root, each link labelled with its edge.
  function chain(trace) {
    var list = el('ol', { class: 'chain' }, el('li', { class: 'node root' }, el('b', null, 'GC roots')));
    trace.forEach(function (step, i) {
      var name = step.type === 'closure' ? (step.name || '(anonymous)') + '()' : step.className;
      list.appendChild(el('li', { class: 'edge' }, el('span', { class: 'edge-name' }, step.edge), el('span', { class: 'edge-type' }, step.edgeType)));
      list.appendChild(
        el(
          'li',
          { class: 'node' + (i === trace.length - 1 ? ' leaked' : ''), 'data-type': step.type },
          el('b', null, name),
          el('span', { class: 'id' }, '@' + step.id),
          step.repeat ? el('span', { class: 'repeat', title: 'the same hop, repeated' }, '× ' + step.repeat) : null,
          step.location ? el('span', { class: 'loc' }, where(step.location)) : null,
          step.retainedSize !== undefined ? el('span', { class: 'size' }, 'retains ' + bytes(step.retainedSize)) : null,
        ),
      );
    });
    return list;
  }

  function groupCard(g, rank) {
    var pct = share(g.retainedSize);
    var bar = pct ? el('span', { class: 'bar', title: pct + ' of the final heap' }, el('span', { class: 'fill' })) : null;
    if (bar) bar.firstChild.style.width = Math.max(0.5, Math.min(100, (100 * g.retainedSize) / data.heapSize)) + '%';
    var facts = el(
      'p',
      { class: 'facts' },
      el('span', { class: 'retained' }, 'retains ' + bytes(g.retainedSize)),
      g.bufferSize ? el('span', { class: 'buffers' }, 'of which ' + bytes(g.bufferSize) + ' in buffers') : null,
      pct ? el('span', { class: 'share' }, pct + ' of heap') : null,
      bar,
      el('span', { class: 'self' }, 'self ' + bytes(g.selfSize)),
    );
    var also = g.alsoRetains && g.alsoRetains.length ? el('p', { class: 'also' }, el('b', null, 'also retains '), g.alsoRetains.map(foldedText).join(', ')) : null;
    var alloc = g.allocation && g.allocation.length ? el('p', { class: 'alloc' }, el('b', null, 'allocated in '), g.allocation.slice(0, 6).map(frameText).join(' ← ')) : null;
    return el(
      'article',
      { class: 'group', 'data-rank': rank, 'data-name': g.name },
      el('h3', null, el('span', { class: 'rank' }, '#' + rank), ' ', groupTitle(g), g.location ? el('span', { class: 'loc' }, where(g.location)) : null),
      facts,
      also,
      alloc,
      el('details', { open: '' }, el('summary', null, 'Retainer path (' + g.trace.length + ' steps)'), chain(g.trace)),
    );
  }

  // A pager over a list: renders one page through `draw(items, offset)`.
  function pager(nav, noun, perPage, draw) {
    var state = { items: [], page: 0 };
    function button(label, page, disabled) {
      var b = el('button', { type: 'button', 'data-page': page }, label);
      b.disabled = disabled;
      b.addEventListener('click', function () {
        show(page);
      });
      return b;
    }
    function show(page) {
      var pages = Math.max(1, Math.ceil(state.items.length / perPage));
      state.page = Math.max(0, Math.min(page, pages - 1));
      var from = state.page * perPage;
      var shown = state.items.slice(from, from + perPage);
      draw(shown, from);
      clear(nav);
      var last = pages - 1;
      nav.appendChild(button('« First', 0, state.page === 0));
      nav.appendChild(button('‹ Prev', state.page - 1, state.page === 0));
      nav.appendChild(
        el('span', { class: 'range' }, state.items.length ? count(from + 1) + '–' + count(from + shown.length) + ' of ' + count(state.items.length) + ' ' + noun : 'no ' + noun),
      );
      nav.appendChild(button('Next ›', state.page + 1, state.page === last));
      nav.appendChild(button('Last »', last, state.page === last));
    }
    return {
      set: function (items) {
        state.items = items;
        show(0);
      },
      show: show,
    };
  }

  function filterable(input, items, text, onChange) {
    var keyed = items.map(function (x) {
      return { item: x, key: text(x).toLowerCase() };
    });
    function apply() {
      var q = input.value.trim().toLowerCase();
      onChange(
        q
          ? keyed
              .filter(function (k) {
                return k.key.indexOf(q) !== -1;
              })
              .map(function (k) {
                return k.item;
              })
          : items,
      );
    }
    input.addEventListener('input', apply);
    apply();
  }

  function overview() {
    if (data.allocationsOnly) return allocationOverview();
    var n = data.leaks.length;
    var retained = data.leaks.reduce(function (a, g) {
      return a + g.retainedSize;
    }, 0);
    var text = n
      ? count(data.leakedObjects) + ' leaked objects in ' + count(n) + ' group' + (n === 1 ? '' : 's') + ', retaining ' + bytes(retained) + (share(retained) ? ' (' + share(retained) + ' of the final heap of ' + bytes(data.heapSize) + ')' : '')
      : data.survivingObjects
        ? 'No leaks: ' + count(data.survivingObjects) + " objects allocated between baseline and target survive in final, none of them the program's own (engine internals: compiled code, hidden classes, system objects)."
        : 'No leaks: nothing allocated between baseline and target survives in final.';
    var p = document.getElementById('overview');
    p.appendChild(el('span', { class: n ? 'verdict leak' : 'verdict clean' }, n ? 'Leak found' : 'Clean'));
    p.appendChild(document.createTextNode(' ' + text));
    if (data.iterations) p.appendChild(document.createTextNode(' Iterations: ' + count(data.iterations) + '.'));
    var files = document.getElementById('files');
    if (data.files) {
      ['baseline', 'target', 'final'].forEach(function (k) {
        if (data.files[k]) {
          files.appendChild(el('dt', null, k));
          files.appendChild(el('dd', null, shortPath(data.files[k])));
        }
      });
    }
    files.appendChild(el('dt', null, 'generated'));
    files.appendChild(el('dd', null, data.generatedAt));
  }

  function allocationOverview() {
    var n = data.allocationSites.length;
    var p = document.getElementById('overview');
    p.appendChild(el('span', { class: n ? 'verdict leak' : 'verdict clean' }, n ? 'Growing sites' : 'Clean'));
    p.appendChild(document.createTextNode(' ' + (n ? count(n) + ' allocation site' + (n === 1 ? '' : 's') + ' keep more and more live memory.' : 'No allocation site keeps more and more live memory.')));
    var files = document.getElementById('files');
    files.appendChild(el('dt', null, 'generated'));
    files.appendChild(el('dd', null, data.generatedAt));
  }

  function leaks() {
    if (data.allocationsOnly) return;
    var list = document.getElementById('leak-list');
    var p = pager(document.getElementById('leak-pager'), 'groups', GROUPS_PER_PAGE, function (shown, from) {
      clear(list);
      shown.forEach(function (g) {
        list.appendChild(groupCard(g, g.__rank));
      });
      if (from > 0) document.getElementById('leaks').scrollIntoView();
    });
    data.leaks.forEach(function (g, i) {
      g.__rank = i + 1;
    });
    filterable(
      document.getElementById('leak-filter'),
      data.leaks,
      function (g) {
        var fn = g.trace.length ? g.trace[g.trace.length - 1].name : '';
        return [g.name, fn, where(g.location)].concat((g.alsoRetains || []).map(foldedText)).join(' ');
      },
      p.set,
    );
  }

  function collections() {
    if (!data.collections.length) return;
    var section = document.getElementById('collections');
    section.hidden = false;
    var list = document.getElementById('collection-list');
    data.collections.slice(0, 100).forEach(function (c) {
      list.appendChild(
        el(
          'article',
          { class: 'collection' },
          el('h3', null, c.name + ' @' + c.id + ' grew by ' + count(c.added) + ' entries'),
          el('p', { class: 'facts' }, el('span', { class: 'retained' }, 'retains ' + bytes(c.retainedSize))),
          el('details', null, el('summary', null, 'Retainer path (' + c.trace.length + ' steps)'), chain(c.trace)),
        ),
      );
    });
  }

  function allocations() {
    var sites = data.allocationSites;
    if (!sites) return;
    var list = document.getElementById('allocation-list');
    if (!sites.length) {
      list.appendChild(el('p', null, 'No allocation site grows.'));
      return;
    }
    sites.slice(0, 100).forEach(function (s) {
      list.appendChild(
        el(
          'article',
          { class: 'collection' },
          el('h3', null, (s.functionName || '(anonymous)') + ' at ' + shortPath(s.script) + ':' + s.line + ':' + s.column),
          el(
            'p',
            { class: 'facts' },
            el('span', { class: 'retained' }, bytes(s.liveBytes) + ' live, +' + bytes(s.slopeBytesPerSec) + '/s'),
            ' confidence ' + (100 * s.confidence).toFixed(1) + '%',
          ),
          el('details', null, el('summary', null, 'Allocating stack (' + s.stack.length + ' frames)'), el('pre', null, s.stack.join('\n'))),
        ),
      );
    });
  }

  var DIFF_COLUMNS = [
    { key: 'name', title: 'Class', text: String },
    { key: 'type', title: 'Type', text: String },
    { key: 'sizeDelta', title: 'Size Δ', text: function (n) { return signed(n, bytes); }, num: true },
    { key: 'countDelta', title: 'Count Δ', text: function (n) { return signed(n, count); }, num: true },
    { key: 'addedCount', title: 'New', text: count, num: true },
    { key: 'removedCount', title: 'Freed', text: count, num: true },
    { key: 'countAfter', title: 'Count', text: count, num: true },
    { key: 'sizeAfter', title: 'Size', text: bytes, num: true },
  ];

  function diff() {
    if (!data.classDiff) return;
    document.getElementById('diff').hidden = false;
    var table = document.getElementById('diff-table');
    var body = table.tBodies[0];
    var rows = data.classDiff.slice();
    var sort = { key: 'sizeDelta', dir: -1 };
    var p = pager(document.getElementById('diff-pager'), 'classes', ROWS_PER_PAGE, function (shown) {
      clear(body);
      shown.forEach(function (r) {
        var tr = el('tr');
        DIFF_COLUMNS.forEach(function (c) {
          tr.appendChild(el('td', { class: c.num ? 'num' : null }, c.text(r[c.key])));
        });
        body.appendChild(tr);
      });
    });
    var filter = document.getElementById('diff-filter');
    var current = rows;
    function sorted(list) {
      return list.slice().sort(function (a, b) {
        var x = a[sort.key];
        var y = b[sort.key];
        var c = typeof x === 'number' ? x - y : String(x).localeCompare(String(y));
        return sort.dir * c || b.sizeDelta - a.sizeDelta;
      });
    }
    var headRow = el('tr');
    DIFF_COLUMNS.forEach(function (c) {
      var th = el('th', { scope: 'col', 'data-key': c.key, class: c.num ? 'num' : null }, el('button', { type: 'button' }, c.title));
      th.firstChild.addEventListener('click', function () {
        sort = { key: c.key, dir: sort.key === c.key ? -sort.dir : c.num ? -1 : 1 };
        mark();
        p.set(sorted(current));
      });
      headRow.appendChild(th);
    });
    table.tHead.appendChild(headRow);
    function mark() {
      Array.prototype.forEach.call(headRow.children, function (th) {
        th.setAttribute('aria-sort', th.getAttribute('data-key') === sort.key ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none');
      });
    }
    mark();
    filterable(
      filter,
      rows,
      function (r) {
        return r.name + ' ' + r.type;
      },
      function (list) {
        current = list;
        p.set(sorted(list));
      },
    );
  }

  overview();
  leaks();
  collections();
  allocations();
  diff();
  document.body.setAttribute('data-ready', 'true');
})();
