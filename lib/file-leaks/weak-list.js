'use strict';
// Objects remembered weakly, in a list that prunes itself: bounded however many are added.
const PRUNE_AT = 1024;

class WeakList {
  #refs = new Set();
  #pruneAt = PRUNE_AT;

  add(object) {
    this.#refs.add(new WeakRef(object));
    if (this.#refs.size >= this.#pruneAt) {
      this.live(() => true);
      this.#pruneAt = Math.max(PRUNE_AT, this.#refs.size * 2);
    }
  }

  /** The objects still alive for which `keep` holds; the others are forgotten. */
  live(keep) {
    const out = [];
    for (const ref of this.#refs) {
      const object = ref.deref();
      if (object === undefined || !keep(object)) this.#refs.delete(ref);
      else out.push(object);
    }
    return out;
  }

  clear() {
    this.#refs.clear();
  }
}

module.exports = { WeakList };
