/** Path normalisation lives with the config (route paths are normalised the same way); routing re-exports it. */
export { normalizePath, removeDotSegments, type NormalizedPath, type PathOptions } from "../../config/path.js";
