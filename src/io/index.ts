// Model files: the native format (save/load) and ONNX import/export.
export { save, load, ModelFileError, FORMAT_VERSION } from './native.js';
export { saveFile, loadFile } from './file.js';
export { fromONNX, type FromOnnxOptions } from './onnx-import.js';
export { toONNX, type ToOnnxOptions } from './onnx-export.js';
export { OnnxError } from './onnx-proto.js';
