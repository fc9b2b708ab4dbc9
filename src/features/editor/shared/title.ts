import { CHAT_LIMITS } from './schemas'

/** The title of a session whose first message has no text. */
export const IMAGE_EDIT_TITLE = 'Image edit'

/**
 * The automatic title of a session from its first user message: the first non-empty line,
 * whitespace collapsed; when longer than 60 characters, cut at the last space before the limit
 * (when there is one in the second half, else at the limit: text without spaces, such as
 * Chinese) and ended with "…", 60 characters in all. "Image edit" when there is no text.
 */
export function autoTitle(text: string): string {
  const line = text.split('\n').map((l) => l.replace(/\s+/gu, ' ').trim()).find((l) => l.length > 0)
  if (!line) return IMAGE_EDIT_TITLE
  const chars = [...line]
  if (chars.length <= CHAT_LIMITS.autoTitle) return line
  const room = chars.slice(0, CHAT_LIMITS.autoTitle - 1)
  const space = room.lastIndexOf(' ')
  const cut = space >= CHAT_LIMITS.autoTitle / 2 ? room.slice(0, space) : room
  return `${cut.join('').trimEnd()}…`
}
