export { ERROR_CATALOG, type ErrorCode } from './catalog.js';
export { DroverError, InvalidOptionError, isDroverError } from './drover-error.js';
