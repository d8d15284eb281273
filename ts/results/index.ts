/**
 * The one results format of the package, for every file it writes (models, checkpoints, fits, tables, fixed points,
 * topologies, analyses): a .npz that numpy reads, with every array of the nested result stored under its dotted path
 * (np.load(f)['eigenvalues.re']) and one `meta` entry, a JSON string that says what the file holds.
 * @module
 */
export {
  META_KEY,
  RESULT_FORMAT_VERSION,
  loadResult,
  recordCommandLine,
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
