// jump's public surface for other parts (the CLI, the README demo, benchmarks).
export { startJump, type RunningJump, type StartJumpOptions } from './start-jump.js';
export { defaultJumpConfig, jumpSpec, RESTART_EXIT_CODE, type JumpConfig } from './config.js';
export { enrollOtp, readOtpSecret } from './otp-secrets.js';
export { currentTotp } from './totp.js';
export { startDemoJump, type DemoJump, type DemoJumpOptions } from './demo.js';
export { startDeviceSshd } from './demo-device.js';
