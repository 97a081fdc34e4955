// Reading where a hung worker's JavaScript is stuck, through Node's inspector.
export { captureStack, STACK_CAPTURE_TIMEOUT_MS, type OpenInspector, type StackCapture, type StackFrame } from './capture-stack.js';
export { describeCapture, describeFrames } from './format-stack.js';
export { CAPTURE_INSPECT_ARGS, usesOwnInspector } from './inspect-flags.js';
