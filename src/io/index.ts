// Model files: the native format (save/load). ONNX import and export come with the model-files issue.
export { save, load, ModelFileError, FORMAT_VERSION } from './native.js';
export { saveFile, loadFile } from './file.js';
