/** The `autograd` namespace, as PyTorch's `torch.autograd`: custom ops and gradient checking. */
export { AutogradFunction as Function, FunctionCtx } from './function.js';
export { gradcheck } from './gradcheck.js';
