'use strict';
// Whether a stack line or script path points into leakhound itself (whatever its directory is
// called), so stacks and allocation sites shown to users start at their own code.
const path = require('node:path');

const root = path.dirname(__dirname);
const ownPrefixes = [path.join(root, 'lib', path.sep), path.join(root, 'adapters', path.sep), path.join(root, 'index.')];

const isOwnCode = (text) => ownPrefixes.some((p) => text.includes(p));

module.exports = { isOwnCode };
