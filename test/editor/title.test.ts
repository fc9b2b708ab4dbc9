import { describe, expect, it } from 'vitest'
import { autoTitle } from '../../src/features/editor/shared/title'

// The rules on sample texts, beside the API tests in messages.test.ts: the edges are easier to see here.
describe('autoTitle', () => {
  it('keeps a first line of up to 60 characters as it is, whitespace collapsed', () => {
    expect(autoTitle('  Brighter   eyes\tplease ')).toBe('Brighter eyes please')
    const sixty = 'a'.repeat(30) + ' ' + 'b'.repeat(29)
    expect(autoTitle(sixty)).toBe(sixty)
    expect(autoTitle('\n\n  \nSecond line wins\nthird')).toBe('Second line wins')
  })

  it('cuts a longer line at the last word that fits, with an ellipsis, 60 characters at most', () => {
    const title = autoTitle('word '.repeat(20))
    expect(title).toBe(`${'word '.repeat(11).trim()}…`)
    expect([...title].length).toBeLessThanOrEqual(60)
    // One long word early on is not a boundary worth cutting at: cut at the limit instead.
    const noBreak = autoTitle(`ab ${'x'.repeat(100)}`)
    expect([...noBreak]).toHaveLength(60)
  })

  it('counts characters, not UTF-16 units (emoji stay whole)', () => {
    const title = autoTitle('🐈'.repeat(70))
    expect([...title]).toHaveLength(60)
    expect(title).toBe(`${'🐈'.repeat(59)}…`)
  })

  it('is "Image edit" without text', () => {
    expect(autoTitle('')).toBe('Image edit')
    expect(autoTitle(' \n ')).toBe('Image edit')
  })
})
