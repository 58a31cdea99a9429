// Keeps the local cluster's logs when any e2e test failed, and says where they are.
// Reporters' onRunComplete runs before globalTeardown, which then leaves the directory in place.
class FailureReporter {
  onRunComplete(_contexts, results) {
    const logDir = process.env.OUTRIGGER_E2E_LOG_DIR;
    if (results.numFailedTests > 0 || results.numFailedTestSuites > 0) {
      process.env.OUTRIGGER_KEEP_CLUSTER_DIR = '1';
      if (logDir) process.stderr.write(`\ne2e: tests failed; control-plane logs are kept in ${logDir}\n`);
    }
  }
}
module.exports = FailureReporter;
