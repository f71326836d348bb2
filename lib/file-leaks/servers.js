'use strict';
// Servers a test file starts listening and never closes. Active handles list only servers that
// keep the process alive, so an unref'd one would be missed: listen() is wrapped while a file
// runs, and each server is remembered weakly.
const net = require('node:net');
const { WeakList } = require('./weak-list');

class ServerWatch {
  #list = new WeakList();
  #original = net.Server.prototype.listen;

  constructor() {
    const list = this.#list;
    const original = this.#original;
    net.Server.prototype.listen = function listen(...args) {
      list.add(this);
      return Reflect.apply(original, this, args);
    };
  }

  /** Servers that listen() was called on since the watch began and that still listen. */
  listening() {
    return this.#list.live((server) => server.listening);
  }

  stop() {
    net.Server.prototype.listen = this.#original;
    this.#list.clear();
  }
}

module.exports = { ServerWatch };
