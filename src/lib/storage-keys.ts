/**
 * Every R2 key is built here, from server-made ids only: no client-supplied names or paths
 * ever reach a key.
 */
export const storageKeys = {
  avatar: (userId: string, version: string, ext: string) => `avatars/${userId}/${version}.${ext}`,
  /** Original and derivatives of an image live side by side under its id. */
  image: (ownerId: string, imageId: string, variant: 'original' | 'thumb' | 'preview' | 'clean', ext: string) =>
    `images/${ownerId}/${imageId}/${variant}.${ext}`,
  /** Guest-facing watermarked derivatives of a live photo. */
  liveGuest: (ownerId: string, imageId: string, variant: 'thumb' | 'preview') => `images/${ownerId}/${imageId}/guest-${variant}.webp`,
  /** A resumable upload being assembled in R2 before inspection. */
  liveUpload: (sessionId: string, uploadId: string) => `uploads/${sessionId}/${uploadId}`,
  /** Watermark overlays (PNG) used by live sessions. */
  watermark: (ownerId: string, id: string) => `watermarks/${ownerId}/${id}.png`,
}
