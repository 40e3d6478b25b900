// The arithmetic op codes binaryF32 takes: one source, compiled by asc into assembly/ (as i32
// constants) and by tsc into the wasm backend, so the two cannot drift. Plain constants only: this
// file must stay valid AssemblyScript and TypeScript alike.
export const ADD = 0;
export const SUB = 1;
export const MUL = 2;
export const DIV = 3;
export const POW = 4;
export const MAXIMUM = 5;
export const MINIMUM = 6;
