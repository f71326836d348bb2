module.exports = {
  rootDir: __dirname,
  testMatch: ['<rootDir>/*.test.js'],
  testEnvironment: 'node',
};
