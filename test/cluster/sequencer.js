// The e2e files share one cluster, and what one leaves behind can change the next. Run them in one fixed
// order, largest file first (jest's own order when it has no timing cache), so every run, CI's included,
// sees the same sequence and a failure can be reproduced.
const fs = require('node:fs');
const Sequencer = require('@jest/test-sequencer').default;

class FixedOrder extends Sequencer {
  sort(tests) {
    const size = (test) => fs.statSync(test.path).size;
    // The conversion tests stop their webhook on purpose with the CRDs still pointing at it; watches the
    // apiserver opened on that storage fail to convert for up to a minute, so they go last.
    const last = (test) => (test.path.endsWith('conversion.test.ts') ? 1 : 0);
    return [...tests].sort((a, b) => last(a) - last(b) || size(b) - size(a) || a.path.localeCompare(b.path));
  }
}

module.exports = FixedOrder;
