import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The changelog offset up to which a store's engine holds every committed write. Written after the engine
 * write it describes, so it can only lag the data; replaying the changelog from a lagging checkpoint rewrites
 * the same last values, which keeps restore correct after a crash between the two writes.
 */
export async function readCheckpoint(file: string): Promise<bigint | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { offset?: string };
    return parsed.offset === undefined ? undefined : BigInt(parsed.offset);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export async function writeCheckpoint(file: string, offset: bigint): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  await writeFile(temporary, JSON.stringify({ offset: offset.toString() }));
  await rename(temporary, file);
}
