module.exports = {
  rootDir: __dirname,
  testMatch: ['<rootDir>/*.test.js'],
  testEnvironment: 'node',
  // Explained survivors and assertNoLeak take heap snapshots of the test process: seconds each.
  testTimeout: 60_000,
};
