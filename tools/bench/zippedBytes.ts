import { deflateRawSync } from "node:zlib";

export interface ArchiveFile {
  name: string;
  data: Buffer | string;
}

/** Zip record sizes (APPNOTE.TXT 4.3): local header, data descriptor, central directory entry, end record. */
const LOCAL_HEADER = 30;
const DATA_DESCRIPTOR = 16;
const CENTRAL_ENTRY = 46;
const END_OF_CENTRAL_DIRECTORY = 22;

/**
 * The size of a zip of these files, each deflated at level 6 (the default of zlib and of Go's
 * compress/flate, which Pulumi's engine uses to zip archives), without writing it.
 */
export function zippedBytes(files: ArchiveFile[]): number {
  return files.reduce((total, file) => {
    const name = Buffer.byteLength(file.name);
    const compressed = deflateRawSync(file.data, { level: 6 }).length;
    return total + LOCAL_HEADER + name + compressed + DATA_DESCRIPTOR + CENTRAL_ENTRY + name;
  }, END_OF_CENTRAL_DIRECTORY);
}
