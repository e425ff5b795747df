import { formatCompact, formatCount, formatPercent, formatRelative, metadataPreview } from './format'
import { typeColor } from './type-color'

describe('formatting for people', () => {
  it('groups thousands and abbreviates big numbers', () => {
    expect(formatCount(1284)).toBe('1,284')
    expect(formatCompact(9_999)).toBe('9,999')
    expect(formatCompact(12_400)).toBe('12.4K')
  })
  it('says how long ago', () => {
    const now = Date.parse('2024-01-01T12:00:00Z')
    expect(formatRelative('2024-01-01T12:00:00Z', now)).toBe('just now')
    expect(formatRelative('2024-01-01T11:57:00Z', now)).toBe('3 min ago')
    expect(formatRelative('2024-01-01T07:00:00Z', now)).toBe('5 h ago')
  })
  it('gives percentages, never "0%" for a small non-zero share', () => {
    expect(formatPercent(1, 1000)).toBe('<1%')
    expect(formatPercent(62, 100)).toBe('62%')
    expect(formatPercent(0, 0)).toBe('0%')
  })
  it('previews metadata as key=value pairs', () => {
    expect(metadataPreview({ page: '/pricing', ref: 'google', n: 3, user: { id: 1 } })).toBe('page=/pricing  ref=google  n=3  user.id=1')
    expect(metadataPreview({ user: { country: 'US', tags: ['a'] }, empty: {} })).toBe('user.country=US  user.tags=["a"]  empty={}')
  })
})

describe('type colors', () => {
  it('are the same for the same type, every time', () => {
    expect(typeColor('page_view')).toBe(typeColor('page_view'))
  })
  it('are red for failures', () => {
    expect(typeColor('error').badge).toContain('rose')
    expect(typeColor('payment.failed').badge).toContain('rose')
    expect(typeColor('terrorist_alert').badge).not.toContain('rose')
  })
  it('spread common types over several colors', () => {
    const colors = new Set(['page_view', 'click', 'signup', 'payment', 'login', 'purchase'].map((t) => typeColor(t).solid))
    expect(colors.size).toBeGreaterThanOrEqual(4)
  })
})
