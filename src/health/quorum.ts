// A virtual server's quorum (keepalived's update_quorum_state): the service is
// up while the weights of its serving servers add up to `quorum`; it is lost
// below quorum - hysteresis and regained at quorum + hysteresis, so a server
// that flaps at the edge does not flap the service. Lost: quorum_down runs, the
// sorry server goes in and the servers still up come out (keepalived's "remove
// all the alive realservers"); regained: the reverse. With the default quorum
// of 1 this is Piranha's lvsd rule: the sorry server serves when no real server
// is up, and leaves when one returns.
export class Quorum {
  up: boolean;

  constructor(
    public quorum: number,
    public hysteresis: number,
    weightSum: number,
  ) {
    this.up = weightSum >= quorum;
  }

  /** The serving servers' weights add up to `sum` now: 'lost', 'gained' or null. */
  update(sum: number): 'lost' | 'gained' | null {
    if (this.up && sum < this.quorum - this.hysteresis) {
      this.up = false;
      return 'lost';
    }
    if (!this.up && sum >= this.quorum + this.hysteresis) {
      this.up = true;
      return 'gained';
    }
    return null;
  }
}
