'use strict';
// Loads the Rust addon built by `npm install` (napi build --release) into the package root.
const path = require('node:path');

const file = path.join(__dirname, '..', 'leakhound.node');
let native;
try {
  native = require(file);
} catch (err) {
  const e = new Error(
    `leakhound: cannot load the native addon at ${file} (${err.message}). ` +
      'It is built from source by `npm install` (needs a Rust toolchain); run `npm run build` to rebuild it.',
  );
  e.cause = err;
  throw e;
}
module.exports = native;
