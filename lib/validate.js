'use strict';
// Option checking shared by the public API: wrong types get a TypeError naming the option.

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const t = typeof value;
  if (t === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (t === 'object') return 'an object';
  if (t === 'function') return 'a function';
  return `${t} ${String(value)}`;
}

function options(where, opts) {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError(`${where}: options must be an object, got ${describe(opts)}`);
  }
  return opts;
}

function oneOf(where, name, value, allowed, fallback) {
  if (value === undefined) return fallback;
  if (!allowed.includes(value)) {
    throw new TypeError(`${where}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`);
  }
  return value;
}

function integer(where, name, value, min, max, fallback) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${where}: ${name} must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

function number(where, name, value, min, max, fallback) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new TypeError(`${where}: ${name} must be a number from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

function boolean(where, name, value, fallback) {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${where}: ${name} must be a boolean, got ${describe(value)}`);
  return value;
}

function optionalString(where, name, value) {
  if (value === undefined || typeof value === 'string') return value;
  throw new TypeError(`${where}: ${name} must be a string, got ${describe(value)}`);
}

// A surrogate without its pair, which UTF-8 (and so the Rust core) cannot hold.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

// Text that reads like such an escape: a backslash, `u` and four hex digits.
const ESCAPE_TEXT = /\\u[0-9a-fA-F]{4}/;

/**
 * A string as it may cross into the Rust core: lone surrogates become their escape (`\ud800`),
 * as JSON.stringify writes them, instead of U+FFFD, so strings that differ only there (labels,
 * groups, metric label values) stay different. One to one: a string that has a lone surrogate
 * or already holds such escape text also has every backslash doubled, so the text `\ud800` and
 * the lone surrogate U+D800 stay apart. Every other string is left as it is.
 */
function wellFormed(s) {
  if (s.isWellFormed() && !ESCAPE_TEXT.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(LONE_SURROGATE, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

module.exports = { describe, options, oneOf, integer, number, boolean, optionalString, wellFormed };
