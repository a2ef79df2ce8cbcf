// config/: lvs.cf (Piranha format): parse, validate, compile into the service
// table, write back; iptables-save mark rules.
export * from './errors.js';
export * from './ast.js';
export * from './keys.js';
export type { IpDev, KeyKind, KeySpec, Value } from './values.js';
export { parseLvsCf } from './lvscf-parse.js';
export { writeLvsCf, setKey, setLine, addKey, removeKey, removeLine, addBlock, removeBlock } from './lvscf-write.js';
export { lvsCfFromTable, GENERATED_HEADER } from './lvscf-from-table.js';
export { compileLvsCf, type CompileOptions, type CompileResult, type NotActedOn } from './compile.js';
export { importPath } from './compile-marks.js';
export { importIptablesSave, type IptablesImport } from './iptables-save.js';
export { expandMarkSpec, formatMarkRule, groupMarkRules, parseMarkRule, type MarkSpec } from './mark-rule.js';
