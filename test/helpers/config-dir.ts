import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type Mechanism = "in-place" | "rename" | "configmap";

/**
 * A config file in a temp folder, rewritten the way real deployments do:
 * in place, by writing a temp file and renaming it over, or as kubelet
 * updates a mounted ConfigMap (timestamped folder, `..data` symlink swapped
 * atomically, the file itself a symlink through `..data`).
 */
export class ConfigDir {
  readonly dir: string;
  readonly file: string;
  private generation = 0;
  private currentData: string | null = null;

  constructor(private readonly mechanism: Mechanism, initial: string) {
    this.dir = mkdtempSync(join(tmpdir(), `aigw-reload-${mechanism}-`));
    this.file = join(this.dir, "gateway.yaml");
    if (mechanism === "configmap") {
      this.currentData = this.writeDataDir(initial);
      symlinkSync(this.currentData, join(this.dir, "..data"));
      symlinkSync(join("..data", "gateway.yaml"), this.file);
    } else {
      writeFileSync(this.file, initial);
    }
  }

  private writeDataDir(text: string): string {
    const name = `..2026_11_22_00_00_00.${String(++this.generation).padStart(9, "0")}`;
    mkdirSync(join(this.dir, name));
    writeFileSync(join(this.dir, name, "gateway.yaml"), text);
    return name;
  }

  write(text: string): void {
    switch (this.mechanism) {
      case "in-place":
        writeFileSync(this.file, text);
        return;
      case "rename": {
        const tmp = join(this.dir, `.gateway.yaml.${this.generation++}.tmp`);
        writeFileSync(tmp, text);
        renameSync(tmp, this.file);
        return;
      }
      case "configmap": {
        const next = this.writeDataDir(text);
        symlinkSync(next, join(this.dir, "..data_tmp"));
        renameSync(join(this.dir, "..data_tmp"), join(this.dir, "..data"));
        if (this.currentData !== null) rmSync(join(this.dir, this.currentData), { recursive: true, force: true });
        this.currentData = next;
      }
    }
  }
}
