/**
 * Every R2 key is built here, from server-made ids only: no client-supplied names or paths
 * ever reach a key.
 */
export const storageKeys = {
  avatar: (userId: string, version: string, ext: string) => `avatars/${userId}/${version}.${ext}`,
}
