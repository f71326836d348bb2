// Vitest reporter for LEAKHOUND_DETECT_FAIL=run: `reporters: ['default',
// 'leakhound/vitest/detect-reporter']`. The detect setup file leaves each leaking file's report
// in the file's task meta instead of failing it; at the end of the run they are printed together
// and the run fails.
export default class LeakhoundDetectReporter {
  onTestRunEnd(testModules) {
    const reports = testModules.map((m) => m.meta()?.leakhound).filter((r) => typeof r === 'string');
    if (reports.length === 0) return;
    const n = reports.length;
    process.stderr.write(`\nleakhound: ${n} test file${n === 1 ? '' : 's'} leaked\n\n${reports.join('\n\n')}\n`);
    process.exitCode = 1;
  }
}
