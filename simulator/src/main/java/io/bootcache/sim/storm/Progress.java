package io.bootcache.sim.storm;

/** Told how a running storm is doing, a few times a second. */
public interface Progress {
  Progress NONE = new Progress() {
    @Override
    public void update(String mode, long vmsDone, int vms, long reads, long totalReads, double seconds) {}

    @Override
    public void finish(String line) {}
  };

  void update(String mode, long vmsDone, int vms, long reads, long totalReads, double seconds);

  /** The storm of this mode is over; {@code line} sums it up. */
  void finish(String line);
}
