module.exports = { skipDownload: true }; // memlab (a dev dependency) pulls in puppeteer; no browser is needed
