import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Makes a directory's entries durable: a file created, renamed or removed in it is only certain to keep (or lose)
 * its name after a host crash once the directory itself is fsynced.
 */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a file's content durable; a file removed meanwhile (its content kept elsewhere by its owner) is skipped. */
export async function fsyncFile(file: string): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `file` with `data` so that after a host crash it holds either the old content or the new, whole: the data
 * goes to a temporary file that is fsynced, renamed over the file, and the rename made durable.
 */
export async function writeFileDurably(file: string, data: string | Buffer): Promise<void> {
  const directory = dirname(file);
  await mkdir(directory, { recursive: true });
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  await fsyncDirectory(directory);
}

/** Removes `file` (if there) so that it stays removed after a host crash. */
export async function removeFileDurably(file: string): Promise<void> {
  await rm(file, { force: true });
  await fsyncDirectory(dirname(file)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error; // no directory: nothing was there to remove
  });
}
