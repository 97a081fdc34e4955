export { ERROR_CATALOG, type ErrorCode } from './catalog.js';
export { DroverError, InvalidOptionError, errorCode, isDroverError } from './drover-error.js';
