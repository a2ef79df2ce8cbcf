// Placeholder until the firewall-mark classifier lands: no rule, no mark.
import type { MarkRule } from '../model/index.js';

export class MarkClassifier {
  constructor(readonly rules: readonly MarkRule[]) {}
  classify(_proto: number, _daddr: number, _dport: number): number {
    return 0;
  }
}
