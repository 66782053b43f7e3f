// The device SSH server for tests: an ssh2 server on 127.0.0.1:0 accepting a known password or key,
// running `exec` commands with child_process and giving a pty shell. It lives in jump/demo-device.ts
// because the README demo runs the same server as its demo device.
export { startDeviceSshd, type DeviceSshd, type DeviceSshdOptions } from '../../jump/demo-device.js';
