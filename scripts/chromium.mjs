// The one place that says how Tessera's tests and benchmarks launch a browser: Debian's Chromium
// (never a downloaded one) with flags that keep it off the network and out of first-run work.
export const CHROMIUM_PATH = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
