package io.bootcache.sim.storm;

import java.util.List;

/**
 * A whole storm command's results: every mode measured on the same workload, each with the boot
 * time of one VM booting alone through the same setup.
 *
 * @param command the command line, as given
 * @param workload where the boots come from (preset, parameters, trace)
 * @param scaling how sizes and times were scaled to fit the machine
 * @param setup hosts, backend limits, cluster
 * @param iopsCap the backend's IOPS cap (0: none)
 * @param modes the storm in each mode
 * @param aloneBootMs one VM booting alone in each mode (NaN when not measured)
 */
public record StormOutcome(String command, String workload, String scaling, String setup, long iopsCap,
    List<ModeResult> modes, double[] aloneBootMs) {

  /** The slowest VM of the storm over one VM booting alone, in mode {@code i}. */
  public double slowestOverAlone(int i) {
    return modes.get(i).bootMax() / aloneBootMs[i];
  }
}
