/**
 * A one-line progress bar on stderr (count, bytes, rate, ETA), redrawn at most 10 times a second; silent when
 * stderr is not a terminal, so scripts and `--json` get clean output.
 */
export class ProgressBar {
  private done = 0;
  private bytes = 0;
  private last = 0;
  private readonly started = Date.now();
  private readonly total: number;
  private readonly label: string;
  private readonly stream: NodeJS.WriteStream;

  constructor(label: string, total: number, stream: NodeJS.WriteStream = process.stderr) {
    this.label = label;
    this.total = total;
    this.stream = stream;
  }

  tick(bytes: number): void {
    this.done++;
    this.bytes += bytes;
    const now = Date.now();
    if (now - this.last >= 100 || this.done === this.total) {
      this.last = now;
      this.draw(now);
    }
  }

  finish(): void {
    if (this.stream.isTTY) this.stream.write('\n');
  }

  private draw(now: number): void {
    if (!this.stream.isTTY) return;
    const seconds = Math.max(0.001, (now - this.started) / 1000);
    const share = this.total > 0 ? this.done / this.total : 1;
    const width = 24;
    const filled = Math.round(share * width);
    const rate = this.bytes / seconds / 1048576;
    const eta = share > 0 ? Math.round((seconds / share) * (1 - share)) : 0;
    this.stream.write(
      `\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} ${(this.bytes / 1048576).toFixed(1)} MiB ${rate.toFixed(1)} MiB/s ETA ${eta}s `,
    );
  }
}
