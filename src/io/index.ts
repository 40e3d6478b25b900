/** Persistence: the safetensors format (readable by PyTorch's and Hugging Face's loaders). */
export { SafetensorsError, serialize, deserialize, save, load } from './safetensors.js';
export type { StateDict, Safetensors, SafetensorsLoadOptions, SerializeOptions } from './safetensors.js';
export { saveCheckpoint, loadCheckpoint, serializeCheckpoint, deserializeCheckpoint } from './checkpoint.js';
export type { CheckpointContents, LoadCheckpointOptions } from './checkpoint.js';
