import { Readable } from "node:stream";
import { extract, pack, type Header } from "tar-stream";

// restic dump writes a folder's tar with each file's whole path in the
// snapshot (home/coder/project/notes.txt); a download named project.tar
// should unpack to project/notes.txt, as a folder downloaded anywhere else
// does. This renames the entries as they stream through, bytes untouched.

/**
 * `tar` with every entry under `from` (a path without its leading slash)
 * moved under `to`; entries outside it are left out. Hard links move with
 * their target; symbolic links keep theirs, which are relative or absolute
 * in the workspace, not in the archive.
 */
export function rebaseTar(tar: Readable, from: string, to: string): Readable {
  const prefix = `${from.replace(/\/+$/, "")}/`;
  const rebased = (name: string) => (name.startsWith(prefix) ? `${to}/${name.slice(prefix.length)}` : null);
  const source = extract();
  const output = pack();
  void (async () => {
    for await (const entry of source) {
      const { header } = entry;
      const name = rebased(header.name);
      const hardLinkTo = header.type === "link" ? rebased(header.linkname) : undefined;
      if (name === null || hardLinkTo === null) {
        entry.resume();
        continue;
      }
      const moved: Header = { ...header, name, ...(hardLinkTo === undefined ? {} : { linkname: hardLinkTo }) };
      await new Promise<void>((resolve, reject) => {
        const sink = output.entry(moved, (error) => (error ? reject(error) : resolve()));
        // A broken entry breaks its sink too (pipe passes it on), and an error event without a listener would throw.
        sink.on("error", reject);
        entry.on("error", reject).pipe(sink);
      });
    }
    output.finalize();
  })().catch((error: unknown) => output.destroy(error as Error));
  // An archive cut short (restic failed midway) errors the output, so the download breaks instead of ending short.
  source.on("error", (error) => output.destroy(error));
  tar.on("error", (error) => source.destroy(error)).pipe(source);
  return Readable.from(output);
}
