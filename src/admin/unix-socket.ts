/**
 * @module admin/unix-socket
 * Listening on the admin unix socket. Its file permissions are the authorisation (as HAProxy's
 * stats socket): the file is created under a umask that lets nobody else in, then chmod'ed to the
 * configured mode, so there is no moment at which a wider mode is visible. A stale socket left by
 * a crashed node is removed first; any other kind of file at the path is an error, never deleted.
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import type http from 'node:http';
import { SiplbError } from '../errors.js';

async function removeStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return; // nothing there
  }
  if (!st.isSocket()) {
    throw new SiplbError('SIPLB_ERR_BIND', `admin.socket ${path} exists and is not a socket; refusing to replace it (remove it or choose another path)`);
  }
  await unlink(path);
}

export async function listenUnixSocket(server: http.Server, path: string, mode: number): Promise<void> {
  await removeStaleSocket(path);
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(new SiplbError('SIPLB_ERR_BIND', `cannot listen on the admin socket ${path} (admin.socket): ${err.message}`, { cause: err }));
    };
    server.once('error', onError);
    // node:net binds a unix socket synchronously inside listen(), so the umask is restored at once
    // and no other file of this process is created under it.
    const oldMask = process.umask(0o177); // the socket is born 0600
    try {
      server.listen(path, () => {
        server.off('error', onError);
        resolve();
      });
    } finally {
      process.umask(oldMask);
    }
  });
  await chmod(path, mode);
}
