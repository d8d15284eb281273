// The one results format of the package (see format.ts): flattened arrays plus one `meta` entry.
export {
  META_KEY,
  RESULT_FORMAT_VERSION,
  loadResult,
  resultArrays,
  resultGroup,
  resultMeta,
  saveAnalysis,
  saveResult,
  type LoadedResult,
  type ResultKind,
  type ResultMeta,
  type SaveResultOptions,
} from './format.js';
