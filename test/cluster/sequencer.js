// The e2e files share one cluster, and what one leaves behind can change the next. Run them in one fixed
// order, largest file first (jest's own order when it has no timing cache), so every run, CI's included,
// sees the same sequence and a failure can be reproduced.
const fs = require('node:fs');
const Sequencer = require('@jest/test-sequencer').default;

class FixedOrder extends Sequencer {
  sort(tests) {
    const size = (test) => fs.statSync(test.path).size;
    return [...tests].sort((a, b) => size(b) - size(a) || a.path.localeCompare(b.path));
  }
}

module.exports = FixedOrder;
