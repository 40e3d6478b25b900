/**
 * ONNX interchange: `onnx.export(model, args, options)` writes a model as ONNX bytes that ONNX
 * Runtime and other tools run; `onnx.load(bytes)` reads an ONNX model as a trainable Module.
 * @example const bytes = onnx.export(model.eval(), randn([1, 784]), { dynamicAxes: { input: [0], output: [0] } });
 */
export { exportModel as export, exportToFile, type ExportOptions } from './export.js';
export { loadModel as load, loadFile, OnnxModule } from './import.js';
